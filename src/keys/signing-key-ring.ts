import type { JWK } from 'jose';

import { StoreUnavailableError, type StoreClock, type ValueStore } from '../store/store.js';
import type { Clock } from '../time/clock.js';
import { establishKeySet, NO_ES256_KEY } from './establish-key-set.js';
import { ROTATED_ALGORITHMS, rotate, signingKeyAt, withdraw, type KeyRing } from './key-ring.js';
import { keptWithNotes, notesOf, parseHead, ringWithNotes, type KeySetHead, type OpenedKeySet } from './key-set-records.js';
import { KeySetStore, type Snapshot } from './key-set-store.js';
import { describeKey, viewAt, type KeyDescription, type PublishedView } from './published-view.js';
import { importPs384Key, ps384TwinOf, type LeaseSigningKey, type Ps384SigningKey, type ServerSigningKey, type SigningKey } from './server-signing-key.js';
import { generateSigningJwk, type PrivateJwks } from './signing-keys.js';
import { StoreLostError, type GenerationMemory, type StoreGeneration } from './store-generation.js';
import type { WholeFile } from './whole-file.js';

export { KEY_RING_RECORD } from './key-set-records.js';
export { KeyNotRetiredError, TooManyKeysError } from './key-ring.js';
export type { KeyDescription } from './published-view.js';

/** How often an instance reads the key set's head again: a rotation elsewhere is published here within this. */
export const KEY_RING_REFRESH_MS = 500;

/**
 * A retired key stays published this much longer than the longest token it may have signed, and a
 * key due to sign within this is taken for one that may sign already: an instance learns of a
 * change at its next read of the key set, and a read may wait on the store.
 */
const LAG_ALLOWANCE_MS = 60_000;

/** Relying parties fetch the whole set, and every instance holds it. */
const MAX_KEYS_PER_ALGORITHM = 20;

/** What a long-lived token's expiry is rounded up to when noted: a key signing all day writes its note once. */
const NOTE_GRANULARITY_SECONDS = 86_400;

/** Writes racing on several instances each retry from what won; this many tries is far beyond any real race. */
const MAX_WRITE_ATTEMPTS = 20;

export class RotationUnderWayError extends Error {
  override name = 'RotationUnderWayError';
}

export interface SigningKeyRingOptions {
  store: ValueStore & StoreClock;
  /** This process's clock; the ring reads it set right by the store's (`StoreClock.clockOffset`). */
  clock: Clock;
  /** AES-256 key the private keys are encrypted under in the store. */
  encryptionKey: Buffer;
  /** The keys of the JWKS file, which become the key set when a store is first set up. */
  seed: PrivateJwks;
  promoteAfterSeconds: number;
  /**
   * Per algorithm, the longest a token signed with such a key stays valid without being noted
   * (`ServerSigningKey.keyFor` notes the longer ones): a retired key stays published that long.
   */
  tokenLifetimeSeconds: Readonly<Record<string, number>>;
  /**
   * Per algorithm, the longest any token may stay valid: a key whose signing was never noted (the
   * JWKS file's, or one of a key set written before notes were kept) is taken to have signed such.
   */
  longestTokenSeconds: Readonly<Record<string, number>>;
  /**
   * Where the key set is also kept, encrypted as in the store, when the store does not outlive
   * the process (the memory store): a restart then comes back to the rotated keys, not to the
   * JWKS file's.
   */
  keptIn?: WholeFile;
  /** Where the generation of a store that outlives the process is remembered, to notice one that lost it. */
  generation?: GenerationMemory;
  /** How a rotation makes its new keys: `generateSigningJwk` unless given. */
  generateKey?: (alg: (typeof ROTATED_ALGORITHMS)[number]) => Promise<JWK>;
  /** The first of a run of failed refreshes (the store unreachable): the instance keeps the keys it has. */
  onRefreshError?: (error: Error) => void;
}

/**
 * The signing keys every instance shares through the store. Each instance reads the store's small
 * head record every `KEY_RING_REFRESH_MS`, and the key set itself only when the head names another
 * one, and derives from the times in it and the store's clock which keys are published and which
 * sign: a rotation on one instance is published by all within that, and a promotion happens on
 * all at the same moment of the store's clock, without anyone announcing it.
 *
 * The head also names the store's generation: an instance that finds it gone or changed (the store
 * lost its data) adopts nothing from the store and writes nothing to it, and says so
 * (`onStoreStateChange`), until the same generation is back.
 */
