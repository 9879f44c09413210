import type { Clock } from '../../src/time/clock.js';

/**
 * A clock a test moves on instead of waiting, or holds still. It runs with the system's time, so
 * that what stagepass dates and what oidc-provider dates (by `Date.now()`) agree until the test
 * moves it.
 */
export class TestClock implements Clock {
  #ahead = 0;
  #stoppedAt: number | undefined;

  now(): number {
    return this.#stoppedAt ?? Date.now() + this.#ahead;
  }

  /** As if `ms` milliseconds had passed. */
  advance(ms: number): void {
    this.#ahead += ms;
    if (this.#stoppedAt !== undefined) this.#stoppedAt += ms;
  }

  /** Holds the clock at one instant while `during` runs; it then runs on with the system's time. */
  async stoppedDuring<T>(during: () => Promise<T>): Promise<T> {
    this.#stoppedAt = this.now();
    try {
      return await during();
    } finally {
      this.#stoppedAt = undefined;
    }
  }
}
