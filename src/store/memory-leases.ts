import type { Clock } from '../time/clock.js';
import type { KeptLease, LeaseReservation, LeaseReservationOutcome, LeaseStore, StoredLease } from './lease-store.js';

interface Group {
  leases: Map<string, KeptLease & { until?: number }>;
  units: Map<string, number>;
  claims: Map<string, { value: string; expiresAt: number }>;
  /** When lapsed claims were last dropped (epoch ms). */
  sweptAt: number;
}

/** Lapsed claims are dropped once a minute, not at every reservation (which would walk them all each time). */
const CLAIM_SWEEP_MS = 60_000;

/**
 * The memory store's leases. Every method runs without an await from its first read to its last
 * write, so no other call comes in between: each is one step, as Redis's scripts are.
 */
export class MemoryLeases implements LeaseStore {
  readonly #groups = new Map<string, Group>();

  constructor(private readonly clock: Clock) {}

  async reserveLease({ group, lease, units, record, until, claim }: LeaseReservation): Promise<LeaseReservationOutcome> {
    const kept = this.#group(group);
    const expired = this.#expire(kept);
    const held = kept.claims.get(claim.name);
    if (held !== undefined && held.expiresAt > this.clock.now()) return { outcome: 'claimed', value: held.value, expired };
    const over = units.find(({ counter, units: taken, limit }) => (kept.units.get(counter) ?? 0) + taken > limit);
    if (over) return { outcome: 'refused', counter: over.counter, expired };
    for (const { counter, units: taken } of units) kept.units.set(counter, (kept.units.get(counter) ?? 0) + taken);
    kept.leases.set(lease, { record, units: Object.fromEntries(units.map(({ counter, units: taken }) => [counter, taken])), ...(until === undefined ? {} : { until }) });
    kept.claims.set(claim.name, { value: claim.value, expiresAt: this.clock.now() + claim.expiresIn * 1000 });
    return { outcome: 'reserved', expired };
  }

  async renewLease(group: string, lease: string, until: number, record: string): Promise<boolean> {
    const found = this.#live(group, lease);
    if (found?.until === undefined) return false;
    found.until = until;
    found.record = record;
    return true;
  }

  async releaseLease(group: string, lease: string): Promise<string | undefined> {
    const found = this.#live(group, lease);
    if (!found) return undefined;
    this.#end(this.#group(group), lease, found);
    return found.record;
  }

  async findLease(group: string, lease: string): Promise<StoredLease | undefined> {
    const found = this.#live(group, lease);
    return found && { lease, record: found.record, ...(found.until === undefined ? {} : { until: found.until }) };
  }

  async liveLeases(group: string): Promise<StoredLease[]> {
    const now = this.clock.now();
    return [...this.#group(group).leases]
      .filter(([, { until }]) => until === undefined || until > now)
      .map(([lease, { record, until }]) => ({ lease, record, ...(until === undefined ? {} : { until }) }));
  }

  async leaseUnits(group: string): Promise<Record<string, number>> {
    return Object.fromEntries(this.#group(group).units);
  }

  async endLeases(group: string): Promise<string[]> {
    const now = this.clock.now();
    const live = [...this.#group(group).leases.values()].filter(({ until }) => until === undefined || until > now);
    this.#groups.delete(group);
    return live.map(({ record }) => record);
  }

  async expireLeases(group: string): Promise<string[]> {
    return this.#expire(this.#group(group));
  }

  #live(group: string, lease: string): (KeptLease & { until?: number }) | undefined {
    const found = this.#group(group).leases.get(lease);
    return found && (found.until === undefined || found.until > this.clock.now()) ? found : undefined;
  }

  #expire(kept: Group): string[] {
    const now = this.clock.now();
    if (now - kept.sweptAt >= CLAIM_SWEEP_MS) {
      for (const [name, { expiresAt }] of kept.claims) if (expiresAt <= now) kept.claims.delete(name);
      kept.sweptAt = now;
    }
    const ended = [...kept.leases].filter(([, { until }]) => until !== undefined && until <= now);
    for (const [lease, found] of ended) this.#end(kept, lease, found);
    return ended.map(([, { record }]) => record);
  }

  #end(kept: Group, lease: string, { units }: KeptLease): void {
    kept.leases.delete(lease);
    for (const [counter, taken] of Object.entries(units)) {
      const left = (kept.units.get(counter) ?? 0) - taken;
      if (left > 0) kept.units.set(counter, left);
      else kept.units.delete(counter);
    }
  }

  #group(group: string): Group {
    let kept = this.#groups.get(group);
    if (!kept) this.#groups.set(group, kept = { leases: new Map(), units: new Map(), claims: new Map(), sweptAt: this.clock.now() });
    return kept;
  }
}
