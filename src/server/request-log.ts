import type { Context, Middleware } from 'koa';

import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** Probes and scrapes arrive every few seconds; they are counted but logged only at debug. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One log line and one metrics observation per request. Only the path is logged, never the query
 * string or headers, which may carry codes, tokens and credentials.
 */
export function logAndMeasureRequests(logger: Logger, metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    let status = 500;
    try {
      await next();
      status = ctx.status;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(ctx);
      metrics.observeRequest({ route, method: ctx.method, status }, seconds);
      const log = QUIET_PATHS.has(ctx.path) ? logger.debug : logger.info;
      log('request', { method: ctx.method, route, path: ctx.path.slice(0, 200), status, durationMs: Math.round(seconds * 1e4) / 10, ip: ctx.ip });
    }
  };
}

/** A bounded label: oidc-provider's route name, the router's path template, or "unmatched". */
function routeOf(ctx: Context): string {
  const oidcRoute = (ctx as Context & { oidc?: { route?: string } }).oidc?.route;
  if (oidcRoute) return oidcRoute;
  const template = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
  if (typeof template === 'string') return template;
  return QUIET_PATHS.has(ctx.path) ? ctx.path : 'unmatched';
}
