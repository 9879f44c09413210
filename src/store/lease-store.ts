/**
 * Leases: units of named counters held by a lease until it ends (its time passes, or it is
 * released), for limits counted in units rather than members (a license's entitlements). All the
 * counters of one group (a license) and their leases are written in one atomic step, so instances
 * racing near a limit never exceed it; on a Redis Cluster a group lives in one slot.
 *
 * A lease whose time has passed holds nothing: the next reservation in its group gives its units
 * back before it counts, whoever makes it, and `expireLeases` does so on demand. Both answer the
 * records of the leases they ended, so that their ends can be told.
 */
export interface LeaseStore {
  reserveLease(reservation: LeaseReservation): Promise<LeaseReservationOutcome>;
  /** Moves a live lease's end to `until` (epoch ms) and replaces its record; false when it is not live or held until released. */
  renewLease(group: string, lease: string, until: number, record: string): Promise<boolean>;
  /** Ends a live lease at once and gives its units back; its record, or undefined when it was not live. */
  releaseLease(group: string, lease: string): Promise<string | undefined>;
  /** A live lease of the group, or undefined. */
  findLease(group: string, lease: string): Promise<StoredLease | undefined>;
  /** The group's live leases. */
  liveLeases(group: string): Promise<StoredLease[]>;
  /** Units each counter of the group holds now, counters at zero left out. Read after `expireLeases` to count only live leases. */
  leaseUnits(group: string): Promise<Record<string, number>>;
  /**
   * Ends every lease of the group at once, whatever its time, and forgets its counters and claims:
   * the group holds nothing, as if it never had (a license deleted). The records of the leases that were live.
   */
  endLeases(group: string): Promise<string[]>;
  /** Ends the group's leases whose time has passed, freeing their units; their records. */
  expireLeases(group: string): Promise<string[]>;
}

export interface LeaseReservation {
  /** The group whose counters the lease draws on (a license). */
  group: string;
  lease: string;
  /** All taken, or none: a counter that would pass its limit refuses the lease. */
  units: { counter: string; units: number; limit: number }[];
  record: string;
  /** Epoch milliseconds by the store's clock when the units come back; absent: held until released. */
  until?: number;
  /** Taken by this reservation (idempotency); when held already, nothing is written and its value answers. */
  claim: { name: string; value: string; expiresIn: number };
}

export type LeaseReservationOutcome = (
  | { outcome: 'reserved' }
  | { outcome: 'claimed'; value: string }
  | { outcome: 'refused'; counter: string }
) & { expired: string[] };

export interface StoredLease {
  lease: string;
  record: string;
  /** Epoch milliseconds; absent: held until released. */
  until?: number;
}

/** How a backend keeps a lease beside its record: the units it holds, to give back when it ends. */
export interface KeptLease {
  record: string;
  units: Record<string, number>;
}
