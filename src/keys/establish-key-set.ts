import { StoreUnavailableError } from '../store/store.js';
import { KeyDecryptionError } from './key-encryption.js';
import { signingKeyAt } from './key-ring.js';
import { parseHead } from './key-set-records.js';
import type { KeySetStore, Snapshot } from './key-set-store.js';
import { startingKeySet, type StartingKeys } from './starting-key-set.js';
import { lostStoreMessage, StoreLostError, type GenerationMemory, type StoreGeneration } from './store-generation.js';
import type { WholeFile } from './whole-file.js';

export const NO_ES256_KEY = 'the signing keys need a current ES256 (P-256) key with a kid to sign stagepass JWTs';

/** Instances setting a store up at once each read again what won; this many reads is far beyond any real race. */
const MAX_READS = 20;

export interface Establishing {
  records: KeySetStore;
  startingKeys: StartingKeys;
  /** The memory store's file, which a new generation starts from when it holds a key set. */
  keptIn?: WholeFile;
  /** Where the generation this instance served is remembered; none for a store gone with the process. */
  generation?: GenerationMemory;
  /** The store's clock. */
  now: () => number;
}

/**
 * The key set an instance starts from, and the generation of the store it serves. A store that
 * holds none is set up (a new generation, from the memory store's file or the JWKS file) unless
 * this instance served a generation of it already: then the store lost its state, and starting
 * would bring back what it forgot. Keys sealed under another key-encryption key are refused too.
 */
export async function establishKeySet(establishing: Establishing): Promise<{ snapshot: Snapshot; generation: StoreGeneration }> {
  const { records, startingKeys, generation, now } = establishing;
  const remembered = await generation?.remembered();
  let missingKeySetOf: string | undefined;
  for (let read = 0; read < MAX_READS; read += 1) {
    const raw = await records.readHead();
    if (raw === undefined && remembered !== undefined) throw new StoreLostError(lostStoreMessage(generation!, remembered));
    if (raw === undefined) {
      await setUp(establishing);
      continue;
    }
    const head = parseHead(raw);
    if ('earlier' in head) {
      // Written before there were heads: taken over whole, its keys taken to have signed the longest tokens.
      await records.createGeneration(startingKeySet(startingKeys, raw, records.sealedUnder, now()), now(), raw);
      continue;
    }
    const found = { id: head.generation, since: head.generationSince };
    if (remembered !== undefined && remembered.id !== found.id) throw new StoreLostError(lostStoreMessage(generation!, remembered, found));
    if (head.sealedUnder !== records.sealedUnder) throw new KeyDecryptionError('the signing keys in the store are sealed under another key-encryption key');
    const snapshot = await records.snapshotOf(raw, head);
    // Missing once, the key set was likely replaced by a rotation since the head was read; missing twice under one head, it was lost.
    if (snapshot === undefined && missingKeySetOf === raw) throw new StoreLostError(`the store lost stagepass's state: it no longer holds the key set ${head.keySet} its head names`);
    missingKeySetOf = raw;
    if (snapshot === undefined) continue;
    if (remembered === undefined) await generation?.remember(found);
    return { snapshot, generation: found };
  }
  throw new StoreUnavailableError('the signing keys changed under every attempt to read them; try again');
}

async function setUp({ records, startingKeys, keptIn, now }: Establishing): Promise<void> {
  const at = now();
  const starting = startingKeySet(startingKeys, await keptIn?.read(), records.sealedUnder, at);
  // Refused before it is stored, where it would refuse every instance after this one.
  if (!signingKeyAt(starting.ring, 'ES256', at)) throw new Error(NO_ES256_KEY);
  await records.createGeneration(starting, at);
}
