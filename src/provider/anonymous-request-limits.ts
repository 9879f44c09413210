import type { Middleware } from 'koa';
import type { Provider } from 'oidc-provider';

import type { AddressRate } from '../limits/address-rate.js';

export interface AnonymousRequestRates {
  /** Dynamic client registration (`/reg`); SSO OIDC RegisterClient counts against the same rate. */
  registrations: AddressRate;
  /** Device authorization, each of which leaves a pending device code. */
  deviceAuthorizations: AddressRate;
}

/**
 * Registration and device authorization need no proof of anything and each leaves state behind:
 * each address may make so many a minute (429 rate_limit_exceeded with Retry-After).
 */
export function limitAnonymousRequests(provider: Provider, rates: AnonymousRequestRates): Middleware {
  const pathOf = (route: string) => new URL(provider.urlFor(route)).pathname;
  const limited = new Map([
    [pathOf('registration'), { rate: rates.registrations, what: 'client registrations' }],
    [pathOf('device_authorization'), { rate: rates.deviceAuthorizations, what: 'device authorizations' }],
  ]);
  return async (ctx, next) => {
    const gate = ctx.method === 'POST' ? limited.get(ctx.path) : undefined;
    if (!gate) return next();
    const decision = await gate.rate.take(ctx.ip);
    if (decision.allowed) return next();
    ctx.status = 429;
    ctx.set('Retry-After', String(decision.retryAfter));
    ctx.body = {
      error: 'rate_limit_exceeded',
      error_description: `this address may make ${decision.limit} ${gate.what} a minute; retry after ${decision.retryAfter} s`,
    };
  };
}
