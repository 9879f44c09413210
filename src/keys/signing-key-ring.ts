import type { JWK, JWTVerifyGetKey } from 'jose';

import { StoreUnavailableError, type Store } from '../store/store.js';
import type { Clock } from '../time/clock.js';
import { openPrivateKey, sealPrivateKey, type SealedKey } from './key-encryption.js';
import { publishedAt, ROTATED_ALGORITHMS, rotate, seededRing, signingKeyAt, statusAt, type KeyRing, type KeyStatus, type RingKey } from './key-ring.js';
import { es256VerificationKeys, importSigningKey, publicJwkOf, type ServerSigningKey, type SigningKey } from './server-signing-key.js';
import type { KeySetFile } from './key-set-file.js';
import { generateSigningJwk, type PrivateJwks } from './signing-keys.js';

/** The one store record every instance reads its signing keys from. */
export const KEY_RING_RECORD = 'signing-keys';

/** How often an instance reads the key set again: a rotation elsewhere is published here within this. */
export const KEY_RING_REFRESH_MS = 500;

/**
 * Kept until replaced; rewritten at every rotation. The store wants a lifetime, so one far
 * beyond any key's, and never shorter than the longest-published key in it.
 */
const RECORD_SECONDS = 10 * 365 * 86_400;

/**
 * A retired key stays published this much longer than the longest token it may have signed:
 * instances learn of a rotation up to a refresh later, and their clocks differ a little.
 */
const LAG_ALLOWANCE_SECONDS = 60;

const NO_ES256_KEY = 'the signing keys need a current ES256 (P-256) key with a kid to sign stagepass JWTs';

/** Rotations racing on several instances each retry from what won; this many tries is far beyond any real race. */
const MAX_ROTATION_ATTEMPTS = 20;

/** A key as the store keeps it: its public JWK and times in clear, its private JWK sealed. */
interface StoredKey extends Omit<RingKey, 'privateJwk'> {
  publicJwk: JWK;
  sealed: SealedKey;
}

interface StoredRing {
  keys: StoredKey[];
}

export class RotationUnderWayError extends Error {
  override name = 'RotationUnderWayError';
}

/** What anyone may know of a key: never its private parts. */
export interface KeyDescription {
  kid: string;
  alg: string;
  use: 'sig';
  status: KeyStatus;
  /** ISO 8601 times each status begins (in the future for one still to come). */
  nextSince: string;
  currentSince: string;
  retiredSince?: string;
  publishedUntil?: string;
}

export interface SigningKeyRingOptions {
  store: Store;
  clock: Clock;
  /** AES-256 key the private keys are encrypted under in the store. */
  encryptionKey: Buffer;
  /** The keys of the JWKS file, which become the key set when the store holds none yet. */
  seed: PrivateJwks;
  promoteAfterSeconds: number;
  /** Per algorithm, the longest a token signed with such a key stays valid. */
  tokenLifetimeSeconds: Readonly<Record<string, number>>;
  /**
   * Where the key set is also kept, encrypted as in the store, when the store does not outlive
   * the process (the memory store): a restart then comes back to the rotated keys, not to the
   * JWKS file's.
   */
  keptIn?: KeySetFile;
  /** The first of a run of failed refreshes (the store unreachable): the instance keeps the keys it has. */
  onRefreshError?: (error: Error) => void;
}

/** The keys as published at one moment, each part derived once. */
interface View {
  published: RingKey[];
  /** The kids in published order with their statuses: what tells a change apart. */
  fingerprint: string;
  serverKey: SigningKey | undefined;
  verificationKeys: JWTVerifyGetKey;
}

/**
 * The signing keys every instance shares through the store. Each instance reads them again every
 * `KEY_RING_REFRESH_MS` and derives, from the times in them and its clock, which keys are
 * published and which sign: a rotation on one instance is published by all within that, and a
 * promotion happens on all at the same moment without anyone announcing it.
 */
export class SigningKeyRing {
  readonly #options: SigningKeyRingOptions;
  readonly #listeners: (() => void)[] = [];
  /** The record as last read, to tell whether it changed. */
  #raw: string;
  #ring: KeyRing;
  #view: View;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #rotating = false;
  /** Each key's sealed form as stored: sealing again at every write would change every key's ciphertext for nothing. */
  readonly #sealed = new Map<string, SealedKey>();
  /** Reported once per run of failed refreshes, not every half second of an outage. */
  #failing = false;

