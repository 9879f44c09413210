/**
 * Counted sets: members that each expire on their own (by the store's clock), for limits on how
 * many live things there may be (a license's seats). `insertCounted` claims, counts and writes in
 * one atomic step, so instances racing near a limit never exceed it and a retry with the same
 * claim never writes twice. Its keys must be made with `inGroup` for one group (a Redis Cluster
 * writes them in one slot).
 */
export interface CountedSets {
  insertCounted(insert: CountedInsert): Promise<CountedInsertOutcome>;
  removeCounted(key: string, member: string): Promise<void>;
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

export type CountedInsertOutcome = { outcome: 'inserted' } | { outcome: 'claimed'; value: string } | { outcome: 'limit_reached'; which: 'countedIn' | 'alsoCountedIn' };
