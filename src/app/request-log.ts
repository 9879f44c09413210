import type { Context, Middleware } from 'koa';

import { matchedRouteOf } from '../http/matched-route.js';
import { HEALTH_PATHS } from './health-routes.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { METRICS_PATH } from './metrics-routes.js';
import { CLIENT_CLOSED_REQUEST } from '../http/raw-body.js';
import { takeDeferredLines } from './request-context.js';

/** Probes and scrapes arrive every few seconds; they are counted but logged only at debug. */
const QUIET_PATHS = new Set([...HEALTH_PATHS, METRICS_PATH]);

/**
 * One log line and one metrics observation per request. A request that issued a token or was
 * refused is logged under its audit event, whose fields join the request's (an audit line is
 * written at info). Only the path is logged, never the query string or headers, which may carry
 * codes, tokens and credentials. A client that closed the connection before its body was all sent
 * is logged at warn and counted as 499, whatever the reader of the body made of it.
 */
export function logAndMeasureRequests(logger: Logger, metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    let status = 500;
    try {
      await next();
      status = ctx.status;
    } finally {
      if (!ctx.req.complete && ctx.req.destroyed) status = CLIENT_CLOSED_REQUEST;
      const milliseconds = performance.now() - started;
      const route = routeOf(ctx);
      metrics.observeRequest({ route, method: ctx.method, status }, milliseconds / 1000);
      const request = { requestId: ctx.state.requestId as string | undefined, method: ctx.method, route, path: ctx.path.slice(0, 200), status, durationMs: Math.round(milliseconds * 10) / 10, ip: ctx.ip };
      const audits = takeDeferredLines();
      if (audits.length === 0) levelOf(status, ctx.path, logger)('request', request);
      // The event's fields go onto the request's own object (a copy of it for a second event)
      // rather than into a fresh object spread from both: this runs for every token issued.
      const auditLevel = status === CLIENT_CLOSED_REQUEST ? logger.warn : logger.info;
      for (const audit of audits) auditLevel(audit.message, Object.assign(audits.length === 1 ? request : { ...request }, audit.fields));
    }
  };
}

function levelOf(status: number, path: string, logger: Logger): Logger['info'] {
  if (status === CLIENT_CLOSED_REQUEST) return logger.warn;
  return QUIET_PATHS.has(path) ? logger.debug : logger.info;
}

/** A bounded label: oidc-provider's route name, the router's path template, or "unmatched". */
function routeOf(ctx: Context): string {
  const oidcRoute = (ctx as Context & { oidc?: { route?: string } }).oidc?.route;
  if (oidcRoute) return oidcRoute;
  const template = matchedRouteOf(ctx);
  if (template !== undefined) return template;
  return QUIET_PATHS.has(ctx.path) ? ctx.path : 'unmatched';
}
