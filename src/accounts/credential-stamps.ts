import type { ValueStore } from '../store/store.js';
import { oidcProviderClock } from '../time/clock.js';

/** Longer than any browser session lives (14 days): a stamp older than every session ends none. */
const STAMP_SECONDS = 15 * 86_400;

const stampKey = (sub: string) => `account-valid-since:${sub}`;

/**
 * When each account's credentials last changed (made, enabled again, its password changed, a
 * factor removed by an operator): a browser session signed in before that no longer stands, on
 * every instance. Dated by oidc-provider's clock, which dates the sessions' sign-ins.
 */
export class CredentialStamps {
  constructor(private readonly store: ValueStore) {}

  /** The account's credentials changed now: every session signed in until now ends. */
  async renew(sub: string): Promise<void> {
    await this.store.setValue(stampKey(sub), String(oidcProviderClock.now()), STAMP_SECONDS);
  }

  /** Whether a sign-in at `loginTs` (epoch seconds, a session's) still stands for the account. */
  async stands(sub: string, loginTs: number | undefined): Promise<boolean> {
    const stamp = await this.store.getValue(stampKey(sub));
    // A sign-in is dated to the second: one in the second of the change stands, as the sign-in that
    // follows a change at once (a person signing in to the account just made) must.
    return stamp === undefined || (loginTs !== undefined && loginTs >= Math.floor(Number(stamp) / 1000));
  }
}
