/**
 * Where stagepass reads the time: `now()` answers epoch milliseconds, as `Date.now()` does. One
 * clock is made at the composition root and handed to everything that keeps time of its own (the
 * stores' expiry and stamps, lockouts, token-rate windows, device polls, accounts, signed
 * requests, the minters), so that a test moves time rather than waits for it. Redis expires keys
 * by its own clock, and oidc-provider reads `Date.now()` for what it dates: neither follows this one.
 */
export interface Clock {
  now(): number;
}

/** The machine's clock: the one the composition root hands out unless a test gives its own. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * oidc-provider's time (9.x reads `Date.now()` for its tokens' iat and exp and to check a client
 * secret's expiry): what stagepass writes for oidc-provider to judge, or judges as oidc-provider
 * does, is dated by it, whatever clock a test gave the rest.
 */
export const oidcProviderClock: Clock = systemClock;

/** The clock's time in whole epoch seconds, as JWT claims and stored timestamps count it. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

/**
 * Milliseconds another clock (a store's, read by `readOther` in epoch milliseconds) is ahead of
 * this machine's, placed at the middle of the round trip, which is as close as an answer can be
 * placed. The machine's, not an injected clock: the offset sets the injected clock right by the
 * other, and a clock a test moved on stays as far ahead as it was moved.
 */
export async function offsetFromMachine(readOther: () => Promise<number>): Promise<number> {
  const sent = systemClock.now();
  const other = await readOther();
  const answered = systemClock.now();
  return other - (sent + answered) / 2;
}
