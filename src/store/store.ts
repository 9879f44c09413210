/**
 * The one storage port. oidc-provider's models (sessions, grants, codes, tokens, registered
 * clients …) and stagepass's own state (device polling, later idempotency keys and quotas) live
 * behind it. Backends: memory (single process, the default) and Redis (shared, survives restarts).
 *
 * Every write takes a lifetime in seconds so that nothing outlives its expiry; `undefined` means
 * the record lives until it is destroyed.
 */
export type ModelPayload = Record<string, unknown>;

export interface Store {
  /** Creates or replaces a model record and its uid, user code and grant indices. */
  upsertModel(model: string, id: string, payload: ModelPayload, expiresIn?: number): Promise<void>;
  findModel(model: string, id: string): Promise<ModelPayload | undefined>;
  findModelByUid(model: string, uid: string): Promise<ModelPayload | undefined>;
  findModelByUserCode(model: string, userCode: string): Promise<ModelPayload | undefined>;
  /**
   * Marks a record consumed (sets `consumed` to the epoch second). Returns false when it was
   * already consumed or does not exist, so that exactly one of two racing consumers wins. A
   * rotation names the record that replaces it, noted in the same step (see `findSuccessor`).
   */
  consumeModel(model: string, id: string, successorId?: string): Promise<boolean>;
  /** The successor a rotation noted on a consumed record, and when that record was consumed. */
  findSuccessor(model: string, id: string): Promise<Successor | undefined>;
  /** Removes the note of a record's successor, if it has one. */
  forgetSuccessor(model: string, id: string): Promise<void>;
  destroyModel(model: string, id: string): Promise<void>;
  /** Destroys every record that belongs to the grant, whatever its model. */
  revokeGrant(grantId: string): Promise<void>;

  /** Plain values for stagepass's own features, each with its own lifetime. */
  getValue(key: string): Promise<string | undefined>;
  setValue(key: string, value: string, expiresIn: number): Promise<void>;
  deleteValue(key: string): Promise<void>;
  /**
   * Adds `by` (one unless given) to the integer value (absent counts as zero) and returns the new
   * count, in one atomic step, so that counters shared by several instances never lose an
   * increment. The lifetime is set when the count starts and not extended by later increments: a
   * counter is a window.
   */
  incrementValue(key: string, expiresIn: number, by?: number): Promise<number>;
  /**
   * Keeps a value at least `seconds` more: a value due to expire sooner lives that long, one that
   * lives longer already keeps its lifetime, an absent one stays absent.
   */
  extendValue(key: string, seconds: number): Promise<void>;
  /**
   * Compare and set: writes `next` (deletes the value when `next` is undefined) only if the value
   * is `expected` now (`undefined`: absent), in one atomic step, and says whether it did. Of two
   * instances changing one value from what both read, exactly one succeeds.
   */
  replaceValue(key: string, expected: string | undefined, next: string | undefined, expiresIn: number): Promise<boolean>;

  /** Sets of names (registries of issued things); the set lives as long as its longest-lived addition. */
  addToSet(key: string, member: string, expiresIn: number): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  removeFromSet(key: string, member: string): Promise<void>;

  /**
   * Counted sets: members that each expire on their own, for limits on how many live things there
   * may be. `insertCounted` claims, counts and writes in one atomic step, so instances racing near
   * a limit never exceed it and a retry with the same claim never writes twice. Its three keys must
   * be made with `inGroup` for one group (a Redis Cluster writes them in one slot).
   */
  insertCounted(insert: CountedInsert): Promise<CountedInsertOutcome>;
  removeCounted(key: string, member: string): Promise<void>;

  /**
   * Milliseconds the store's clock is ahead of this process's (negative: behind), measured now.
   * Every instance of one store reads the same clock through it, whatever its own says: what must
   * happen at one moment on all of them (a signing key's promotion) is timed by it.
   */
  clockOffset(): Promise<number>;

  /** Whether the backend answers and takes writes now. */
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

export interface CountedInsert {
  /** Taken by this insert; when someone holds it already, nothing is written and its value answers. */
  claim: { key: string; value: string; expiresIn: number };
  /** The counted set `member` joins, refused when it already holds `limit` live members. */
  countedIn: string;
  limit: number;
  member: string;
  /** A value stored beside the member, for as long as the member lives. */
  record: { key: string; value: string };
  /** A second counted set the member joins in the same step, with its own limit (a person's seats of a license). */
  alsoCountedIn?: { key: string; limit: number };
  /** Seconds the member and its record live. */
  expiresIn: number;
}

export interface Successor {
  id: string;
  /** Epoch second the replaced record was consumed. */
  consumedAt: number;
}

/** `full`: it answers but refuses writes (Redis at maxmemory with noeviction). */
export type StoreHealth = 'ok' | 'unreachable' | 'full';

export type CountedInsertOutcome = { outcome: 'inserted' } | { outcome: 'claimed'; value: string } | { outcome: 'limit_reached'; which: 'countedIn' | 'alsoCountedIn' };

/**
 * The backend cannot answer now (down, unreachable or too slow); the request may be retried. Other
 * errors are faults of the server.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}
