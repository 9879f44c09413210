import { randomUUID } from 'node:crypto';

import { LayeredCollection } from '../store/layered-collection.js';
import type { Store } from '../store/store.js';
import { VersionedCollection, type Versioned } from '../store/versioned-collection.js';

/** A client's metadata as oidc-provider takes it, `client_secret` included. */
export type ClientMetadataRecord = Record<string, unknown> & { client_id: string; client_secret?: string };

export interface ApiClientRecord {
  metadata: ClientMetadataRecord;
  /** New on every write: the client's version as the Admin API shows it, which says nothing of its secret. */
  revision: string;
}

export type ApiClient = Versioned<ApiClientRecord>;

/** The model oidc-provider keeps registered clients in (RFC 7591), through the store adapter. */
const REGISTERED_CLIENT_MODEL = 'Client';

/**
 * The clients made through the Admin API: kept until deleted (registered clients expire unused),
 * seen by every instance at once, since the store adapter finds them on each `Client.find` before
 * the registered ones, and not managed through RFC 7592 (they have no registration access token,
 * and the adapter refuses any that names one of them).
 */
export class ApiClients {
  readonly #store: Store;
  readonly #stored: VersionedCollection<ApiClientRecord>;
  /** The configuration file's clients (their secrets left out), then those made here. */
  readonly collection: LayeredCollection<ApiClientRecord>;

  constructor(store: Store, configured: readonly ClientMetadataRecord[] = []) {
    this.#store = store;
    this.#stored = new VersionedCollection(store, { record: (id) => `api-client:${id}`, listing: 'api-clients' });
    this.collection = new LayeredCollection(
      configured.map(({ client_secret: _secret, ...metadata }): [string, ApiClientRecord] => [metadata.client_id, { metadata, revision: 'config' }]),
      [{ source: 'api', items: this.#stored }],
    );
  }

  async find(clientId: string): Promise<ApiClient | undefined> {
    return this.#stored.find(clientId);
  }

  /** The metadata oidc-provider builds the client from, or undefined for a client not made here. */
  async metadataOf(clientId: string): Promise<ClientMetadataRecord | undefined> {
    return (await this.#stored.find(clientId))?.item.metadata;
  }

  /** Whether a client registered itself (RFC 7591) under the id. */
  async isRegistered(clientId: string): Promise<boolean> {
    return (await this.#store.findModel(REGISTERED_CLIENT_MODEL, clientId)) !== undefined;
  }

  /** The record a write of this metadata stores, with a revision of its own. */
  recordOf(metadata: ClientMetadataRecord): ApiClientRecord {
    return { metadata, revision: randomUUID() };
  }

  /**
   * Creates the client (`expected` undefined) or replaces it from the version read; undefined when
   * it changed (or was made) in between.
   */
  async put(record: ApiClientRecord, expected: string | undefined): Promise<ApiClient | undefined> {
    return this.#stored.put(record.metadata.client_id, record, expected);
  }

  /** Deletes the client if it is still at `expected`; false when it changed or went in between. */
  async remove(clientId: string, expected: string): Promise<boolean> {
    return this.#stored.remove(clientId, expected);
  }
}
