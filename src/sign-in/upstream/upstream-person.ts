import { ACR_PASSWORD } from '../../accounts/authentication-context.js';
import { subjectProblem } from '../../accounts/subject.js';
import type { UpstreamAccount } from '../../accounts/upstream-accounts.js';
import { groupsFromClaim } from '../../accounts/upstream-groups.js';
import type { UpstreamProviderConfig } from '../../config/identity-providers.js';
import { MAX_JSON_DEPTH, pathDeeperThan } from '../../http/json-input.js';
import { UpstreamSignInError } from './upstream-provider.js';

/** The OpenID Connect standard claims (Core §5.1) an upstream person's record carries over. */
const STANDARD_CLAIMS = [
  'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture',
  'website', 'email', 'email_verified', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number',
  'phone_number_verified', 'address', 'updated_at',
] as const;

/** The most a person's claims may take in their record, as JSON: the record is read at every token of theirs. */
const MAX_CLAIMS_BYTES = 16 * 1024;

/**
 * The record of a person the upstream just signed in, from its ID token claims and userinfo (which
 * speaks last when both say something). Pure: the caller saves it. An upstream's answer that no
 * person here may have (a subject outside the rule, claims too deep or too large to keep) is
 * refused with a page saying what.
 */
export function upstreamPerson(
  provider: Pick<UpstreamProviderConfig, 'id' | 'name' | 'groupsClaim' | 'groupMap'>,
  upstreamClaims: Record<string, unknown>,
  signedInAt: number,
): UpstreamAccount {
  const refused = (problem: string) =>
    new UpstreamSignInError(502, 'invalid_upstream_response', `${provider.name} answered with a person stagepass cannot keep: ${problem}.`);
  const subject = subjectProblem(String(upstreamClaims.sub));
  if (subject !== undefined) throw refused(`its subject (sub) ${subject}`);
  const claims: Record<string, unknown> = {};
  for (const name of STANDARD_CLAIMS) {
    if (upstreamClaims[name] === undefined) continue;
    if (pathDeeperThan(upstreamClaims[name], MAX_JSON_DEPTH)) throw refused(`its ${name} claim nests deeper than ${MAX_JSON_DEPTH} levels`);
    claims[name] = upstreamClaims[name];
  }
  if (Buffer.byteLength(JSON.stringify(claims)) > MAX_CLAIMS_BYTES) throw refused(`its claims take more than ${MAX_CLAIMS_BYTES} bytes`);
  return {
    sub: `${provider.id}:${String(upstreamClaims.sub)}`,
    provider: provider.id,
    claims,
    groups: groupsFromClaim(upstreamClaims[provider.groupsClaim], provider.groupMap),
    lastSignInAt: signedInAt,
  };
}

/**
 * How the person signed in, as stagepass's tokens will say it: the provider's `acr` and `amr`
 * when its configuration trusts them, otherwise the weakest level, a password's.
 */
export function upstreamSignInContext(
  provider: Pick<UpstreamProviderConfig, 'trustAuthenticationContext'>,
  upstreamClaims: Record<string, unknown>,
): { acr: string; amr?: string[] } {
  const { acr, amr } = upstreamClaims;
  if (!provider.trustAuthenticationContext || typeof acr !== 'string') return { acr: ACR_PASSWORD };
  const methods = Array.isArray(amr) ? amr.filter((method): method is string => typeof method === 'string') : undefined;
  return { acr, ...(methods ? { amr: methods } : {}) };
}
