import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

import type { SetStore, ValueStore } from '../../../store/store.js';
import { VersionedCollection } from '../../../store/versioned-collection.js';

export interface IvsPublicKey {
  arn: string;
  name: string;
  publicKeyMaterial: string;
  fingerprint: string;
  tags: Record<string, string>;
}

/**
 * The public keys of this IVS account: the one stagepass signs participant tokens with (from the
 * configuration, listed first) and those imported through the API, kept in the store.
 */
export class IvsPublicKeyDirectory {
  readonly #imported: VersionedCollection<IvsPublicKey>;

  constructor(private readonly serverKey: IvsPublicKey, store: ValueStore & SetStore) {
    this.#imported = new VersionedCollection(store, { record: (arn) => `ivs-public-key:${arn}`, listing: 'ivs-public-keys' });
  }

  async find(arn: string): Promise<IvsPublicKey | undefined> {
    return arn === this.serverKey.arn ? this.serverKey : (await this.#imported.find(arn))?.item;
  }

  async list(): Promise<IvsPublicKey[]> {
    return [this.serverKey, ...(await this.#imported.list()).map(({ item }) => item)];
  }

  /** Stores a key imported under its new ARN. */
  async import(key: IvsPublicKey): Promise<void> {
    if (!(await this.#imported.put(key.arn, key, undefined))) throw new Error(`a public key ${key.arn} exists already`);
  }
}

/** PEM as IVS takes it (SubjectPublicKeyInfo) and a fingerprint: SHA-256 of the DER, in hex pairs. */
export function describePublicKey(publicKey: KeyObject): { publicKeyMaterial: string; fingerprint: string } {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    publicKeyMaterial: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: createHash('sha256').update(der).digest('hex').match(/../g)!.join(':'),
  };
}

/** The key in a PEM text, or nothing when it is not a public key. */
export function parsePublicKey(pem: string): KeyObject | undefined {
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch {
    return undefined;
  }
}
