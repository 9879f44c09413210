import type { Middleware } from 'koa';
import type { Provider } from 'oidc-provider';

import { providerRouteOf } from './oidc-provider-internals.js';

/**
 * oidc-provider serves its routes whatever the case and with or without a trailing slash, so
 * `POST /DEVICE/` is code entry. Every gate in front of it (throttles, session guards, body
 * rewrites) compares paths as stagepass spells them; giving each request the route's own spelling
 * once, before any gate runs, means no gate can be walked around by spelling a path differently.
 */
export function canonicalProviderPaths(provider: Provider): Middleware {
  const routeOf = providerRouteOf(provider);
  return (ctx, next) => {
    const route = routeOf(ctx.method, ctx.path);
    if (route && route.path !== ctx.path) ctx.path = route.path;
    return next();
  };
}
