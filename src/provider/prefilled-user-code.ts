import type { Middleware } from 'koa';

import { PREFILLED_USER_CODE } from './provider-pages.js';

/**
 * oidc-provider submits a user code from verification_uri_complete straight away; stagepass shows
 * it in the entry form instead, so the person sees what they are about to confirm.
 */
export function prefillUserCode(codeVerificationPath: string): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === codeVerificationPath && typeof ctx.query.user_code === 'string') {
      (ctx.state as Record<symbol, string>)[PREFILLED_USER_CODE] = ctx.query.user_code.slice(0, 64);
      const query = new URLSearchParams(ctx.querystring);
      query.delete('user_code');
      ctx.querystring = query.toString();
    }
    await next();
  };
}
