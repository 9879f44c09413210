import type { StoreClock, ValueStore } from '../store/store.js';
import { keyEncryptionKeyId, sealPrivateKey, type SealedKey } from './key-encryption.js';
import type { KeyRing } from './key-ring.js';
import {
  encodeKeySet, KEY_RING_RECORD, keySetRecord, newRecordId, openKeySet, type KeySetHead, type OpenedKeySet,
} from './key-set-records.js';
import type { StartingKeySet } from './starting-key-set.js';

/** One read of the store: its head as read, and the key set it names, opened. */
export interface Snapshot {
  raw: string;
  head: KeySetHead;
  keySet: OpenedKeySet;
}

/**
 * The key set's records in the store, kept until replaced or deleted: the small head every
 * instance reads at each refresh, and the key set it names, written once under a new id and
 * deleted once no head names it. A head is only ever written over the one it was computed from,
 * so racing writers never lose each other's change.
 */
export class KeySetStore {
  /** The key-encryption key this instance seals under, by its id. */
  readonly sealedUnder: string;

  constructor(
    private readonly store: ValueStore & StoreClock,
    private readonly encryptionKey: Buffer,
  ) {
    this.sealedUnder = keyEncryptionKeyId(encryptionKey);
  }

  readHead(): Promise<string | undefined> {
    return this.store.getValue(KEY_RING_RECORD);
  }

  clockOffset(): Promise<number> {
    return this.store.clockOffset();
  }

  /**
   * The head with the key set it names, opened: every private key opens under this instance's
   * key, or none is taken. `held`, when it names the same key set, gives it without a read (a key
   * set's record never changes). Undefined when that record is gone: replaced since the head was
   * read, or lost.
   */
  async snapshotOf(raw: string, head: KeySetHead, held?: Snapshot): Promise<Snapshot | undefined> {
    if (held?.head.keySet === head.keySet) return { raw, head, keySet: held.keySet };
    const keySet = await this.store.getValue(keySetRecord(head.keySet));
    return keySet === undefined ? undefined : { raw, head, keySet: openKeySet(keySet, this.encryptionKey, this.sealedUnder) };
  }

  /** A new key set's record; each key is sealed once, and kept as it was sealed after. */
  async writeKeySet(ring: KeyRing, sealed: ReadonlyMap<string, SealedKey>): Promise<OpenedKeySet & { id: string }> {
    const sealedNow = new Map(ring.keys.map((key) => [key.kid, sealed.get(key.kid) ?? sealPrivateKey(key.privateJwk, key.kid, this.encryptionKey)]));
    const raw = encodeKeySet(ring.keys, this.sealedUnder, (key) => sealedNow.get(key.kid)!);
    const id = newRecordId();
    await this.store.setValue(keySetRecord(id), raw);
    return { id, raw, keys: ring.keys.map(({ signedUntil: _notedInTheHead, ...key }) => key), sealed: sealedNow };
  }

  /**
   * Keeps the key set's record until it is deleted, before a head noting tokens it signed names
   * it: one an earlier stagepass wrote has a lifetime of its own (ten years from its writing),
   * which tokens noted since may outlive. Only while it is still there, so that one a rotation
   * deleted meanwhile stays gone.
   */
  async keepUntilDeleted(keySet: OpenedKeySet & { id: string }): Promise<void> {
    await this.store.replaceValue(keySetRecord(keySet.id), keySet.raw, keySet.raw);
  }

  /** Writes `head` only if the head is `from` now (`undefined`: absent); answers what it wrote, or undefined. */
  async replaceHead(from: string | undefined, head: KeySetHead): Promise<string | undefined> {
    const raw = JSON.stringify(head);
    return (await this.store.replaceValue(KEY_RING_RECORD, from, raw)) ? raw : undefined;
  }

  /**
   * A new generation of the store, starting from `starting`, written where the head is `replacing`
   * (absent unless given). Of several instances racing to, one wins whole; the others' key sets go.
   */
  async createGeneration({ ring, signedUntil }: StartingKeySet, now: number, replacing?: string): Promise<void> {
    const keySet = await this.writeKeySet(ring, new Map());
    const head: KeySetHead = { generation: newRecordId(), generationSince: now, keySet: keySet.id, sealedUnder: this.sealedUnder, signedUntil };
    if ((await this.replaceHead(replacing, head)) === undefined) await this.deleteKeySet(keySet.id);
  }

  /** A key set no head names any more; one a failure here leaves behind is never read again. */
  async deleteKeySet(id: string): Promise<void> {
    await this.store.deleteValue(keySetRecord(id)).catch(() => undefined);
  }
}
