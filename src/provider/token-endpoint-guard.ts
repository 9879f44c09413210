import { errors, type Provider } from 'oidc-provider';

import { temporarilyUnavailable, unavailableAsProviderError } from '../http/store-unavailable.js';
import { withStatus } from '../http/with-status.js';
import type { TokenRateLimiter } from '../limits/token-rate.js';
import { StoreUnavailableError } from '../store/store.js';
import { wrapGrantHandlers } from './oidc-provider-internals.js';

/**
 * Runs before every grant handler, the client already authenticated: holds the client to its
 * token rate for the grant type (429 with Retry-After), and turns a store that stops answering
 * in the middle of a grant into a 503 rather than oidc-provider's server_error.
 */
export function guardTokenEndpoint(provider: Provider, limiter: TokenRateLimiter): void {
  wrapGrantHandlers(provider, (grantType, handler) => async (ctx) => {
    const clientId = ctx.oidc.client!.clientId;
    const decision = await unavailableAsProviderError(limiter.take(clientId, grantType));
    if (!decision.allowed) {
      ctx.set('Retry-After', String(decision.retryAfter));
      throw withStatus(
        new errors.CustomOIDCProviderError('rate_limit_exceeded', `this client may obtain ${decision.limit} tokens per second with ${grantType}; retry after ${decision.retryAfter} s`),
        429,
      );
    }
    try {
      await handler(ctx);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw temporarilyUnavailable();
      throw error;
    }
  });
}
