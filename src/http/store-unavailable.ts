import type { Context } from 'koa';
import { errors } from 'oidc-provider';

import { StoreUnavailableError } from '../store/store.js';
import { withStatus } from './with-status.js';

/** Seconds a client is asked to wait when the store cannot answer. */
export const STORE_RETRY_AFTER_SECONDS = 2;

export const STORE_UNAVAILABLE_DESCRIPTION = 'the server cannot reach its storage; retry shortly';

/** The store, directly or through oidc-provider's models (which report it as their own error). */
export function isStoreUnavailable(thrown: unknown): thrown is Error {
  return thrown instanceof StoreUnavailableError || thrown instanceof errors.TemporarilyUnavailable;
}

/** The answer an OAuth client gets: a 503 it may retry, and when. */
export function answerStoreUnavailable(ctx: Context): void {
  ctx.status = 503;
  ctx.set('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
  ctx.body = { error: 'temporarily_unavailable', error_description: STORE_UNAVAILABLE_DESCRIPTION };
}

/** The same answer as oidc-provider's own error, for code that runs inside its request handling. */
export function temporarilyUnavailable(): InstanceType<typeof errors.TemporarilyUnavailable> {
  return withStatus(new errors.TemporarilyUnavailable(STORE_UNAVAILABLE_DESCRIPTION), 503);
}

/** Runs a store call inside oidc-provider, turning an unreachable store into its 503 error. */
export async function unavailableAsProviderError<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw temporarilyUnavailable();
    throw error;
  }
}
