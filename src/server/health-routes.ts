import type { Middleware } from 'koa';

import type { Store, StoreHealth } from '../store/store.js';

/** Set when the server begins to shut down, so load balancers stop sending it requests. */
export interface Lifecycle {
  draining: boolean;
}

export const HEALTH_PATHS = ['/healthz', '/readyz'];

/**
 * `/healthz`: the process is up and its event loop answers (liveness: restart it if not).
 * `/readyz`: it can serve requests now, its store answering within the timeout and taking
 * writes, and no shutdown under way (readiness: send it traffic only if so). Its body says which
 * failed: `store` is `unreachable`, or `full` (Redis at maxmemory refuses writes).
 */
export function healthRoutes(store: Store, lifecycle: Lifecycle, storeTimeoutMs: number): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/healthz' && ctx.path !== '/readyz') return next();
    ctx.set('Cache-Control', 'no-store');
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (lifecycle.draining) {
      ctx.status = 503;
      ctx.body = { status: 'draining' };
      return;
    }
    const health = await withTimeout(store.health(), storeTimeoutMs);
    ctx.status = health === 'ok' ? 200 : 503;
    ctx.body = { status: health === 'ok' ? 'ready' : 'unavailable', store: health };
  };
}

function withTimeout(check: Promise<StoreHealth>, ms: number): Promise<StoreHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<StoreHealth>((resolve) => {
    timer = setTimeout(() => resolve('unreachable'), ms);
  });
  return Promise.race([check.catch((): StoreHealth => 'unreachable'), timeout]).finally(() => clearTimeout(timer));
}
