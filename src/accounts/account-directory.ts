import type { AccountConfig } from '../config/schema.js';
import { hashPassword, verifyPassword } from './password.js';

export interface Account {
  sub: string;
  username: string;
  claims: Record<string, unknown>;
  groups: readonly string[];
}

/** The configured accounts, looked up by username at login and by subject when tokens are issued. */
export class AccountDirectory {
  readonly #bySub: Map<string, AccountConfig>;
  readonly #byUsername: Map<string, AccountConfig>;
  /** Verified against when the username is unknown, so both cases take the same time. */
  readonly #decoyHash: Promise<string>;

  constructor(accounts: AccountConfig[]) {
    this.#bySub = new Map(accounts.map((a) => [a.sub, a]));
    this.#byUsername = new Map(accounts.map((a) => [a.username, a]));
    this.#decoyHash = hashPassword('decoy password that no account has');
  }

  findBySub(sub: string): Account | undefined {
    const account = this.#bySub.get(sub);
    return account && publicView(account);
  }

  /** The person's groups; none for someone this directory does not know. */
  async groupsOf(sub: string): Promise<readonly string[]> {
    return this.#bySub.get(sub)?.groups ?? [];
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
