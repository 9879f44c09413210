import type { Middleware } from 'koa';

import { AWS_APIS_PREFIX } from './aws-apis.js';
import type { Lifecycle } from './health-routes.js';

/**
 * While the store's state cannot be used (it lost the generation this instance served), every
 * request is refused with 503 and why: minting against a store that forgot its bans, groups and
 * licenses would allow what was refused. The AWS-compatible APIs answer in their services' shape.
 * Health and metrics are mounted before this and keep answering.
 */
export function refuseWhileStoreLost(lifecycle: Lifecycle): Middleware {
  return async (ctx, next) => {
    const problem = lifecycle.storeLost;
    if (problem === undefined) return next();
    ctx.status = 503;
    ctx.set('Cache-Control', 'no-store');
    if (!ctx.path.startsWith(AWS_APIS_PREFIX)) {
      ctx.body = { error: 'temporarily_unavailable', error_description: problem };
      return;
    }
    ctx.set('x-amzn-ErrorType', 'ServiceUnavailableException');
    ctx.body = { __type: 'ServiceUnavailableException', message: problem };
  };
}
