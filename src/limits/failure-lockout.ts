import { createHash } from 'node:crypto';

import type { Store } from '../store/store.js';
import type { Clock } from '../time/clock.js';

export interface LockoutPolicy {
  /** Failures that lock the subject out; every further run of as many locks it out again. */
  maxFailures: number;
  /** Length of the first lockout; each further one doubles, up to maxLockoutSeconds. */
  lockoutSeconds: number;
  maxLockoutSeconds: number;
}

/** How long failures are remembered, so a patient attacker still meets ever longer lockouts. */
const FAILURE_MEMORY_SECONDS = 86_400;

/**
 * Brute-force protection for one kind of subject (an account, an address), kept in the store so
 * every instance sees the same failures and locks.
 */
export class FailureLockout {
  constructor(
    private readonly store: Store,
    private readonly name: string,
    private readonly policy: LockoutPolicy,
    private readonly clock: Clock,
  ) {}

  /** Seconds until the subject may try again; 0 when it is not locked out. */
  async lockedFor(subject: string): Promise<number> {
    const until = await this.store.getValue(this.#key('lockout', subject));
    return until === undefined ? 0 : Math.max(0, Math.ceil((Number(until) - this.clock.now()) / 1000));
  }

  /** Counts a failure; answers the seconds of the lockout it started, or 0 when it started none. */
  async recordFailure(subject: string): Promise<number> {
    const failures = await this.store.incrementValue(this.#key('failures', subject), FAILURE_MEMORY_SECONDS);
    const { maxFailures, lockoutSeconds, maxLockoutSeconds } = this.policy;
    if (failures % maxFailures !== 0) return 0;
    const seconds = Math.min(maxLockoutSeconds, lockoutSeconds * 2 ** (failures / maxFailures - 1));
    await this.store.setValue(this.#key('lockout', subject), String(this.clock.now() + seconds * 1000), seconds);
    return seconds;
  }

  /** Forgets the subject's failures (after it proved itself). */
  async clear(subject: string): Promise<void> {
    await this.store.deleteValue(this.#key('failures', subject));
  }

  /** Subjects are hashed: keys stay short and hold no usernames. */
  #key(kind: string, subject: string): string {
    return `${kind}:${this.name}:${createHash('sha256').update(subject).digest('base64url')}`;
  }
}

/** "45 seconds", "2 minutes", "1 hour": a lockout as a person reads it. */
export function describeWait(seconds: number): string {
  if (seconds < 120) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  if (seconds < 7200) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.ceil(seconds / 3600)} hours`;
}
