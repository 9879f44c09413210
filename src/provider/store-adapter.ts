import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';

import { temporarilyUnavailable, unavailableAsProviderError } from '../http/store-unavailable.js';
import type { ModelStore, RotationNotes, ValueStore } from '../store/store.js';
import { epochSeconds, type Clock } from '../time/clock.js';
import type { ApiClients } from './api-clients.js';
import type { Endings } from './endings.js';
import type { GrantIndex } from './grant-index.js';
import { alreadyConsumed } from './oidc-provider-internals.js';
import { refreshTokenRotation, revokeGrantOf, rotatedWithinGrace } from './refresh-rotation.js';

/**
 * oidc-provider asks the store to keep a device code exactly as long as it is valid, but answers
 * expired_token (RFC 8628 §3.5) only for a code it still finds: kept a while longer, a device that
 * polls past the end is told its code expired rather than that it never existed.
 */
const EXPIRED_DEVICE_CODE_RETENTION_SECONDS = 600;

/**
 * What a registration leaves behind (the client and its registration access token), which
 * oidc-provider would keep for ever: anyone may register, so each lives only while it is used.
 */
const KEPT_WHILE_USED = new Set(['Client', 'RegistrationAccessToken']);

/** A record in use has its lifetime started again at most this often, not on every use. */
const USE_RENEWAL_SECONDS = 86_400;

export interface AdapterOptions {
  /** Seconds a registered client (and its registration access token) lives unused. */
  idleExpirySeconds: number;
  clock: Clock;
  /** Told of every record before it is saved, to find a client's or an account's grants again. */
  grantIndex: GrantIndex;
  /** The clients made through the Admin API, found before the registered ones. */
  apiClients: ApiClients;
  /** What ends with a registered client that deletes itself (RFC 7592). */
  endings: Endings;
}

/**
 * Gives oidc-provider one adapter class per model, all writing through the same store. A store
 * that cannot answer becomes a 503 temporarily_unavailable in oidc-provider's own error handling,
 * rather than the server_error it gives anything it does not know.
 */
export function adapterFor(store: ModelStore & RotationNotes & ValueStore, { idleExpirySeconds, clock, grantIndex, apiClients, endings }: AdapterOptions): AdapterConstructor {
  /** Idle expiry, never past a client secret's own expiry nor a lifetime the caller asked for. */
  const lifetimeWhileUsed = (payload: AdapterPayload, expiresIn: number | undefined) => {
    const secretExpiresAt = Number(payload.client_secret_expires_at ?? 0);
    const untilSecretExpires = secretExpiresAt > 0 ? Math.max(1, secretExpiresAt - epochSeconds(clock)) : Infinity;
    return Math.min(idleExpirySeconds, expiresIn ?? Infinity, untilSecretExpires);
  };

  return class StoreAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const lifetime = this.#lifetime(payload, expiresIn);
      await unavailableAsProviderError(grantIndex.note(this.model, id, payload as Record<string, unknown>, lifetime));
      await unavailableAsProviderError(store.upsertModel(this.model, id, payload as Record<string, unknown>, lifetime));
      const replaced = refreshTokenRotation.takeReplaced(this.model);
      if (replaced !== undefined) await this.#consume(replaced, id);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        const made = await unavailableAsProviderError(apiClients.metadataOf(id));
        if (made) return made as AdapterPayload;
      }
      const payload = (await unavailableAsProviderError(store.findModel(this.model, id))) as AdapterPayload | undefined;
      if (payload && this.model === 'RegistrationAccessToken' && (await this.#namesApiClient(payload))) return undefined;
      if (payload && KEPT_WHILE_USED.has(this.model)) await unavailableAsProviderError(this.#renew(id, payload));
      return payload;
    }

    /** A client made through the Admin API changes only there, whatever registration access token is shown for its id. */
    async #namesApiClient(payload: AdapterPayload): Promise<boolean> {
      return typeof payload.clientId === 'string' && (await unavailableAsProviderError(apiClients.metadataOf(payload.clientId))) !== undefined;
    }

    #lifetime(payload: AdapterPayload, expiresIn: number | undefined): number | undefined {
      if (KEPT_WHILE_USED.has(this.model)) return lifetimeWhileUsed(payload, expiresIn);
      return this.model === 'DeviceCode' && expiresIn !== undefined ? expiresIn + EXPIRED_DEVICE_CODE_RETENTION_SECONDS : expiresIn;
    }

    /** Starts a used record's idle lifetime again, once a day at most. */
    async #renew(id: string, payload: AdapterPayload): Promise<void> {
      const renewed = `renewed:${this.model}:${id}`;
      if (await store.getValue(renewed)) return;
      await store.setValue(renewed, '1', Math.min(USE_RENEWAL_SECONDS, idleExpirySeconds));
      await store.upsertModel(this.model, id, payload as Record<string, unknown>, lifetimeWhileUsed(payload, undefined));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return (await unavailableAsProviderError(store.findModelByUid(this.model, uid))) as AdapterPayload | undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return (await unavailableAsProviderError(store.findModelByUserCode(this.model, userCode))) as AdapterPayload | undefined;
    }

    /**
     * oidc-provider checks a code or refresh token is unconsumed, then consumes it, and ignores what
     * consume answers: two requests racing with one token (on one instance or two) would both
     * pass. The store's consume is atomic, so the one that loses is refused here. A refresh token
     * used twice is a leaked one, however close together the uses: as oidc-provider does for a
     * reuse it sees, the whole grant is revoked, so the winner's new tokens die with it. A refresh
     * token is consumed only once its successor is saved (see refresh-rotation).
     */
    async consume(id: string): Promise<void> {
      if (refreshTokenRotation.deferConsume(this.model, id)) return;
      await this.#consume(id);
    }

    async #consume(id: string, successorId?: string): Promise<void> {
      if (await unavailableAsProviderError(store.consumeModel(this.model, id, successorId))) return;
      if (this.model === 'RefreshToken') {
        // Another rotation of this token got there first, still unanswered-for: perhaps this
        // client's own earlier attempt, whose write timed out and ran late. Retried, this request
        // is answered with that rotation's successor; a real reuse is still found out then.
        if (successorId !== undefined && (await unavailableAsProviderError(rotatedWithinGrace(store, id, clock)))) throw temporarilyUnavailable();
        await unavailableAsProviderError(revokeGrantOf(store, this.model, id));
      }
      throw alreadyConsumed(this.model);
    }

    /**
     * A client deleting its registration (RFC 7592) ends as one deleted through the Admin API does:
     * before, so that a failure leaves it to delete again; after, for a token saved in between.
     */
    async destroy(id: string): Promise<void> {
      if (this.model === 'Client') await unavailableAsProviderError(endings.endClient(id));
      await unavailableAsProviderError(store.destroyModel(this.model, id));
      if (this.model === 'Client') await unavailableAsProviderError(endings.endClient(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await unavailableAsProviderError(store.revokeGrant(grantId));
    }
  };
}
