import type { KoaContextWithOIDC } from 'oidc-provider';

import { readParams } from './form-params.js';
import { invalidGrant, invalidRequest } from './grant-errors.js';

/** Parameters every minting grant accepts: the user it mints for, as an access token of ours. */
const SUBJECT_PARAMETERS = ['subject_token', 'subject_token_type'] as const;

export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * Who the token is minted for (RFC 8693 subject_token): an access token this server issued to the
 * same client names the user; without one, a confidential client mints for itself. Public clients
 * must name a user, since anyone can claim to be a public client.
 */
export async function resolveSubject(ctx: KoaContextWithOIDC): Promise<{ userId?: string }> {
  const { subject_token: token, subject_token_type: type } = readParams(ctx, SUBJECT_PARAMETERS);
  const client = ctx.oidc.client!;
  if (token === undefined) {
    if (type !== undefined) throw invalidRequest('subject_token_type was sent without subject_token');
    if (client.clientAuthMethod === 'none') throw invalidRequest('subject_token is required: public clients mint only on behalf of a signed-in user');
    return {};
  }
  if (typeof token !== 'string') throw invalidRequest('subject_token must be sent once');
  if (type !== ACCESS_TOKEN_TYPE) throw invalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
  const accessToken = await ctx.oidc.provider.AccessToken.find(token);
  if (!accessToken || accessToken.isExpired) throw invalidGrant('subject_token is not an active access token');
  if (accessToken.clientId !== client.clientId) throw invalidGrant('subject_token was issued to another client');
  if (!accessToken.accountId) throw invalidGrant('subject_token does not name a user');
  // Named for the audit trail, which records whom a token was minted for.
  ctx.oidc.entity('SubjectToken', accessToken);
  return { userId: accessToken.accountId };
}
