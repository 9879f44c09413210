import { errors } from 'oidc-provider';

import { withStatus } from '../../http/with-status.js';
import type { FieldNames, MintingError } from './minting-error.js';

type ProviderError = InstanceType<typeof errors.OIDCProviderError>;

/** The request is well formed but outside what the client is allowed (RFC 6749 access_denied, HTTP 403). */
export const accessDenied = (description: string) => withStatus(new errors.AccessDenied(description), 403);

/** The stage, license or session named does not exist here. */
export const invalidTarget = (description: string) => new errors.InvalidTarget(description);

export const invalidRequest = (description: string) => new errors.InvalidRequest(description);

/**
 * oidc-provider's own InvalidGrant keeps its description fixed ("grant request is invalid"); a
 * minting grant's says which check failed, as the AWS APIs already do for the same refusal.
 */
export const invalidGrant = (description: string) => withStatus(new errors.CustomOIDCProviderError('invalid_grant', description), 400);

/** A client using a grant type it is not registered for, outside the token endpoint. */
export const unauthorizedClient = (description: string) => withStatus(new errors.UnauthorizedClient(description), 403);

/** A configured ceiling is reached; retrying will not help until something is released. */
export const resourceLimitExceeded = (description: string) =>
  withStatus(new errors.CustomOIDCProviderError('resource_limit_exceeded', description), 403);

/** Too many tokens per second: the client is told when to retry (429 with Retry-After). */
export const rateLimitExceeded = (description: string) =>
  withStatus(new errors.CustomOIDCProviderError('rate_limit_exceeded', description), 429);

/** The person's sign-in is weaker or older than the rights asked for need (RFC 9470 §3, HTTP 401). */
export const insufficientUserAuthentication = (description: string) =>
  withStatus(new errors.CustomOIDCProviderError('insufficient_user_authentication', description), 401);

/** RFC 9470's challenge: what a new sign-in must give, for the app to send the person through /auth with. */
export function stepUpChallenge({ acrValues, maxAge }: { acrValues: string; maxAge: number | undefined }): string {
  return `Bearer error="insufficient_user_authentication", error_description="a stronger or more recent sign-in is required", acr_values="${acrValues}"${maxAge === undefined ? '' : `, max_age=${maxAge}`}`;
}

/** A minting service's refusal as the token endpoint answers it, its fields named as the form names them. */
export function providerErrorOf(error: MintingError, names: FieldNames): ProviderError {
  const description = error.description.render(names);
  switch (error.code) {
    case 'invalid_request': return invalidRequest(description);
    case 'invalid_grant': return invalidGrant(description);
    case 'invalid_target': return invalidTarget(description);
    case 'access_denied': return accessDenied(description);
    case 'unauthorized_client': return unauthorizedClient(description);
    case 'resource_limit_exceeded': return resourceLimitExceeded(description);
    case 'rate_limit_exceeded': return rateLimitExceeded(description);
    case 'insufficient_user_authentication': return insufficientUserAuthentication(description);
  }
}

