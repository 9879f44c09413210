import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';

import { ExternalTokenRefused, IssuerKeysUnavailable } from '../../accounts/trusted-issuers.js';
import { withStatus } from '../../http/with-status.js';
import type { Client } from './client-authentication.js';
import { readParams, type RawParams } from './form-params.js';
import { invalidGrant, invalidRequest } from './grant-errors.js';
import { JWT_TOKEN_TYPE } from './minted-response.js';
import type { People, Person } from './people.js';

/** Parameters every minting grant accepts: the person it mints for. */
const SUBJECT_PARAMETERS = ['subject_token', 'subject_token_type'] as const;

export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
/** A trusted issuer's JWT may come as either. */
const EXTERNAL_TOKEN_TYPES: readonly string[] = [JWT_TOKEN_TYPE, ID_TOKEN_TYPE];

/**
 * Who the token is minted for (RFC 8693 subject_token): an access token this server issued to the
 * same client names the person, and so does a JWT of a trusted issuer; without one, a confidential
 * client mints for itself. Public clients must name a person, since anyone can claim to be a
 * public client.
 */
export async function resolveSubject(ctx: KoaContextWithOIDC, people: People): Promise<Person | undefined> {
  return subjectOf(readParams(ctx, SUBJECT_PARAMETERS), ctx.oidc.client!, ctx.oidc.provider, people);
}

/** The same, for a minter's own route: the subject token and its type as the route's form sent them, and the client it authenticated. */
export async function subjectOf(
  { subject_token: token, subject_token_type: type }: RawParams,
  client: Client,
  provider: Provider,
  people: People,
): Promise<Person | undefined> {
  if (token === undefined) {
    if (type !== undefined) throw invalidRequest('subject_token_type was sent without subject_token');
    if (client.clientAuthMethod === 'none') throw invalidRequest('subject_token is required: public clients mint only on behalf of a signed-in user');
    return undefined;
  }
  if (typeof token !== 'string') throw invalidRequest('subject_token must be sent once');
  if (typeof type === 'string' && EXTERNAL_TOKEN_TYPES.includes(type) && people.trustedIssuers.configured) {
    return externalPerson(token, client.clientId, people);
  }
  if (type !== ACCESS_TOKEN_TYPE) {
    const accepted = people.trustedIssuers.configured ? `${ACCESS_TOKEN_TYPE}, ${JWT_TOKEN_TYPE} or ${ID_TOKEN_TYPE}` : ACCESS_TOKEN_TYPE;
    throw invalidRequest(`subject_token_type must be ${accepted}`);
  }
  const accessToken = await provider.AccessToken.find(token);
  if (!accessToken || accessToken.isExpired) throw invalidGrant('subject_token is not an active access token');
  if (accessToken.clientId !== client.clientId) throw invalidGrant('subject_token was issued to another client');
  if (!accessToken.accountId) throw invalidGrant('subject_token does not name a user');
  // Its grant is revoked when the account ends; this holds meanwhile, and for a token that outran the revocation.
  if (!(await people.isActive(accessToken.accountId))) throw invalidGrant('subject_token names an account that is disabled or deleted');
  // How the person signed in, as the token was issued with it (see the provider's extraTokenClaims).
  const { acr, auth_time: authTime } = (accessToken.extra ?? {}) as { acr?: string; auth_time?: number };
  return people.find(accessToken.accountId, undefined, { acr, authTime });
}

async function externalPerson(token: string, clientId: string, people: People): Promise<Person> {
  try {
    const { id, groups } = await people.trustedIssuers.verify(token, clientId);
    return await people.find(id, groups);
  } catch (error) {
    if (error instanceof ExternalTokenRefused) throw invalidGrant(error.message);
    if (error instanceof IssuerKeysUnavailable) throw withStatus(new errors.TemporarilyUnavailable(error.message), 503);
    throw error;
  }
}
