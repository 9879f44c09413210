import type { Middleware } from 'koa';

import type { Store } from '../store/store.js';

/** Set when the server begins to shut down, so load balancers stop sending it requests. */
export interface Lifecycle {
  draining: boolean;
}

export const HEALTH_PATHS = ['/healthz', '/readyz'];

/**
 * `/healthz`: the process is up and its event loop answers (liveness: restart it if not).
 * `/readyz`: it can serve requests now, its store answering within the timeout and no shutdown
 * under way (readiness: send it traffic only if so).
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
    const storeAnswers = await withTimeout(store.ping(), storeTimeoutMs);
    ctx.status = storeAnswers ? 200 : 503;
    ctx.body = { status: storeAnswers ? 'ready' : 'unavailable', store: storeAnswers ? 'ok' : 'unreachable' };
  };
}

function withTimeout(check: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([check.catch(() => false), timeout]).finally(() => clearTimeout(timer));
}
