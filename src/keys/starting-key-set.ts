import { seededRing, type KeyRing, type RingKey } from './key-ring.js';
import { notesKeptWith, openKeySet } from './key-set-records.js';
import type { PrivateJwks } from './signing-keys.js';

/** The keys a new generation of the store starts from, and what they are taken to have signed. */
export interface StartingKeySet {
  ring: KeyRing;
  /** By kid, epoch seconds, as the head notes them. */
  signedUntil: Record<string, number>;
}

export interface StartingKeys {
  /** The keys of the JWKS file. */
  seed: PrivateJwks;
  encryptionKey: Buffer;
  tokenLifetimeSeconds: Readonly<Record<string, number>>;
  longestTokenSeconds: Readonly<Record<string, number>>;
}

/**
 * What `kept` holds (the file a memory store's server keeps its key set in, or a key set written
 * before there were heads), else the keys of the JWKS file. Keys whose signing was never noted may
 * have signed the longest tokens their algorithm allows, before: they are noted so.
 */
export function startingKeySet(keys: StartingKeys, kept: string | undefined, sealedUnder: string, now: number): StartingKeySet {
  if (kept === undefined) {
    const ring = seededRing(keys.seed.keys);
    return { ring, signedUntil: assumedNotes(ring.keys, keys, now) };
  }
  const opened = openKeySet(kept, keys.encryptionKey, sealedUnder);
  return { ring: { keys: opened.keys }, signedUntil: notesKeptWith(kept) ?? assumedNotes(opened.keys, keys, now) };
}

function assumedNotes(ring: readonly RingKey[], { tokenLifetimeSeconds, longestTokenSeconds }: StartingKeys, now: number): Record<string, number> {
  return Object.fromEntries(ring.flatMap((key) => {
    const longest = longestTokenSeconds[key.alg] ?? 0;
    return longest > (tokenLifetimeSeconds[key.alg] ?? 0) ? [[key.kid, Math.ceil(now / 1000) + longest]] : [];
  }));
}