  private constructor(options: SigningKeyRingOptions, raw: string) {
    this.#options = options;
    this.#raw = raw;
    this.#ring = this.#decode(raw);
    this.#view = this.#viewAt(options.clock.now());
    if (!this.#view.serverKey) throw new Error(NO_ES256_KEY);
  }

  /**
   * Reads the key set, storing the seed first when there is none. Fails when the stored keys do
   * not decrypt (another instance's key-encryption key): a server that cannot sign should not start.
   */
  static async open(options: SigningKeyRingOptions): Promise<SigningKeyRing> {
    const { store, clock, encryptionKey, seed, keptIn } = options;
    let raw = await store.getValue(KEY_RING_RECORD);
    const kept = raw === undefined ? await keptIn?.read() : undefined;
    if (kept !== undefined && (await store.replaceValue(KEY_RING_RECORD, undefined, kept, recordSeconds(kept, clock.now())))) raw = kept;
    if (raw === undefined) {
      const ring = seededRing(seed.keys, clock.now());
      // Refused before it is stored, where it would refuse every instance after this one.
      if (!signingKeyAt(ring, 'ES256', clock.now())) throw new Error(NO_ES256_KEY);
      const seeded = encodeRing(ring, (key) => sealPrivateKey(key.privateJwk, key.kid, encryptionKey));
      // Another instance seeding at the same moment wins or loses as a whole; everyone reads what won.
      if (await store.replaceValue(KEY_RING_RECORD, undefined, seeded, recordSeconds(seeded, clock.now()))) raw = seeded;
      else raw = await store.getValue(KEY_RING_RECORD);
      if (raw === undefined) throw new Error('the signing keys could not be stored');
    }
    return new SigningKeyRing(options, raw);
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

  /** Reads the store and the clock again; one refresh at a time. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** The private keys published now, those that sign first: the JWKS oidc-provider is given. */
  publishedJwks(): PrivateJwks {
    return { keys: this.#view.published.map((key) => key.privateJwk) };
  }

  /** Every published key with its status, newest signing keys first. */
  list(): KeyDescription[] {
    const now = this.#options.clock.now();
    return this.#view.published.map((key) => describeKey(key, statusAt(key, now) ?? 'retired'));
  }

  /** The ES256 key of the moment for stagepass's own JWTs, and every published one for verifying them. */
  readonly serverKey: ServerSigningKey = {
    alg: 'ES256',
    current: () => {
      const key = this.#view.serverKey;
      if (!key) throw new Error('no ES256 key signs now');
      return key;
    },
    verificationKeys: (header, token) => this.#view.verificationKeys(header, token),
  };

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
    const { store, clock, promoteAfterSeconds, tokenLifetimeSeconds } = this.#options;
    const newKeys = await Promise.all(ROTATED_ALGORITHMS.map(generateSigningJwk));
    await beforeWrite?.(newKeys.map((jwk) => jwk.kid!));
    for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt += 1) {
      const expected = await store.getValue(KEY_RING_RECORD);
      const now = clock.now();
      // A record gone from the store (lost with Redis's data) is rebuilt from the keys this instance holds.
      const rotated = rotate(this.#decode(expected ?? this.#raw), {
        newKeys, now, promoteAfterSeconds, tokenLifetimeSeconds, lagAllowanceSeconds: LAG_ALLOWANCE_SECONDS,
      });
      const next = this.#encode(rotated);
      if (await store.replaceValue(KEY_RING_RECORD, expected, next, recordSeconds(next, now))) {
        this.#apply(next);
        await this.#options.keptIn?.write(next);
        return this.list().filter((key) => newKeys.some((jwk) => jwk.kid === key.kid));
      }
    }
    throw new StoreUnavailableError('the signing keys changed under every rotation attempt; try again');
  }

  async #refresh(): Promise<void> {
    const raw = await this.#options.store.getValue(KEY_RING_RECORD);
    this.#apply(raw ?? this.#raw);
  }

  #apply(raw: string): void {
    if (raw !== this.#raw) {
      this.#ring = this.#decode(raw);
      this.#raw = raw;
    }
    const view = this.#viewAt(this.#options.clock.now());
    const changed = view.fingerprint !== this.#view.fingerprint;
    this.#view = view;
    if (changed) for (const listener of this.#listeners) listener();
  }

  #viewAt(now: number): View {
    const published = publishedAt(this.#ring, now);
    const serverKey = signingKeyAt(this.#ring, 'ES256', now);
    const previous = this.#view as View | undefined;
    const fingerprint = published.map((key) => `${key.kid}:${statusAt(key, now)}`).join(',');
    if (previous?.fingerprint === fingerprint) return previous;
    return {
      published,
      fingerprint,
      serverKey: serverKey && (previous?.serverKey?.kid === serverKey.kid ? previous.serverKey : importSigningKey(serverKey.privateJwk)),
      verificationKeys: es256VerificationKeys(published.map((key) => key.privateJwk)),
    };
  }

  /** Keys already open are taken as they are (a kid is its key's thumbprint). */
  #decode(raw: string): KeyRing {
    const known = new Map((this.#ring?.keys ?? []).map((key) => [key.kid, key.privateJwk]));
    const stored = JSON.parse(raw) as StoredRing;
    return {
      keys: stored.keys.map(({ publicJwk: _public, sealed, ...times }) => {
        this.#sealed.set(times.kid, sealed);
        return { ...times, privateJwk: known.get(times.kid) ?? openPrivateKey(sealed, times.kid, this.#options.encryptionKey) };
      }),
    };
  }

  #encode(ring: KeyRing): string {
    return encodeRing(ring, (key) => this.#sealed.get(key.kid) ?? sealPrivateKey(key.privateJwk, key.kid, this.#options.encryptionKey));
  }
}

function encodeRing(ring: KeyRing, seal: (key: RingKey) => SealedKey): string {
  const stored: StoredRing = {
    keys: ring.keys.map((key) => {
      const { privateJwk, ...times } = key;
      return { ...times, publicJwk: publicJwkOf(privateJwk), sealed: seal(key) };
    }),
  };
  return JSON.stringify(stored);
}

/** The record outlives every key in it. */
function recordSeconds(raw: string, now: number): number {
  const until = Math.max(0, ...(JSON.parse(raw) as StoredRing).keys.map((key) => key.publishedUntil ?? 0));
  return Math.max(RECORD_SECONDS, Math.ceil((until - now) / 1000));
}

function describeKey(key: RingKey, status: KeyStatus): KeyDescription {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    kid: key.kid,
    alg: key.alg,
    use: 'sig',
    status,
    nextSince: iso(key.nextSince)!,
    currentSince: iso(key.currentSince)!,
    ...(key.retiredSince !== undefined ? { retiredSince: iso(key.retiredSince) } : {}),
    ...(key.publishedUntil !== undefined ? { publishedUntil: iso(key.publishedUntil) } : {}),
  };
}
