import { once } from 'node:events';
import { createServer, type Server } from 'node:http';

import type { Middleware } from 'koa';

import { bearerCheck } from '../http/bearer-check.js';
import type { Metrics, MetricsSource } from '../observability/metrics.js';

export const METRICS_PATH = '/metrics';

/** How /metrics is served: whether at all, on a port of its own or the main one, and the bearer token it asks for, if any. */
export interface MetricsServing {
  enabled: boolean;
  port?: number | undefined;
  bearerToken?: string | undefined;
}

/** GET /metrics on the main port, unless the configuration gives metrics a port of their own. */
export function metricsRoute(metrics: Metrics, config: MetricsServing): Middleware {
  const authorized = bearerCheck(config.bearerToken);
  return async (ctx, next) => {
    if (ctx.path !== METRICS_PATH || !config.enabled || config.port !== undefined) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.status = 405;
      ctx.set('Allow', 'GET, HEAD');
      return;
    }
    if (!authorized(ctx.get('authorization'))) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      ctx.body = { error: 'invalid_token', error_description: 'metrics need the configured bearer token' };
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  };
}

/** A server of its own that answers /metrics only, for a port that stays inside the network. */
export async function listenForMetrics(source: MetricsSource, config: MetricsServing & { port: number; host: string }): Promise<Server> {
  const authorized = bearerCheck(config.bearerToken);
  const server = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://metrics').pathname !== METRICS_PATH) {
      res.writeHead(404).end();
      return;
    }
    if (!authorized(req.headers.authorization ?? '')) {
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="metrics"' }).end();
      return;
    }
    source.text().then(
      (body) => res.writeHead(200, { 'Content-Type': source.contentType, 'Cache-Control': 'no-store' }).end(body),
      () => res.writeHead(503).end(),
    );
  });
  server.listen(config.port, config.host);
  await once(server, 'listening');
  return server;
}
