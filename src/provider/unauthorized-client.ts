import type { Middleware } from 'koa';

import { isGrantTypeNotAllowed } from './oidc-provider-internals.js';

/**
 * RFC 6749 §5.2 names unauthorized_client for a client using a grant type it is not registered
 * for (at the token endpoint, and at device authorization for the device grant); oidc-provider
 * answers invalid_request.
 */
export function unauthorizedClientForDisallowedGrant(paths: string[]): Middleware {
  return async (ctx, next) => {
    await next();
    const body = ctx.body as { error?: string; error_description?: string } | undefined;
    if (paths.includes(ctx.path) && body?.error === 'invalid_request' && isGrantTypeNotAllowed(body.error_description)) {
      ctx.body = { error: 'unauthorized_client', error_description: 'this client is not registered for the requested grant_type' };
    }
  };
}
