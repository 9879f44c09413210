import type { ValueStore } from '../store/store.js';
import { type Clock, epochSeconds } from '../time/clock.js';

/** Tokens per second per client for a grant type given no rate of its own. */
export const DEFAULT_TOKENS_PER_SECOND = 100;

export type RateDecision =
  | { allowed: true; /** Gives the request back to the window, for a request that turned out not to count. */ refund(): void }
  | { allowed: false; limit: number; retryAfter: number };

/** A lease is a twentieth of the limit, between one request and this many. */
const LARGEST_LEASE = 16;

/** One client's window for one grant type, as this instance sees it. */
interface Window {
  /** Requests leased from the store's count and not yet answered. */
  remaining: number;
  /** The store's count reached the limit: it only grows until the window ends. */
  spent: boolean;
  /** The lease being asked for; concurrent requests wait for it rather than each asking. */
  leasing?: Promise<void>;
}

/**
 * Counts each client's token requests per grant type in one-second windows kept in the store, so
 * the limit holds across instances. An instance takes a lease of several requests from the
 * window's count at once (a twentieth of the limit, at most 16) and answers from it until it runs
 * out, so most requests make no store round trip, and once the count reached the limit it
 * refuses the rest of the second without asking again. The limit is never exceeded; with several
 * instances, a client at its limit may be refused up to (instances − 1) × (lease − 1) requests
 * early in a second, for leases other instances hold unused. Limits under 40 lease one request
 * at a time, which counts exactly.
 */
export class TokenRateLimiter {
  readonly #limits: Record<string, number>;
  /** The current second's windows only: the map is replaced when the second turns. */
  #windows = new Map<string, Window>();
  #windowsSecond = 0;

  /** `limits`: tokens per second per client, by grant type, `default` for the rest; 0 means unlimited. */
  constructor(private readonly store: ValueStore, limits: Readonly<Record<string, number>>, private readonly clock: Clock) {
    this.#limits = { default: DEFAULT_TOKENS_PER_SECOND, ...limits };
  }

  /** Tokens per second for the grant type; 0 when it is unlimited. */
  limitOf(grantType: string): number {
    return this.#limits[grantType] ?? this.#limits.default ?? 0;
  }

  async take(clientId: string, grantType: string): Promise<RateDecision> {
    const limit = this.limitOf(grantType);
    if (limit === 0) return { allowed: true, refund: () => {} };
    const key = `${grantType}:${clientId}:${this.#currentSecond()}`;
    const window = this.#windowOf(key);
    for (;;) {
      if (window.remaining > 0) {
        window.remaining -= 1;
        return { allowed: true, refund: () => this.#refund(key, window) };
      }
      if (window.spent) return { allowed: false, limit, retryAfter: 1 };
      window.leasing ??= this.#lease(window, key, limit).finally(() => {
        window.leasing = undefined;
      });
      await window.leasing;
    }
  }

  /** Within its second the request goes back to this instance's lease; after it, there is nothing to give back to. */
  #refund(key: string, window: Window): void {
    if (this.#windows.get(key) === window) window.remaining += 1;
  }

  #windowOf(key: string): Window {
    let window = this.#windows.get(key);
    if (!window) {
      window = { remaining: 0, spent: false };
      this.#windows.set(key, window);
    }
    return window;
  }

  async #lease(window: Window, key: string, limit: number): Promise<void> {
    const size = Math.max(1, Math.min(LARGEST_LEASE, Math.floor(limit / 20)));
    const count = await this.store.incrementValue(`token-rate:${key}`, 2, size);
    // The part of this lease still within the limit; the rest was counted but is never used.
    const granted = Math.min(size, limit - (count - size));
    if (granted > 0) window.remaining += granted;
    else window.spent = true;
  }

  #currentSecond(): number {
    const second = epochSeconds(this.clock);
    if (second !== this.#windowsSecond) {
      this.#windows = new Map();
      this.#windowsSecond = second;
    }
    return second;
  }
}
