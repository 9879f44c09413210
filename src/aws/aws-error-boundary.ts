import type { Middleware } from 'koa';

import type { Audit } from '../observability/audit.js';
import type { Logger } from '../observability/logger.js';
import { ClientDisconnected } from '../http/raw-body.js';
import { isStoreUnavailable, STORE_RETRY_AFTER_SECONDS, STORE_UNAVAILABLE_DESCRIPTION } from '../http/store-unavailable.js';
import { AwsError, type ErrorDialect } from './aws-error.js';
import { claimedAccessKeyId, SigV4Error } from './sigv4.js';

/** Refusals of a caller, recorded in the audit trail as the OAuth endpoints record theirs. */
const DENIAL_STATUSES = new Set([401, 403, 429]);

/**
 * Every answer under an AWS-compatible route is in that service's protocol, errors included: an SDK
 * that got an OAuth error body would only see an unknown error. A store that cannot answer is a
 * 503 the SDK retries; anything unexpected is logged and answered as the service's internal error.
 */
export function awsErrorBoundary(dialect: ErrorDialect, { logger, audit }: { logger: Logger; audit: Audit }): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      // No answer reaches a client that went away; the request log records it as such.
      if (thrown instanceof ClientDisconnected) throw thrown;
      const error = asAwsError(thrown, dialect, logger, ctx.path);
      ctx.status = error.status;
      ctx.set('x-amzn-ErrorType', error.exception);
      if (error.details.retryAfter !== undefined) ctx.set('Retry-After', error.details.retryAfter);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = dialect.body(error);
      if (DENIAL_STATUSES.has(error.status) && !error.details.audited) {
        audit.denied({ clientId: claimedAccessKeyId(ctx.get('authorization')), reason: error.exception, description: error.message, path: ctx.path, ip: ctx.ip });
      }
    }
  };
}

function asAwsError(thrown: unknown, dialect: ErrorDialect, logger: Logger, path: string): AwsError {
  if (thrown instanceof AwsError) return thrown;
  if (thrown instanceof SigV4Error) return new AwsError(thrown.exception, 403, thrown.message);
  // oidc-provider's models (a client looked up for SigV4) report an unreachable store as its own error.
  if (isStoreUnavailable(thrown)) {
    logger.warn('store unavailable', { path, error: thrown.message });
    return new AwsError('ServiceUnavailableException', 503, STORE_UNAVAILABLE_DESCRIPTION, {
      oauthError: 'temporarily_unavailable',
      retryAfter: String(STORE_RETRY_AFTER_SECONDS),
    });
  }
  logger.error('unhandled error', { path, error: String((thrown as Error)?.stack ?? thrown) });
  return dialect.internal('the server could not complete the request');
}
