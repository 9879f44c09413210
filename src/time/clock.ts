/**
 * Where stagepass reads the time: `now()` answers epoch milliseconds, as `Date.now()` does. One
 * clock is made at the composition root and handed to everything that keeps time of its own (the
 * memory store's expiry, lockouts, token-rate windows, device polling, the minters), so that a
 * test moves time rather than waits for it. Redis expires keys by its own clock, and
 * oidc-provider reads `Date.now()` for its tokens' lifetimes: neither follows this one.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The clock's time in whole epoch seconds, as JWT claims and stored timestamps count it. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
