import type { AccountConfig } from '../config/schema.js';
import { hashPassword, verifyPassword } from './password.js';
import type { UpstreamAccounts } from './upstream-accounts.js';

export interface Account {
  sub: string;
  username: string;
  claims: Record<string, unknown>;
  groups: readonly string[];
}

/**
 * The configured accounts, looked up by username at login and by subject when tokens are issued,
 * and the people who signed in through an upstream provider, looked up by subject.
 */
export class AccountDirectory {
  readonly #bySub: Map<string, AccountConfig>;
  readonly #upstream: UpstreamAccounts | undefined;
  readonly #byUsername: Map<string, AccountConfig>;
  /** Verified against when the username is unknown, so both cases take the same time. */
  readonly #decoyHash: Promise<string>;

  constructor(accounts: AccountConfig[], upstream?: UpstreamAccounts) {
    this.#upstream = upstream;
    this.#bySub = new Map(accounts.map((a) => [a.sub, a]));
    this.#byUsername = new Map(accounts.map((a) => [a.username, a]));
    this.#decoyHash = hashPassword('decoy password that no account has');
  }

  get hasLocalAccounts(): boolean {
    return this.#bySub.size > 0;
  }

  findBySub(sub: string): Account | undefined {
    const account = this.#bySub.get(sub);
    return account && publicView(account);
  }

  /** A configured account, or an upstream person as of their last sign-in. */
  async find(sub: string): Promise<Account | undefined> {
    const configured = this.findBySub(sub);
    if (configured || !this.#upstream?.isUpstreamSubject(sub)) return configured;
    const upstream = await this.#upstream.find(sub);
    return upstream && { sub, username: upstreamUsername(upstream.sub, upstream.claims), claims: upstream.claims, groups: upstream.groups };
  }

  /**
   * The person's groups: a configured account's, or those an upstream person's provider gave them
   * at their last sign-in; none for someone this directory does not know.
   */
  async groupsOf(sub: string): Promise<readonly string[]> {
    return (await this.find(sub))?.groups ?? [];
  }

  /** The subject of the account a username names, for the audit trail of failed sign-ins. */
  subjectOf(username: string): string | undefined {
    return this.#byUsername.get(username)?.sub;
  }

  async authenticate(username: string, password: string): Promise<Account | undefined> {
    const account = this.#byUsername.get(username);
    const matches = await verifyPassword(password, account?.password ?? (await this.#decoyHash));
    return account && matches ? publicView(account) : undefined;
  }
}

function publicView({ sub, username, claims, groups }: AccountConfig): Account {
  return { sub, username, claims, groups };
}

/** What the consent page calls an upstream person: the name they sign in with there, if any. */
function upstreamUsername(sub: string, claims: Record<string, unknown>): string {
  const named = [claims.preferred_username, claims.email, claims.name].find((value) => typeof value === 'string' && value !== '');
  return (named as string | undefined) ?? sub;
}
