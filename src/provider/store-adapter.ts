import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';

import { unavailableAsProviderError } from '../http/store-unavailable.js';
import type { Store } from '../store/store.js';
import { epochSeconds, type Clock } from '../time/clock.js';
import type { ApiClients } from './api-clients.js';
import type { Endings } from './endings.js';
import type { GrantIndex } from './grant-index.js';
import { alreadyConsumed } from './oidc-provider-internals.js';

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
export function adapterFor(store: Store, { idleExpirySeconds, clock, grantIndex, apiClients, endings }: AdapterOptions): AdapterConstructor {
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
     * oidc-provider checks a code is unconsumed, then consumes it, and ignores what consume
     * answers: two requests racing with one code (on one instance or two) would both pass. The
     * store's consume is atomic, so the one that loses is refused here. Refresh tokens are consumed
     * by their own grant (refresh-token-grant), which decides what losing means for them.
     */
    async consume(id: string): Promise<void> {
      if (await unavailableAsProviderError(store.consumeModel(this.model, id))) return;
      throw alreadyConsumed();
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
