import { errors } from 'oidc-provider';

import { withStatus } from '../../http/with-status.js';

/** The request is well formed but outside what the client is allowed (RFC 6749 access_denied, HTTP 403). */
export const accessDenied = (description: string) => withStatus(new errors.AccessDenied(description), 403);

/** The stage, license or session named does not exist here. */
export const invalidTarget = (description: string) => new errors.InvalidTarget(description);

export const invalidRequest = (description: string) => new errors.InvalidRequest(description);

export const invalidGrant = (description: string) => new errors.InvalidGrant(description);

/** A configured ceiling is reached; retrying will not help until something is released. */
export const resourceLimitExceeded = (description: string) =>
  withStatus(new errors.CustomOIDCProviderError('resource_limit_exceeded', description), 403);
