import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

import type { Store } from '../../store/store.js';

export interface IvsPublicKey {
  arn: string;
  name: string;
  publicKeyMaterial: string;
  fingerprint: string;
  tags: Record<string, string>;
}

/** Imported keys last until deleted; the store wants a lifetime, so one far beyond any key's use. */
const UNTIL_DELETED_SECONDS = 10 * 365 * 86_400;
const keyRecord = (arn: string) => `ivs-public-key:${arn}`;
const IMPORTED_KEYS = 'ivs-public-keys';

/**
 * The public keys of this IVS account: the one stagepass signs participant tokens with (from the
 * configuration, listed first) and those imported through the API, kept in the store.
 */
export class IvsPublicKeyDirectory {
  constructor(private readonly serverKey: IvsPublicKey, private readonly store: Store) {}

  async find(arn: string): Promise<IvsPublicKey | undefined> {
    if (arn === this.serverKey.arn) return this.serverKey;
    const json = await this.store.getValue(keyRecord(arn));
    return json === undefined ? undefined : (JSON.parse(json) as IvsPublicKey);
  }

  async list(): Promise<IvsPublicKey[]> {
    const arns = (await this.store.setMembers(IMPORTED_KEYS)).sort();
    const imported = await Promise.all(arns.map((arn) => this.find(arn)));
    return [this.serverKey, ...imported.filter((key): key is IvsPublicKey => key !== undefined)];
  }

  /** Listed first, recorded second: a listing without its record is skipped, so an import cut off halfway shows nowhere. */
  async import(key: IvsPublicKey): Promise<void> {
    await this.store.addToSet(IMPORTED_KEYS, key.arn, UNTIL_DELETED_SECONDS);
    await this.store.setValue(keyRecord(key.arn), JSON.stringify(key), UNTIL_DELETED_SECONDS);
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
