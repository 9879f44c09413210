import type { ValueStore } from '../store/store.js';
import type { Clock } from '../time/clock.js';
import { FailureLockout, type AttemptDecision } from './failure-lockout.js';

/** How many failed sign-ins lock out an account and an address, and for how long. */
export interface LoginLimits {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  lockoutSeconds: number;
  maxLockoutSeconds: number;
}

export type SignInDecision =
  | { allowed: true; /** The password was right: the account is no longer being guessed at. */ succeeded(): Promise<void> }
  | { allowed: false; lockedFor: number };

/**
 * Sign-in brute-force protection: failures lock out the account (against guessing one person's
 * password from many places) and the address (against trying many accounts from one place).
 * Each attempt is counted against both before its password is checked.
 */
export class LoginThrottle {
  readonly #byAccount: FailureLockout;
  readonly #byIp: FailureLockout;

  constructor(store: ValueStore, { maxFailuresPerAccount, maxFailuresPerIp, lockoutSeconds, maxLockoutSeconds }: LoginLimits, clock: Clock) {
    this.#byAccount = new FailureLockout(store, 'login-account', { maxFailures: maxFailuresPerAccount, lockoutSeconds, maxLockoutSeconds }, clock);
    this.#byIp = new FailureLockout(store, 'login-ip', { maxFailures: maxFailuresPerIp, lockoutSeconds, maxLockoutSeconds }, clock);
  }

  /**
   * Counts an attempt to sign in as this username from this address as a failure until it calls
   * `succeeded`, or refuses it with the seconds until it may be made.
   */
  async attempt(username: string, ip: string): Promise<SignInDecision> {
    const [account, address] = await Promise.all([this.#byAccount.reserve(username), this.#byIp.reserve(ip)]);
    if (!account.allowed || !address.allowed) {
      await Promise.all([
        account.allowed ? this.#byAccount.release(account.reservation) : undefined,
        address.allowed ? this.#byIp.release(address.reservation) : undefined,
      ]);
      return { allowed: false, lockedFor: Math.max(waitOf(account), waitOf(address)) };
    }
    return {
      allowed: true,
      // The address keeps its failures: one right password does not vouch for the other accounts tried from there.
      succeeded: () => Promise.all([this.#byAccount.clear(username), this.#byIp.release(address.reservation)]).then(() => undefined),
    };
  }
}

function waitOf(decision: AttemptDecision): number {
  return decision.allowed ? 0 : decision.lockedFor;
}
