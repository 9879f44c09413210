import type { Context } from 'koa';

/**
 * @koa/router leaves the path template of the route that answered in `ctx._matchedRoute`; the
 * request log labels requests by it, and routes of stagepass's own set it the same way.
 */
export function matchedRouteOf(ctx: Context): string | undefined {
  const route = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
  return typeof route === 'string' ? route : undefined;
}

export function setMatchedRoute(ctx: Context, route: string): void {
  (ctx as Context & { _matchedRoute?: string })._matchedRoute = route;
}
