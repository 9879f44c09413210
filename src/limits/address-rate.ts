import type { ValueStore } from '../store/store.js';
import type { Clock } from '../time/clock.js';

export type AddressRateDecision = { allowed: true } | { allowed: false; limit: number; retryAfter: number };

/**
 * Requests per minute from one address, for endpoints anyone may call that leave state behind
 * (a registered client, a pending device code). One-minute windows counted in the store with one
 * atomic increment each, so the limit holds across instances.
 */
export class AddressRate {
  constructor(
    private readonly store: ValueStore,
    private readonly name: string,
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {}

  async take(address: string): Promise<AddressRateDecision> {
    const now = this.clock.now();
    const minute = Math.floor(now / 60_000);
    const count = await this.store.incrementValue(`address-rate:${this.name}:${address}:${minute}`, 60);
    if (count <= this.perMinute) return { allowed: true };
    return { allowed: false, limit: this.perMinute, retryAfter: Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000)) };
  }
}
