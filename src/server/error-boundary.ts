import type { Middleware } from 'koa';

import type { Logger } from './logger.js';

interface HttpError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  error?: string;
  error_description?: string;
  message?: string;
}

/**
 * The last line of defence: anything thrown outside oidc-provider's own error handling becomes an
 * RFC 6749 error body. Client mistakes keep their 4xx; only real faults become server_error.
 */
export function errorBoundary(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      const error = (thrown ?? {}) as HttpError;
      const status = error.statusCode ?? error.status ?? (thrown instanceof URIError ? 400 : 500);
      if (status >= 500 || !(error.expose ?? thrown instanceof URIError)) {
        logger.error('unhandled error', { path: ctx.path, method: ctx.method, error: String((thrown as Error)?.stack ?? thrown) });
        ctx.status = 500;
        ctx.body = { error: 'server_error', error_description: 'the server could not complete the request' };
        return;
      }
      ctx.status = status;
      ctx.body = {
        error: error.error ?? 'invalid_request',
        error_description: error.error_description ?? error.message ?? 'the request is malformed',
      };
    }
  };
}
