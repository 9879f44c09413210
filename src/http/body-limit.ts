import type { Middleware } from 'koa';

/**
 * Refuses, before anything reads it, a body that declares more bytes than any route accepts. Bodies
 * sent without a length are bounded by their readers (oidc-provider's and the form reader's limits).
 * Routes under `exceptUnder` refuse oversized bodies themselves, in their own protocol.
 */
export function limitBodySize(maxBytes: number, { exceptUnder }: { exceptUnder: string }): Middleware {
  return (ctx, next) => {
    const declared = ctx.request.length;
    if (declared !== undefined && declared > maxBytes && !ctx.path.startsWith(exceptUnder)) {
      ctx.status = 413;
      ctx.set('Connection', 'close');
      ctx.body = { error: 'invalid_request', error_description: `the request body exceeds ${maxBytes} bytes` };
      return;
    }
    return next();
  };
}
