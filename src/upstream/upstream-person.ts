import type { UpstreamAccount } from '../accounts/upstream-accounts.js';
import { groupsFromClaim } from '../accounts/upstream-groups.js';
import type { UpstreamProviderConfig } from '../config/schema.js';

/** The OpenID Connect standard claims (Core §5.1) an upstream person's record carries over. */
const STANDARD_CLAIMS = [
  'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture',
  'website', 'email', 'email_verified', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number',
  'phone_number_verified', 'address', 'updated_at',
] as const;

/**
 * The record of a person the upstream just signed in, from its ID token claims and userinfo (which
 * speaks last when both say something). Pure: the caller saves it.
 */
export function upstreamPerson(
  provider: Pick<UpstreamProviderConfig, 'id' | 'groupsClaim' | 'groupMap'>,
  upstreamClaims: Record<string, unknown>,
  signedInAt: number,
): UpstreamAccount {
  const claims: Record<string, unknown> = {};
  for (const name of STANDARD_CLAIMS) {
    if (upstreamClaims[name] !== undefined) claims[name] = upstreamClaims[name];
  }
  return {
    sub: `${provider.id}:${String(upstreamClaims.sub)}`,
    provider: provider.id,
    claims,
    groups: groupsFromClaim(upstreamClaims[provider.groupsClaim], provider.groupMap),
    lastSignInAt: signedInAt,
  };
}