export class SigningKeyRing {
  readonly #options: SigningKeyRingOptions;
  readonly #records: KeySetStore;
  readonly #generation: StoreGeneration;
  readonly #listeners: (() => void)[] = [];
  readonly #storeStateListeners: ((problem: string | undefined) => void)[] = [];
  #snapshot: Snapshot;
  #ring: KeyRing;
  #view: PublishedView | undefined;
  /** Milliseconds the store's clock is ahead of this process's, as last measured. */
  #clockOffset: number;
  /** Why the store's state cannot be used now; undefined while it can. */
  #storeProblem: string | undefined;
  /** The head whose key set was missing at the last refresh: missing again, it was lost. */
  #missingKeySetOf: string | undefined;
  /** Reads are numbered as they start: what a later one found is never replaced by an earlier one's. */
  #reads = 0;
  #appliedRead = 0;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #rotating = false;
  #noting: { kid: string; until: number; done: Promise<void> } | undefined;
  /** Reported once per run of failed refreshes, not every half second of an outage. */
  #failing = false;

  private constructor(options: SigningKeyRingOptions, records: KeySetStore, opened: { snapshot: Snapshot; generation: StoreGeneration; clockOffset: number }) {
    this.#options = options;
    this.#records = records;
    this.#generation = opened.generation;
    this.#clockOffset = opened.clockOffset;
    this.#snapshot = opened.snapshot;
    this.#ring = this.#ringOf(opened.snapshot);
    this.#updateView();
    if (!this.#view!.serverKey) throw new Error(NO_ES256_KEY);
  }

  /**
   * Reads the key set, setting the store up first when it holds none and this instance served no
   * generation of it. Fails when the store lost the generation this instance served, when its keys
   * are sealed under another key-encryption key, or when no ES256 key signs: a server that cannot
   * sign, or would sign with what a lost store forgot, should not start.
   */
  static async open(options: SigningKeyRingOptions): Promise<SigningKeyRing> {
    const records = new KeySetStore(options.store, options.encryptionKey);
    const clockOffset = await records.clockOffset();
    const opened = await establishKeySet({
      records, startingKeys: options, keptIn: options.keptIn, generation: options.generation, now: () => options.clock.now() + clockOffset,
    });
    return new SigningKeyRing(options, records, { ...opened, clockOffset });
  }

  /** Refreshes every `KEY_RING_REFRESH_MS` until `stop`; the timer keeps no process alive. */
  start(): this {
    this.#timer ??= setInterval(() => {
      this.refresh().then(
        () => {
          this.#failing = false;
        },
        (error: Error) => {
          if (!this.#failing) this.#options.onRefreshError?.(error);
          this.#failing = true;
        },
      );
    }, KEY_RING_REFRESH_MS).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Called whenever the published keys or their statuses change, to hand them on (to oidc-provider). */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Called when the store's state can no longer be used (it lost this instance's generation, or
   * its keys are sealed under another key-encryption key), with why, and with undefined once it can again.
   */
  onStoreStateChange(listener: (problem: string | undefined) => void): void {
    this.#storeStateListeners.push(listener);
  }

