/**
 * Rosters: who is in a group now (a stage's participants). Each member has a record, an end, and
 * the subsets it is counted in (a stage's publishers, a person's participants). A member is
 * enrolled in one atomic step that makes room, counts and writes, so instances racing near a
 * limit never exceed it: the place is taken in the same step that checks it is free. One roster's
 * keys share a group (a Redis Cluster keeps them in one slot).
 */
export interface Rosters {
  enrol(enrolment: Enrolment): Promise<EnrolmentOutcome>;
  /** The member's record, live or not, until its end. */
  rosterEntry(roster: string, member: string): Promise<RosterEntry | undefined>;
  /** Up to `limit` records whose members sort after `after`, by member, and whether more follow. */
  rosterPage(roster: string, limit: number, after?: string): Promise<{ entries: RosterEntry[]; more: boolean }>;
  /**
   * Takes the member off every count of the roster, rewriting its record as `value` (kept until
   * its end, to say why it left); false when there is no record.
   */
  leaveRoster(roster: string, member: string, value: string): Promise<boolean>;
}

/** Limits name a subset, or the whole roster (`null`). */
export interface RosterLimit {
  subset: string | null;
  limit: number;
}

export interface Enrolment {
  roster: string;
  member: string;
  value: string;
  /** The subsets the member is counted in besides the whole roster; on renewal they replace those it was in. */
  subsets: readonly string[];
  /** Seconds from now to the member's end: it leaves every count then, and its record is gone. */
  expiresIn: number;
  /** `join`: a member new to the roster; `renew`: one that is live now, given a new record, subsets and end. */
  as: 'join' | 'renew';
  /**
   * Each limit on the whole roster or on a subset this member is to be counted in counts the live
   * members but this one, and refuses when the count has reached the limit.
   */
  limits: readonly RosterLimit[];
  /** Before counting, the live members of this subset (but this one) leave every count: the newer one replaces them. */
  displacing?: string;
  /**
   * For a renewal: the record it was made from. Anyone else's write since (another renewal, a
   * moderator's change) refuses it as `changed`, so that no decision is overwritten by one made
   * before it.
   */
  replacing?: string;
}

export type EnrolmentOutcome =
  | { outcome: 'enrolled'; displaced: string[] }
  | { outcome: 'limit_reached'; subset: string | null }
  /** A renewal of a member that left, was displaced or reached its end. */
  | { outcome: 'not_live' }
  /** A renewal whose member's record is no longer the one it replaces. */
  | { outcome: 'changed' }
  /** A join under a member id the roster has a record of. */
  | { outcome: 'exists' };

export interface RosterEntry {
  member: string;
  value: string;
  /** Counted: enrolled, not left nor displaced, before its end. */
  live: boolean;
  /** Epoch milliseconds, by the store's clock. */
  endsAt: number;
}
