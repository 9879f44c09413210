/** The backend as a whole: whether it answers, and closing it. */
export interface StoreLifecycle {
  /** Whether the backend answers and takes writes now. */
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

/** `full`: it answers but refuses writes (Redis at maxmemory with noeviction). */
export type StoreHealth = 'ok' | 'unreachable' | 'full';

/** The store's own clock, which every instance of one store reads alike. */
export interface StoreClock {
  /**
   * Milliseconds the store's clock is ahead of this machine's (negative: behind), measured now.
   * Every instance of one store reads the same clock through it, whatever its own says: what must
   * happen at one moment on all of them (a signing key's promotion) is timed by it.
   */
  clockOffset(): Promise<number>;
}
