import type { LimitsConfig } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../time/clock.js';
import { FailureLockout } from './failure-lockout.js';

/**
 * Sign-in brute-force protection: failures lock out the account (against guessing one person's
 * password from many places) and the address (against trying many accounts from one place).
 */
export class LoginThrottle {
  readonly #byAccount: FailureLockout;
  readonly #byIp: FailureLockout;

  constructor(store: Store, { maxFailuresPerAccount, maxFailuresPerIp, lockoutSeconds, maxLockoutSeconds }: LimitsConfig['login'], clock: Clock) {
    this.#byAccount = new FailureLockout(store, 'login-account', { maxFailures: maxFailuresPerAccount, lockoutSeconds, maxLockoutSeconds }, clock);
    this.#byIp = new FailureLockout(store, 'login-ip', { maxFailures: maxFailuresPerIp, lockoutSeconds, maxLockoutSeconds }, clock);
  }

  /** Seconds until this username may be tried from this address; 0 when it may now. */
  async lockedFor(username: string, ip: string): Promise<number> {
    const [account, address] = await Promise.all([this.#byAccount.lockedFor(username), this.#byIp.lockedFor(ip)]);
    return Math.max(account, address);
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    await Promise.all([this.#byAccount.recordFailure(username), this.#byIp.recordFailure(ip)]);
  }

  /** A person who signs in is no longer being guessed at; the address keeps its count. */
  async recordSuccess(username: string): Promise<void> {
    await this.#byAccount.clear(username);
  }
}
