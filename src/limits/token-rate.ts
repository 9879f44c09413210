import { MINTER_TOKENS_PER_SECOND } from '../grants/index.js';
import { DEVICE_CODE_GRANT_TYPE } from '../provider/oidc-provider-internals.js';
import type { Store } from '../store/store.js';

/**
 * Tokens per second per client, by grant type, with the minters' own defaults (IVS: 50, its
 * quota). Device polls are left out: every device of a client polls under that client's id, each
 * already held to its own interval by slow_down, and a device told 429 would not know what to do
 * with it. 0 means unlimited.
 */
export const DEFAULT_TOKENS_PER_SECOND: Readonly<Record<string, number>> = {
  default: 100,
  [DEVICE_CODE_GRANT_TYPE]: 0,
  ...MINTER_TOKENS_PER_SECOND,
};

export type RateDecision = { allowed: true } | { allowed: false; limit: number; retryAfter: number };

/**
 * Counts each client's token requests per grant type in one-second windows kept in the store, so
 * the limit holds across instances. One store round trip per request (an atomic increment).
 */
export class TokenRateLimiter {
  readonly #limits: Record<string, number>;

  constructor(private readonly store: Store, configured: Record<string, number>) {
    this.#limits = { ...DEFAULT_TOKENS_PER_SECOND, ...configured };
  }

  async take(clientId: string, grantType: string): Promise<RateDecision> {
    const limit = this.#limits[grantType] ?? this.#limits.default ?? 0;
    if (limit === 0) return { allowed: true };
    const second = Math.floor(Date.now() / 1000);
    const count = await this.store.incrementValue(`token-rate:${grantType}:${clientId}:${second}`, 2);
    return count <= limit ? { allowed: true } : { allowed: false, limit, retryAfter: 1 };
  }
}
