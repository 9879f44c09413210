import type { Middleware } from 'koa';

import type { StoreHealth, StoreLifecycle } from '../store/store.js';

/** What keeps the server from taking requests, so load balancers stop sending it any. */
export interface Lifecycle {
  /** Set when the server begins to shut down. */
  draining: boolean;
  /** Why the store's state cannot be used (it lost the generation this instance served); undefined while it can. */
  storeLost: string | undefined;
}

export const HEALTH_PATHS = ['/healthz', '/readyz'];

/**
 * `/healthz`: the process is up and its event loop answers (liveness: restart it if not).
 * `/readyz`: it can serve requests now, its store answering within the timeout and taking
 * writes and holding the state this instance served, and no shutdown under way (readiness: send
 * it traffic only if so). Its body says which failed: `store` is `unreachable`, `full` (Redis at
 * maxmemory refuses writes) or `lost` (it lost stagepass's state).
 */
export function healthRoutes(store: StoreLifecycle, lifecycle: Lifecycle, storeTimeoutMs: number): Middleware {
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
    if (lifecycle.storeLost !== undefined) {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', store: 'lost' };
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
