import type { Middleware } from 'koa';

import { answerStoreUnavailable, isStoreUnavailable, STORE_RETRY_AFTER_SECONDS } from './store-unavailable.js';
import type { Audit } from '../observability/audit.js';
import type { Logger } from '../observability/logger.js';

interface HttpError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  error?: string;
  error_description?: string;
  message?: string;
}

/** Refusals of a caller (rather than of a malformed request), recorded in the audit trail. */
const DENIAL_STATUSES = new Set([401, 403, 429]);

/**
 * The last line of defence: anything thrown outside oidc-provider's own error handling (the
 * minters' routes among them) becomes an RFC 6749 error body. Client mistakes keep their 4xx; a
 * store that cannot answer is a 503 the client may retry; only real faults become server_error.
 */
export function errorBoundary(logger: Logger, audit: Audit): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // oidc-provider renders its own 503s (a store that cannot answer) without saying when to retry.
      if (ctx.status === 503 && !ctx.response.get('Retry-After')) ctx.set('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
    } catch (thrown) {
      if (isStoreUnavailable(thrown)) {
        logger.warn('store unavailable', { path: ctx.path, method: ctx.method, error: thrown.message });
        answerStoreUnavailable(ctx);
        return;
      }
      const error = (thrown ?? {}) as HttpError;
      const status = error.statusCode ?? error.status ?? (thrown instanceof URIError ? 400 : 500);
      if (status >= 500 || !(error.expose ?? thrown instanceof URIError)) {
        logger.error('unhandled error', { path: ctx.path, method: ctx.method, error: String((thrown as Error)?.stack ?? thrown) });
        ctx.status = 500;
        ctx.body = { error: 'server_error', error_description: 'the server could not complete the request' };
        return;
      }
      const body = {
        error: error.error ?? 'invalid_request',
        error_description: error.error_description ?? error.message ?? 'the request is malformed',
      };
      ctx.status = status;
      ctx.body = body;
      if (DENIAL_STATUSES.has(status)) audit.denied({ reason: body.error, description: body.error_description, path: ctx.path, ip: ctx.ip });
    }
  };
}
