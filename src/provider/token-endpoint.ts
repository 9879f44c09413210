import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';

import { temporarilyUnavailable } from '../http/store-unavailable.js';
import { withStatus } from '../http/with-status.js';
import type { ClientTokenRate } from '../limits/client-token-rate.js';
import { StoreUnavailableError } from '../store/store.js';
import { wrapGrantHandlers, type GrantHandler } from './oidc-provider-internals.js';

/**
 * One step of what the token endpoint runs around a grant handler, once oidc-provider has
 * authenticated the client and checked it is registered for the grant type.
 */
export interface TokenEndpointStep {
  /** What it is for, in a refusal of a grant registered too late. */
  name: string;
  /** The grant types it wraps; every one when absent. */
  appliesTo?(grantType: string): boolean;
  wrap(handler: GrantHandler, grantType: string): GrantHandler;
}

/**
 * Installs the token endpoint's steps around every grant handler, in the order listed (the first
 * outermost), once the last grant is registered: a grant registered afterwards would run without
 * them (no rate limit, no 503 for a store outage), so registering one is refused from then on.
 */
export function installTokenEndpointSteps(provider: Provider, steps: readonly TokenEndpointStep[]): void {
  wrapGrantHandlers(provider, (grantType, handler) => steps.reduceRight<GrantHandler>(
    (inner, step) => (step.appliesTo?.(grantType) === false ? inner : step.wrap(inner, grantType)),
    handler,
  ));
  Object.defineProperty(provider, 'registerGrantType', {
    value: (grantType: string) => {
      throw new Error(`grant ${grantType} is registered after the token endpoint's steps (${steps.map(({ name }) => name).join(', ')}) were installed around the grants: register it before`);
    },
  });
}

/** A store that stops answering in the middle of a grant is a 503, not oidc-provider's server_error. */
export const storeOutageAnswered: TokenEndpointStep = {
  name: 'store outage answered 503',
  wrap: (handler) => async (ctx) => {
    try {
      await handler(ctx);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw temporarilyUnavailable();
      throw error;
    }
  },
};

/**
 * Holds the client to its token rate for the grant type (429 with Retry-After). The minting grants
 * are rated by the minting gateway, which every way of asking for a minted token goes through.
 */
export function heldToTokenRate(rate: ClientTokenRate, ratedElsewhere: (grantType: string) => boolean): TokenEndpointStep {
  return {
    name: 'token rate',
    appliesTo: (grantType) => !ratedElsewhere(grantType),
    wrap: (handler, grantType) => async (ctx) => {
      const client = ctx.oidc.client!;
      const places = await rate.take({ clientId: client.clientId, isPublic: client.clientAuthMethod === 'none' }, grantType, ctx.ip);
      if (!places.allowed) {
        ctx.set('Retry-After', String(places.retryAfter));
        throw withStatus(new errors.CustomOIDCProviderError('rate_limit_exceeded', places.message), 429);
      }
      try {
        await handler(ctx);
      } catch (error) {
        places.failed();
        throw error;
      }
      places.succeeded();
    },
  };
}

/**
 * oidc-provider hands a client whose metadata lists no scope any scope it knows, at the
 * client_credentials grant: the reserved scopes (the Admin API's) would go to every such client,
 * registered or made at runtime. A reserved scope goes only to a client whose metadata lists it,
 * which only the configuration file can give.
 */
export function reservedScopesOnlyWhereListed(reservedScopes: readonly string[]): TokenEndpointStep {
  return {
    name: 'reserved scopes',
    appliesTo: (grantType) => grantType === 'client_credentials',
    wrap: (handler) => async (ctx: KoaContextWithOIDC) => {
      const listed = new Set(String(ctx.oidc.client!.scope ?? '').split(' '));
      const asked = String(ctx.oidc.params?.scope ?? '').split(' ');
      const refused = asked.find((scope) => reservedScopes.includes(scope) && !listed.has(scope));
      if (refused !== undefined) throw new errors.InvalidScope('requested scope is not allowed', refused);
      await handler(ctx);
    },
  };
}