  /** Reads the store and its clock again; one refresh at a time. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** The private keys published now, those that sign first: the JWKS oidc-provider is given. */
  publishedJwks(): PrivateJwks {
    return { keys: this.#view!.published.map((key) => key.privateJwk) };
  }

  /** What /jwks serves: the published keys, and each RS256 key again as the PS384 key leases are signed with. */
  servedJwks(): PrivateJwks {
    const { keys } = this.publishedJwks();
    return { keys: [...keys, ...keys.flatMap((jwk) => ps384TwinOf(jwk) ?? [])] };
  }

  /** Every published key with its status, newest signing keys first. */
  list(): KeyDescription[] {
    const now = this.#now();
    return this.#view!.published.map((key) => describeKey(key, now));
  }

  /** The ES256 key of the moment for stagepass's own JWTs, and every published one for verifying them. */
  readonly serverKey: ServerSigningKey = {
    alg: 'ES256',
    keyFor: (expiresAt) => this.#keyFor(expiresAt),
    verificationKeys: (header, token) => this.#view!.verificationKeys(header, token),
  };

  /** The current RS256 key as PS384, for the license minter's leases; noted as ES256 tokens are when it outlives an ID token. */
  readonly leaseKey: LeaseSigningKey = {
    keyFor: async (expiresAt) => {
      const key = signingKeyAt(this.#ring, 'RS256', this.#now());
      if (!key) throw new Error('no RS256 key signs now');
      if (expiresAt * 1000 > this.#now() + this.#options.tokenLifetimeSeconds.RS256! * 1000) await this.#noteSigned(key.kid, expiresAt);
      return this.#ps384Of(key.privateJwk);
    },
  };

  #ps384: Ps384SigningKey | undefined;

  #ps384Of(jwk: JWK): Ps384SigningKey {
    if (this.#ps384?.kid !== ps384TwinOf(jwk)?.kid) this.#ps384 = importPs384Key(jwk);
    return this.#ps384!;
  }

  /**
   * Adds a new key per rotated algorithm, next from now and current `promoteAfterSeconds` later,
   * retiring the keys they replace at that moment. Written only over the key set it was computed
   * from: a rotation racing on another instance is kept, and this one applied on top of it.
   * `beforeWrite` learns the new keys' ids before the key set is written.
   */
  async rotate(beforeWrite?: (kids: string[]) => Promise<void>): Promise<KeyDescription[]> {
    // A rotation takes a while (an RSA key is made): a second one asked for meanwhile is refused
    // rather than queued, so only rotations on other instances race for the record.
    if (this.#rotating) throw new RotationUnderWayError('a rotation is under way on this instance; try again once it is done');
    this.#rotating = true;
    try {
      return await this.#rotate(beforeWrite);
    } finally {
      this.#rotating = false;
    }
  }

  async #rotate(beforeWrite: ((kids: string[]) => Promise<void>) | undefined): Promise<KeyDescription[]> {
    const { promoteAfterSeconds, tokenLifetimeSeconds, generateKey = generateSigningJwk } = this.#options;
    const newKeys = await Promise.all(ROTATED_ALGORITHMS.map(generateKey));
    await beforeWrite?.(newKeys.map((jwk) => jwk.kid!));
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const snapshot = await this.#readUsable();
      if (snapshot === undefined) continue;
      const now = this.#now();
      const rotated = rotate(this.#ringOf(snapshot), {
        newKeys, now, promoteAfterSeconds, tokenLifetimeSeconds, lagAllowanceSeconds: LAG_ALLOWANCE_MS / 1000, maxKeysPerAlgorithm: MAX_KEYS_PER_ALGORITHM,
      });
      const keySet = await this.#records.writeKeySet(rotated, snapshot.keySet.sealed);
      const head = { ...snapshot.head, keySet: keySet.id, signedUntil: notesOf(rotated, snapshot.head.signedUntil) };
      if (await this.#replaceHead(snapshot, head, keySet)) {
        await this.#records.deleteKeySet(snapshot.head.keySet);
        return this.list().filter((key) => newKeys.some((jwk) => jwk.kid === key.kid));
      }
      await this.#records.deleteKeySet(keySet.id);
    }
    throw new StoreUnavailableError('the signing keys changed under every rotation attempt; try again');
  }

  /**
   * Takes a retired key out of the published set at once, on every instance within
   * `KEY_RING_REFRESH_MS`: the tokens it signed no longer verify. False when no such key is
   * published (withdrawn already, or gone by itself); `KeyNotRetiredError` for a key that signs
   * or is to. `beforeWrite` runs before the key set is written.
   */
  async withdraw(kid: string, beforeWrite?: () => Promise<void>): Promise<boolean> {
    let noted = false;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const snapshot = await this.#readUsable();
      if (snapshot === undefined) continue;
      const withdrawn = withdraw(this.#ringOf(snapshot), kid, this.#now());
      if (withdrawn === undefined) return false;
      if (!noted) await beforeWrite?.();
      noted = true;
      const keySet = await this.#records.writeKeySet(withdrawn, snapshot.keySet.sealed);
      const head = { ...snapshot.head, keySet: keySet.id, signedUntil: notesOf(withdrawn, snapshot.head.signedUntil) };
      if (await this.#replaceHead(snapshot, head, keySet)) {
        await this.#records.deleteKeySet(snapshot.head.keySet);
        return true;
      }
      await this.#records.deleteKeySet(keySet.id);
    }
    throw new StoreUnavailableError('the signing keys changed under every attempt to withdraw one; try again');
  }

  /**
   * The key that signs now, for a token valid until `expiresAt` (epoch seconds). A token that
   * outlives the time a retired key stays published anyway is noted in the store first, so that
   * its key stays published until it expires: noted before it is signed, never after.
   */
  async #keyFor(expiresAt: number): Promise<SigningKey> {
    const key = this.#view!.serverKey;
    if (!key) throw new Error('no ES256 key signs now');
    if (expiresAt * 1000 > this.#now() + this.#options.tokenLifetimeSeconds.ES256! * 1000) await this.#noteSigned(key.kid, expiresAt);
    return key;
  }

  /** One note written at a time on an instance: the tokens signed meanwhile wait for it, and most need no other. */
  async #noteSigned(kid: string, expiresAt: number): Promise<void> {
    for (;;) {
      if ((this.#snapshot.head.signedUntil[kid] ?? 0) >= expiresAt) return;
      const noting = this.#noting;
      if (noting === undefined) break;
      if (noting.kid === kid && noting.until >= expiresAt) return noting.done;
      await noting.done.catch(() => undefined);
    }
    const until = Math.ceil(expiresAt / NOTE_GRANULARITY_SECONDS) * NOTE_GRANULARITY_SECONDS;
    const done = this.#raiseNote(kid, until).finally(() => {
      if (this.#noting?.done === done) this.#noting = undefined;
    });
    this.#noting = { kid, until, done };
    return done;
  }

  async #raiseNote(kid: string, until: number): Promise<void> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const snapshot = await this.#readUsable();
      if (snapshot === undefined) continue;
      if ((snapshot.head.signedUntil[kid] ?? 0) >= until) return;
      const head = { ...snapshot.head, signedUntil: { ...snapshot.head.signedUntil, [kid]: until } };
      await this.#records.keepUntilDeleted({ ...snapshot.keySet, id: head.keySet });
      if (await this.#replaceHead(snapshot, head, snapshot.keySet)) return;
    }
    throw new StoreUnavailableError('the signing keys changed under every attempt to note what they signed; try again');
  }

