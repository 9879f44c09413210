import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';

import { unavailableAsProviderError } from '../http/store-unavailable.js';
import type { ModelStore, RotationNotes, ValueStore } from '../store/store.js';
import { type Clock, epochSeconds } from '../time/clock.js';
import { contextOfCurrentRequest, GRANT_MODEL, grantIdOfPayload, wrapGrantHandlers } from './oidc-provider-internals.js';

/**
 * Seconds a refresh token whose rotation was never answered keeps answering with the successor it
 * was rotated to, while that successor is unused (RFC 9700 §4.14.2). Long enough for a client's
 * retries across a Redis restart or failover; short, since whoever holds the old token in that
 * time obtains the successor.
 */
export const ROTATION_RETRY_GRACE_SECONDS = 60;

const MODEL = 'RefreshToken';

/** Refresh requests being answered with the successor of a token that was already rotated. */
const answeringRetries = new WeakSet<object>();
/** Per refresh request, the token whose consume waits for its successor to be saved. */
const consumesAwaitingSuccessor = new WeakMap<object, string>();

/**
 * A refresh takes several store steps (consume the old token, save its successor, save the access
 * token), and any may fail, or be applied without the client hearing so (Redis can run a write and
 * fail before it answers; a write that timed out may still be run). The client then retries with
 * the old token, which must not read as reused: oidc-provider would revoke the whole grant.
 *
 * So the successor is saved first, and the old token is consumed after it, noting that successor
 * in the same atomic step: a failure before the consume leaves the old token as it was, and after
 * it a retry finds the successor. A rotation that was not answered keeps its note, and for
 * ROTATION_RETRY_GRACE_SECONDS a retry with the old token is answered with that same successor
 * (and a new access token) as long as the successor is unused. Of the requests that could answer
 * with a successor (the rotation, and retries that found its note), the one that claims the old
 * token first does: the others are a reuse racing it, and revoke the grant. The claim is a value
 * of its own, not the note on the old token's record, since a racing reuse that oidc-provider finds
 * itself deletes that record with the grant. Whoever answers also removes the note: any later use
 * of the old token is reuse, and revokes the grant. A claim or removal the store fails to confirm
 * does not fail the answer, which a retry could only repeat: at worst the note stays, and the window
 * with it. After the window, or once the successor was used, the old token is reused, and revokes
 * the grant.
 */
export function answerRetriedRotations(provider: Provider, store: ModelStore & RotationNotes & ValueStore, clock: Clock): void {
  wrapGrantHandlers(provider, (grantType, handler) => grantType !== 'refresh_token' ? handler : async (ctx) => {
    const presented = ctx.oidc.params?.refresh_token;
    if (typeof presented !== 'string') return handler(ctx);
    const successor = await unavailableAsProviderError(unusedSuccessorOf(store, presented, clock));
    if (successor !== undefined) {
      ctx.oidc.params!.refresh_token = successor;
      answeringRetries.add(ctx);
    }
    await handler(ctx);
    const [claimed] = await Promise.all([
      store.replaceValue(`answered:${MODEL}:${presented}`, undefined, '1', ROTATION_RETRY_GRACE_SECONDS).catch(() => true),
      store.forgetSuccessor(MODEL, presented).catch(() => undefined),
    ]);
    if (!claimed) {
      await unavailableAsProviderError(revokeGrantOf(store, MODEL, presented));
      throw new errors.InvalidGrant('refresh token already used');
    }
  });
}

/**
 * Removes the grant a record belongs to: the Grant first, which every token of it needs (a token
 * whose Grant is gone is refused everywhere), then its records, so that a revocation cut off
 * halfway has still ended the grant.
 */
export async function revokeGrantOf(store: ModelStore, model: string, id: string): Promise<void> {
  const grantId = grantIdOfPayload(await store.findModel(model, id));
  if (grantId === undefined) return;
  await store.destroyModel(GRANT_MODEL, grantId);
  await store.revokeGrant(grantId);
}

/** oidc-provider's `rotateRefreshToken`: every refresh rotates, except the answer to a retry, which hands out the successor again. */
export function rotatesRefreshToken(ctx: KoaContextWithOIDC): boolean {
  return !answeringRetries.has(ctx);
}

/** Whether the token was rotated within the grace window to a successor still unused, which a retry is answered with. */
export async function rotatedWithinGrace(store: ModelStore & RotationNotes, id: string, clock: Clock): Promise<boolean> {
  return (await unusedSuccessorOf(store, id, clock)) !== undefined;
}

async function unusedSuccessorOf(store: ModelStore & RotationNotes, id: string, clock: Clock): Promise<string | undefined> {
  const successor = await store.findSuccessor(MODEL, id);
  if (successor === undefined || epochSeconds(clock) - successor.consumedAt > ROTATION_RETRY_GRACE_SECONDS) return undefined;
  const record = await store.findModel(MODEL, successor.id);
  return record !== undefined && record.consumed === undefined ? successor.id : undefined;
}

/**
 * The store adapter's side: oidc-provider consumes the old refresh token, then saves its successor.
 * Within a request, the consume is held back until the successor is saved, then done noting it.
 */
export const refreshTokenRotation = {
  /** True when the consume of `id` waits for the successor, which the request is about to save. */
  deferConsume(model: string, id: string): boolean {
    const ctx = contextOfCurrentRequest();
    if (model !== MODEL || ctx === undefined) return false;
    consumesAwaitingSuccessor.set(ctx, id);
    return true;
  },

  /** The token that the record being saved replaces, when the request is rotating one. */
  takeReplaced(model: string): string | undefined {
    const ctx = contextOfCurrentRequest();
    if (model !== MODEL || ctx === undefined) return undefined;
    const replaced = consumesAwaitingSuccessor.get(ctx);
    consumesAwaitingSuccessor.delete(ctx);
    return replaced;
  },
};
