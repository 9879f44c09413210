import { hashPassword, verifyPassword } from './password.js';
import type { RuntimeAccounts } from './runtime-accounts.js';
import type { UpstreamAccounts } from './upstream-accounts.js';

/** An account of the configuration file, as it reads it: the password is the stored (scrypt) form. */
export interface ConfiguredAccount {
  sub: string;
  username: string;
  password: string;
  claims: Record<string, unknown>;
  groups: string[];
}

export interface Account {
  sub: string;
  username: string;
  claims: Record<string, unknown>;
  groups: readonly string[];
}

/**
 * Every account a person signs in with: the configured ones (looked up in memory), those made at
 * runtime through the Admin API and the people who signed in through an upstream provider (both
 * in the store, so a change on one instance holds on every other at once). A disabled account is
 * unknown here: it does not sign in, and tokens naming it find no one.
 */
export class AccountDirectory {
  readonly #bySub: Map<string, ConfiguredAccount>;
  readonly #byUsername: Map<string, ConfiguredAccount>;
  readonly #runtime: RuntimeAccounts | undefined;
  readonly #upstream: UpstreamAccounts | undefined;
  /** Verified against when the username is unknown, so both cases take the same time. */
  readonly #decoyHash: Promise<string>;

  constructor(accounts: ConfiguredAccount[], { runtime, upstream }: { runtime?: RuntimeAccounts; upstream?: UpstreamAccounts } = {}) {
    this.#runtime = runtime;
    this.#upstream = upstream;
    this.#bySub = new Map(accounts.map((a) => [a.sub, a]));
    this.#byUsername = new Map(accounts.map((a) => [a.username, a]));
    this.#decoyHash = hashPassword('decoy password that no account has');
  }

  /** Whether anyone can sign in with a username and password: the sign-in page shows its form then. */
  async hasLocalAccounts(): Promise<boolean> {
    return this.#bySub.size > 0 || ((await this.#runtime?.any()) ?? false);
  }

  /** A configured account (read-only outside the configuration file). */
  configured(sub: string): Account | undefined {
    const account = this.#bySub.get(sub);
    return account && publicView(account);
  }

  /** A configured account's subject by its username. */
  configuredUsername(username: string): string | undefined {
    return this.#byUsername.get(username)?.sub;
  }

  /** The configured accounts, by subject. */
  configuredAccounts(): Account[] {
    return [...this.#bySub.values()].sort((a, b) => (a.sub < b.sub ? -1 : 1)).map(publicView);
  }

  /** A configured or runtime account, or an upstream person as of their last sign-in; none when disabled. */
  async find(sub: string): Promise<Account | undefined> {
    const configured = this.configured(sub);
    if (configured) return configured;
    if (this.#upstream?.isUpstreamSubject(sub)) {
      const upstream = (await this.#upstream.find(sub))?.item;
      if (!upstream || upstream.disabled) return undefined;
      return { sub, username: upstreamUsername(upstream.sub, upstream.claims), claims: this.#upstream.claimsOf(upstream), groups: upstream.groups };
    }
    const runtime = (await this.#runtime?.find(sub))?.item;
    return runtime && !runtime.disabled ? publicView(runtime) : undefined;
  }

  /**
   * Whether the account was ended here: disabled, deleted, or gone from the configuration. An
   * upstream person whose record lapsed unused (a year past their last sign-in) was not: they may
   * sign in again. Deleting one, unlike that, ends what they hold at once.
   */
  async isEnded(sub: string): Promise<boolean> {
    if (this.#bySub.has(sub)) return false;
    if (this.#upstream?.isUpstreamSubject(sub)) return (await this.#upstream.find(sub))?.item.disabled === true;
    const runtime = (await this.#runtime?.find(sub))?.item;
    return runtime === undefined || runtime.disabled;
  }

  /**
   * The person's groups: an account's, or those an upstream person's provider gave them at their
   * last sign-in; none for someone this directory does not know (or a disabled account).
   */
  async groupsOf(sub: string): Promise<readonly string[]> {
    return (await this.find(sub))?.groups ?? [];
  }

  /** The subject of the account a username names, for the audit trail of failed sign-ins. */
  async subjectOf(username: string): Promise<string | undefined> {
    return this.#byUsername.get(username)?.sub ?? (await this.#runtime?.findByUsername(username))?.sub;
  }

  async authenticate(username: string, password: string): Promise<Account | undefined> {
    const account: (ConfiguredAccount & { disabled?: boolean }) | undefined = this.#byUsername.get(username)
      ?? (await this.#runtime?.findByUsername(username));
    const matches = await verifyPassword(password, account?.password ?? (await this.#decoyHash));
    return account && matches && !account.disabled ? publicView(account) : undefined;
  }
}

function publicView({ sub, username, claims, groups }: Pick<ConfiguredAccount, 'sub' | 'username' | 'claims' | 'groups'>): Account {
  return { sub, username, claims, groups };
}

/** What the consent page calls an upstream person: the name they sign in with there, if any. */
export function upstreamUsername(sub: string, claims: Record<string, unknown>): string {
  const named = [claims.preferred_username, claims.email, claims.name].find((value) => typeof value === 'string' && value !== '');
  return (named as string | undefined) ?? sub;
}
