import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Middleware } from 'koa';

import type { Config } from './config.js';
import type { Logger } from '../observability/logger.js';
import type { StoreLifecycle } from '../store/store.js';
import type { Lifecycle } from './health-routes.js';

/** The parts of a running stagepass that a shutdown stops. */
export interface Stoppable {
  lifecycle: Lifecycle;
  logger: Logger;
  store: StoreLifecycle;
  signingKeys: { stop(): void };
  config: Pick<Config, 'shutdownDrainSeconds' | 'shutdownGraceSeconds'>;
}

/** Responses sent while shutting down close their connection, so keep-alive clients reconnect elsewhere. */
export function closeConnectionsWhileDraining(lifecycle: Lifecycle): Middleware {
  return async (ctx, next) => {
    await next();
    if (lifecycle.draining) ctx.set('Connection', 'close');
  };
}

/**
 * Drains, then stops accepting connections, lets the requests in flight finish (cut off after the
 * grace period) and closes the store. /readyz answers 503 from the first moment.
 */
export async function shutDownGracefully(stagepass: Stoppable, servers: Server[]): Promise<void> {
  const { lifecycle, logger, store, signingKeys, config } = stagepass;
  lifecycle.draining = true;
  logger.info('shutting down', { drainSeconds: config.shutdownDrainSeconds, graceSeconds: config.shutdownGraceSeconds });
  // A load balancer keeps sending until its next probe of /readyz, on new connections and on idle
  // keep-alive ones; closing those now would reset the request it is sending at that moment.
  // Each answer says Connection: close instead, so the connections wind down as they are used.
  await sleep(config.shutdownDrainSeconds * 1000);
  logger.info('drained; no longer accepting connections');
  const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
  for (const server of servers) server.closeIdleConnections();
  const deadline = setTimeout(() => {
    logger.warn('grace period over; closing the connections still open');
    for (const server of servers) server.closeAllConnections();
  }, config.shutdownGraceSeconds * 1000);
  await Promise.all(closed);
  clearTimeout(deadline);
  signingKeys.stop();
  await store.close();
  logger.info('stopped');
}
