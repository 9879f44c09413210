import type Router from '@koa/router';
import type { Middleware } from 'koa';
import compose from 'koa-compose';

/**
 * Runs `middlewares` only for paths at or under one of `prefixes`; every other request passes
 * them by. The token endpoint answers most requests, and the page and API middlewares it would
 * otherwise walk through (routers matching their patterns one by one) cost it measurably.
 */
export function forPathsUnder(prefixes: readonly string[], middlewares: Middleware[]): Middleware {
  const bare = prefixes.map((prefix) => prefix.replace(/\/+$/, ''));
  const chain = compose(middlewares);
  return (ctx, next) => (bare.some((prefix) => ctx.path === prefix || ctx.path.startsWith(`${prefix}/`)) ? chain(ctx, next) : next());
}

/** The first path segment of every route a router serves (`/ivs/public-key` gives `/ivs`). */
export function routerPrefixes(router: Router): string[] {
  const paths = router.stack.map((layer) => String(layer.path));
  return [...new Set(paths.map((path) => `/${path.split('/')[1] ?? ''}`))];
}
