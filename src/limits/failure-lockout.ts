import { createHash } from 'node:crypto';

import type { ValueStore } from '../store/store.js';
import type { Clock } from '../time/clock.js';

export interface LockoutPolicy {
  /** Failures that lock the subject out; every further run of as many locks it out again. */
  maxFailures: number;
  /** Length of the first lockout; each further one doubles, up to maxLockoutSeconds. */
  lockoutSeconds: number;
  maxLockoutSeconds: number;
}

/** An attempt counted before it is judged; the caller says how it ended with `release` or `clear`. */
export interface Reservation {
  subject: string;
  /** Which run of maxFailures attempts it belongs to: run n is allowed once run n − 1's lockout is over. */
  run: number;
  /** It filled its run, and so started the run's lockout in case it fails too. */
  startedLockout: boolean;
}

export type AttemptDecision = { allowed: true; reservation: Reservation } | { allowed: false; lockedFor: number };

/** The lockout of the latest full run: the proof, once it is over, that the next run may begin. */
interface LockoutRecord {
  run: number;
  /** Epoch milliseconds. */
  until: number;
}

/** How long failures are remembered, so a patient attacker still meets ever longer lockouts. */
const FAILURE_MEMORY_SECONDS = 86_400;

/**
 * Brute-force protection for one kind of subject (an account, an address), kept in the store so
 * every instance sees the same failures and locks. An attempt is counted as a failure before it
 * is judged, in one atomic increment, and uncounted if it turns out not to be one: of any number
 * of attempts racing each other, on any number of instances, no more than maxFailures are judged
 * before the lockout, and as many again after each lockout is over.
 */
export class FailureLockout {
  constructor(
    private readonly store: ValueStore,
    private readonly name: string,
    private readonly policy: LockoutPolicy,
    private readonly clock: Clock,
  ) {}

  /** Counts an attempt and allows it, or refuses it (uncounted) with the seconds until the subject may try again. */
  async reserve(subject: string): Promise<AttemptDecision> {
    const { maxFailures } = this.policy;
    const count = await this.store.incrementValue(this.#key('failures', subject), FAILURE_MEMORY_SECONDS);
    const run = Math.floor((Math.max(1, count) - 1) / maxFailures);
    const lockedFor = await this.#refusal(subject, run, count === 1);
    if (lockedFor > 0) {
      await this.store.incrementValue(this.#key('failures', subject), FAILURE_MEMORY_SECONDS, -1);
      return { allowed: false, lockedFor };
    }
    const startedLockout = count % maxFailures === 0;
    if (startedLockout) await this.#lock(subject, run);
    return { allowed: true, reservation: { subject, run, startedLockout } };
  }

  /** The attempt was no failure: it is uncounted, and the lockout it started (if any) lifted. */
  async release({ subject, startedLockout }: Reservation): Promise<void> {
    await Promise.all([
      this.store.incrementValue(this.#key('failures', subject), FAILURE_MEMORY_SECONDS, -1),
      startedLockout ? this.store.deleteValue(this.#key('lockout', subject)) : undefined,
    ]);
  }

  /** Forgets the subject's failures and lockouts (after it proved itself). */
  async clear(subject: string): Promise<void> {
    await Promise.all([this.store.deleteValue(this.#key('failures', subject)), this.store.deleteValue(this.#key('lockout', subject))]);
  }

  /** Seconds an attempt in `run` must wait; 0 when it may be judged now. */
  async #refusal(subject: string, run: number, firstOfItsCount: boolean): Promise<number> {
    const now = this.clock.now();
    let record = parseRecord(await this.store.getValue(this.#key('lockout', subject)));
    // A lockout over whose failures are forgotten belongs to an earlier count, not this one.
    if (record && record.until <= now && firstOfItsCount) {
      await this.store.deleteValue(this.#key('lockout', subject));
      record = undefined;
    }
    // A lockout holds back the runs after the one it ends, not that run's own attempts: under a
    // burst, a later run may write it before the earlier attempts of its run have read it. The
    // count lives as long as its lockouts (see #lock), so an active one is always of this count.
    if (record && record.until > now) return run > record.run ? Math.ceil((record.until - now) / 1000) : 0;
    if (run === 0 || (record && record.run >= run - 1)) return 0;
    // A full run's lockout is not written yet (the attempt that filled it is still on its way, or
    // stopped before it could): it is due all the same. Only the run after the last one locked out
    // is locked: a run's lockout is written once the one before it is over, never ahead of it.
    return this.#lock(subject, record ? record.run + 1 : 0);
  }

  async #lock(subject: string, run: number): Promise<number> {
    const { lockoutSeconds, maxLockoutSeconds } = this.policy;
    const seconds = Math.min(maxLockoutSeconds, lockoutSeconds * 2 ** Math.min(run, 30));
    const record: LockoutRecord = { run, until: this.clock.now() + seconds * 1000 };
    await Promise.all([
      this.store.setValue(this.#key('lockout', subject), JSON.stringify(record), Math.max(seconds, FAILURE_MEMORY_SECONDS)),
      // The count the lockout's run is numbered in lives at least as long as the lockout: a count
      // started afresh while it holds would number its attempts from run 0 again.
      this.store.extendValue(this.#key('failures', subject), seconds + FAILURE_MEMORY_SECONDS),
    ]);
    return seconds;
  }

  /** Subjects are hashed: keys stay short and hold no usernames. */
  #key(kind: string, subject: string): string {
    return `${kind}:${this.name}:${createHash('sha256').update(subject).digest('base64url')}`;
  }
}

function parseRecord(value: string | undefined): LockoutRecord | undefined {
  if (value === undefined) return undefined;
  const parsed = JSON.parse(value) as LockoutRecord | number;
  // A lockout written before records carried their run: only its end is known.
  return typeof parsed === 'number' ? { run: 0, until: parsed } : parsed;
}

/** "45 seconds", "2 minutes", "1 hour": a lockout as a person reads it. */
export function describeWait(seconds: number): string {
  if (seconds < 120) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  if (seconds < 7200) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.ceil(seconds / 3600)} hours`;
}
