import { randomBytes } from 'node:crypto';

import type { JWK } from 'jose';

import { KeyDecryptionError, openPrivateKey, type SealedKey } from './key-encryption.js';
import type { KeyRing, RingKey } from './key-ring.js';
import { publicJwkOf } from './server-signing-key.js';

/**
 * The small record every instance reads at each refresh, whatever the number of keys: which
 * generation of the store, which key set, sealed under which key, and what the keys signed.
 */
export const KEY_RING_RECORD = 'signing-keys';

/** A key set's own record: written once under a new id, never changed, deleted once replaced. */
export const keySetRecord = (id: string): string => `${KEY_RING_RECORD}:${id}`;

export interface KeySetHead {
  /** The store's generation, named when stagepass first set the store up. */
  generation: string;
  /** When that was, epoch milliseconds by the store's clock. */
  generationSince: number;
  /** The id of the key set's record. */
  keySet: string;
  /** The key-encryption key its private keys are sealed under (`keyEncryptionKeyId`). */
  sealedUnder: string;
  /** By kid: the latest expiry, in epoch seconds, of the long-lived tokens the key signed. */
  signedUntil: Record<string, number>;
}

/** A key as the store keeps it: its public JWK and times in clear, its private JWK sealed. */
interface StoredKey extends Omit<RingKey, 'privateJwk' | 'signedUntil'> {
  publicJwk: JWK;
  sealed: SealedKey;
}

/**
 * A key set's record. Written before there were heads, the one record held the keys alone, and a
 * server on the memory store keeps the notes of what they signed beside them in its file.
 */
interface StoredKeySet {
  sealedUnder?: string;
  keys: StoredKey[];
  signedUntil?: Record<string, number>;
}

/** A key set's record as read and opened: its keys (without what they signed), and each key's sealed form. */
export interface OpenedKeySet {
  raw: string;
  keys: RingKey[];
  sealed: ReadonlyMap<string, SealedKey>;
}

/** The key set alone, as the record stagepass wrote before there were heads holds it. */
export interface EarlierKeySet {
  earlier: string;
}

export function newRecordId(): string {
  return randomBytes(16).toString('base64url');
}

export function parseHead(raw: string): KeySetHead | EarlierKeySet {
  const value = JSON.parse(raw) as KeySetHead | StoredKeySet;
  return 'keys' in value ? { earlier: raw } : value;
}

export function encodeKeySet(keys: readonly RingKey[], sealedUnder: string, seal: (key: RingKey) => SealedKey): string {
  const stored: StoredKeySet = {
    sealedUnder,
    keys: keys.map((key) => {
      const { privateJwk, signedUntil: _notedApart, ...times } = key;
      return { ...times, publicJwk: publicJwkOf(privateJwk), sealed: seal(key) };
    }),
  };
  return JSON.stringify(stored);
}

/**
 * Opens every key of a key set's record: one that does not open under `encryptionKey` refuses the
 * whole set, so that nothing sealed under another key is ever written back beside this one's.
 */
export function openKeySet(raw: string, encryptionKey: Buffer, sealedUnder: string): OpenedKeySet {
  const stored = JSON.parse(raw) as StoredKeySet;
  if (stored.sealedUnder !== undefined && stored.sealedUnder !== sealedUnder) {
    throw new KeyDecryptionError('the signing keys are sealed under another key-encryption key');
  }
  const sealed = new Map<string, SealedKey>();
  const keys = stored.keys.map(({ publicJwk: _public, sealed: sealedKey, ...times }): RingKey => {
    sealed.set(times.kid, sealedKey);
    return { ...times, privateJwk: openPrivateKey(sealedKey, times.kid, encryptionKey) };
  });
  return { raw, keys, sealed };
}

/** The notes a memory store's file keeps beside its key set, if any. */
export function notesKeptWith(raw: string): Record<string, number> | undefined {
  return (JSON.parse(raw) as StoredKeySet).signedUntil;
}

/** A key set with the notes of what its keys signed, for a file that is all a memory store keeps. */
export function keptWithNotes(keySet: string, signedUntil: Record<string, number>): string {
  return JSON.stringify({ ...(JSON.parse(keySet) as StoredKeySet), signedUntil });
}

/** The ring as it decides statuses: each key with what it signed, published that much (and the lag) longer. */
export function ringWithNotes(keys: readonly RingKey[], signedUntil: Readonly<Record<string, number>>, lagMs: number): KeyRing {
  return {
    keys: keys.map((key) => {
      const noted = signedUntil[key.kid];
      return noted === undefined ? key : { ...key, signedUntil: noted * 1000 + lagMs };
    }),
  };
}

/** The notes of the keys still in the ring: a key gone from it needs none. */
export function notesOf(ring: KeyRing, signedUntil: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(ring.keys.flatMap((key) => (signedUntil[key.kid] === undefined ? [] : [[key.kid, signedUntil[key.kid]!]])));
}