  async #refresh(): Promise<void> {
    const read = ++this.#reads;
    const [raw, clockOffset] = await Promise.all([this.#records.readHead(), this.#records.clockOffset()]);
    this.#clockOffset = clockOffset;
    const head = this.#usableHead(raw);
    const snapshot = typeof head === 'string' ? undefined : await this.#records.snapshotOf(raw!, head, this.#snapshot);
    const missing = typeof head !== 'string' && snapshot === undefined;
    // Missing once, the key set was likely replaced since the head was read; missing twice under one head, it was lost.
    const lostKeySet = missing && this.#missingKeySetOf === raw;
    this.#missingKeySetOf = missing ? raw : undefined;
    this.#setStoreProblem(typeof head === 'string' ? head : lostKeySet ? lost('the key set its head names is gone') : undefined);
    if (snapshot !== undefined) this.#apply(snapshot, read);
    else this.#updateView();
  }

  /**
   * The head as the store holds it now, with the key set it names, when this instance may build
   * on it; a store that lost its state is refused rather than written over.
   */
  async #readUsable(): Promise<Snapshot | undefined> {
    const read = ++this.#reads;
    const raw = await this.#records.readHead();
    const head = this.#usableHead(raw);
    if (typeof head === 'string') throw new StoreLostError(head);
    const snapshot = await this.#records.snapshotOf(raw!, head, this.#snapshot);
    if (snapshot !== undefined) this.#apply(snapshot, read);
    return snapshot;
  }

  /** The head, or why the store's state cannot be used. */
  #usableHead(raw: string | undefined): KeySetHead | string {
    const served = `generation ${this.#generation.id} (set up ${new Date(this.#generation.since).toISOString()})`;
    if (raw === undefined) return lost(`the store no longer holds ${served}`);
    const head = parseHead(raw);
    if ('earlier' in head) return lost(`an instance of an earlier stagepass wrote over ${served}`);
    if (head.generation !== this.#generation.id) return lost(`the store holds generation ${head.generation} instead of ${served}`);
    if (head.sealedUnder !== this.#records.sealedUnder) {
      return 'the signing keys in the store are sealed under another key-encryption key than this instance\'s; it serves again once they are sealed under its own';
    }
    return head;
  }

  /** Writes the head over the snapshot it was computed from; the memory store's file follows. */
  async #replaceHead(from: Snapshot, head: KeySetHead, keySet: OpenedKeySet): Promise<boolean> {
    const read = ++this.#reads;
    const raw = await this.#records.replaceHead(from.raw, head);
    if (raw === undefined) return false;
    this.#apply({ raw, head, keySet }, read);
    await this.#options.keptIn?.write(keptWithNotes(keySet.raw, head.signedUntil));
    return true;
  }

  #apply(snapshot: Snapshot, read: number): void {
    // A read that started before the one applied last may have found an older state.
    if (read < this.#appliedRead) return;
    this.#appliedRead = read;
    this.#snapshot = snapshot;
    this.#ring = this.#ringOf(snapshot);
    this.#updateView();
  }

  /** The ring as statuses are decided by: each key published until what it signed has expired. */
  #ringOf({ keySet, head }: Snapshot): KeyRing {
    return ringWithNotes(keySet.keys, head.signedUntil, LAG_ALLOWANCE_MS);
  }

  #setStoreProblem(problem: string | undefined): void {
    if (problem === this.#storeProblem) return;
    this.#storeProblem = problem;
    for (const listener of this.#storeStateListeners) listener(problem);
  }

  /** This process's clock set right by the store's: the one clock every instance decides statuses by. */
  #now(): number {
    return this.#options.clock.now() + this.#clockOffset;
  }

  #updateView(): void {
    const view = viewAt(this.#ring, this.#now(), this.#view);
    const changed = view !== this.#view;
    this.#view = view;
    if (changed) for (const listener of this.#listeners) listener();
  }
}

const lost = (what: string) => `the store lost stagepass's state: ${what}; this instance serves again once it is restored`;
