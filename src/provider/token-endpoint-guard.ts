import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';

import { temporarilyUnavailable, unavailableAsProviderError } from '../http/store-unavailable.js';
import { withStatus } from '../http/with-status.js';
import type { RateDecision, TokenRateLimiter } from '../limits/token-rate.js';
import { StoreUnavailableError } from '../store/store.js';
import { wrapGrantHandlers, type GrantHandler } from './oidc-provider-internals.js';

export interface TokenEndpointLimits {
  /** Each client's token rate by grant type. */
  tokens: TokenRateLimiter;
  /** Failed grants of a public client, per address, in buckets named `failed:<grant type>`. */
  failedGrants: TokenRateLimiter;
}

/**
 * Runs before every grant handler, the client already authenticated: holds the client to its
 * token rate for the grant type (429 with Retry-After), and turns a store that stops answering
 * in the middle of a grant into a 503 rather than oidc-provider's server_error.
 *
 * A public client's id proves nothing, so anyone can send it: a public client's rate is counted
 * per address as well as for the client, both spent only by grants that succeed (a failed one
 * gives its places back), and its failed grants are counted apart, per address. A caller sending
 * junk in a public client's name is refused alone; what it holds of the client's rate while its
 * requests are being judged is bounded by its address's rates and given back when they fail.
 */
export function guardTokenEndpoint(provider: Provider, limits: TokenEndpointLimits): void {
  wrapGrantHandlers(provider, (grantType, handler) => async (ctx) => {
    const client = ctx.oidc.client!;
    if (client.clientAuthMethod !== 'none' || limits.tokens.limitOf(grantType) === 0) {
      refuseOverRate(ctx, await unavailableAsProviderError(limits.tokens.take(client.clientId, grantType)), (limit) => `this client may obtain ${limit} tokens per second with ${grantType}`);
      await runGrant(handler, ctx);
      return;
    }
    const failures = await unavailableAsProviderError(limits.failedGrants.take(`${client.clientId} ${ctx.ip}`, `failed:${grantType}`));
    refuseOverRate(ctx, failures, (limit) => `this client may make ${limit} failed requests per second with ${grantType} from one address`);
    const fromAddress = await unavailableAsProviderError(limits.tokens.take(`${client.clientId} ${ctx.ip}`, grantType));
    if (!fromAddress.allowed) failures.refund();
    refuseOverRate(ctx, fromAddress, (limit) => `this client may obtain ${limit} tokens per second with ${grantType} from one address`);
    // The client's own rate still bounds them all together (a minter's rate follows its vendor's quota).
    const shared = await unavailableAsProviderError(limits.tokens.take(client.clientId, grantType));
    if (!shared.allowed) {
      failures.refund();
      fromAddress.refund();
    }
    refuseOverRate(ctx, shared, (limit) => `this client may obtain ${limit} tokens per second with ${grantType}`);
    try {
      await runGrant(handler, ctx);
    } catch (error) {
      fromAddress.refund();
      shared.refund();
      throw error;
    }
    failures.refund();
  });
}

function refuseOverRate(ctx: KoaContextWithOIDC, decision: RateDecision, describeLimit: (limit: number) => string): asserts decision is Extract<RateDecision, { allowed: true }> {
  if (decision.allowed) return;
  ctx.set('Retry-After', String(decision.retryAfter));
  throw withStatus(new errors.CustomOIDCProviderError('rate_limit_exceeded', `${describeLimit(decision.limit)}; retry after ${decision.retryAfter} s`), 429);
}

async function runGrant(handler: GrantHandler, ctx: KoaContextWithOIDC): Promise<void> {
  try {
    await handler(ctx);
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw temporarilyUnavailable();
    throw error;
  }
}
