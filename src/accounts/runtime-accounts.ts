import { RefreshedView } from '../store/refreshed-view.js';
import type { Store } from '../store/store.js';
import { VersionedCollection, type Versioned } from '../store/versioned-collection.js';

/** An account made at runtime (the Admin API), kept in the store for every instance. */
export interface RuntimeAccount {
  sub: string;
  username: string;
  /** The salted scrypt form (`hashPassword`), never the password. */
  password: string;
  claims: Record<string, unknown>;
  groups: string[];
  disabled: boolean;
}

/** Usernames are held until the account is deleted or renamed; the store wants a lifetime. */
const HELD_SECONDS = 10 * 365 * 86_400;

/**
 * A username claim whose account never came (its creator failed between the two writes) is taken
 * over once it is this old; younger, it may be a creation still in flight.
 */
const ABANDONED_CLAIM_MS = 60_000;

/** Why a write did not happen: another account holds the username, or the record changed since it was read. */
export type RuntimeAccountRefusal = 'username_taken' | 'sub_taken' | 'changed';

export type RuntimeAccountWrite = { ok: true; account: Versioned<RuntimeAccount> } | { ok: false; refusal: RuntimeAccountRefusal };

const usernameKey = (username: string) => `account-username:${username}`;

/** `taken` by this call, `held` already by the same account, or `refused`: another account holds it. */
type UsernameClaimOutcome = 'taken' | 'held' | 'refused';

/** What a username's key holds: the subject that holds it, and since when (epoch ms). */
interface UsernameClaim {
  sub: string;
  at: number;
}

/**
 * The runtime accounts, by subject, and the index of their usernames. A username is claimed with
 * a compare-and-set before the account is written, so of two instances creating (or renaming to)
 * one username at once exactly one wins.
 */
export class RuntimeAccounts {
  readonly #store: Store;
  readonly #records: VersionedCollection<RuntimeAccount>;
  readonly #anyExists: RefreshedView<boolean>;

  constructor(store: Store) {
    this.#store = store;
    this.#records = new VersionedCollection(store, { record: (sub) => `account:${sub}`, listing: 'accounts' });
    this.#anyExists = new RefreshedView(async () => (await this.#records.page(1)).items.length > 0);
  }

  find(sub: string): Promise<Versioned<RuntimeAccount> | undefined> {
    return this.#records.find(sub);
  }

  async findByUsername(username: string): Promise<RuntimeAccount | undefined> {
    const claim = await this.#claimOf(username);
    // An unknown username reads a record too, so the time a sign-in takes does not tell whether the username exists.
    const account = await this.#records.find(claim?.sub ?? '');
    return claim && account?.item.username === username ? account.item : undefined;
  }

  /** Every account made here, for listings. */
  get stored(): VersionedCollection<RuntimeAccount> {
    return this.#records;
  }

  /** Whether any runtime account exists, as of half a second ago at most (at once after a change here). */
  any(): Promise<boolean> {
    return this.#anyExists.current();
  }

  async create(account: RuntimeAccount): Promise<RuntimeAccountWrite> {
    const claim = await this.#claim(account.username, account.sub);
    if (claim === 'refused') return { ok: false, refusal: 'username_taken' };
    const written = await this.#releasingIfRefused(claim, account, () => this.#records.put(account.sub, account, undefined));
    if (!written) return { ok: false, refusal: 'sub_taken' };
    this.#anyExists.invalidate();
    return { ok: true, account: written };
  }

  /** Replaces the account from the version read; a new username is claimed first and the old one released after. */
  async replace(current: Versioned<RuntimeAccount>, next: RuntimeAccount): Promise<RuntimeAccountWrite> {
    const claim = next.username === current.item.username ? 'held' : await this.#claim(next.username, next.sub);
    if (claim === 'refused') return { ok: false, refusal: 'username_taken' };
    const written = await this.#releasingIfRefused(claim, next, () => this.#records.put(next.sub, next, current.version));
    if (!written) return { ok: false, refusal: 'changed' };
    if (next.username !== current.item.username) await this.#release(current.item.username, current.item.sub);
    return { ok: true, account: written };
  }

  /** Deletes the account if it is still as read, and frees its username; false when it changed meanwhile. */
  async remove(current: Versioned<RuntimeAccount>): Promise<boolean> {
    if (!(await this.#records.remove(current.name, current.version))) return false;
    this.#anyExists.invalidate();
    await this.#release(current.item.username, current.item.sub);
    return true;
  }

  /** The subject a username is claimed for, whether or not its account was written. */
  async holderOf(username: string): Promise<string | undefined> {
    return (await this.#claimOf(username))?.sub;
  }

  /** Frees the username if `sub` still holds it: what a deletion or a rename that stopped short left held. */
  releaseUsername(username: string, sub: string): Promise<void> {
    return this.#release(username, sub);
  }

  async #claimOf(username: string): Promise<(UsernameClaim & { text: string }) | undefined> {
    const text = await this.#store.getValue(usernameKey(username));
    return text === undefined ? undefined : { ...(JSON.parse(text) as UsernameClaim), text };
  }

  /**
   * Takes the username for `sub` when it is free or abandoned by a creation that failed midway;
   * `held` when `sub` held it already (an account sent again), which a failure then leaves held.
   */
  async #claim(username: string, sub: string): Promise<UsernameClaimOutcome> {
    const claim: UsernameClaim = { sub, at: Date.now() };
    const held = await this.#claimOf(username);
    if (held?.sub === sub) return 'held';
    if (held && !(await this.#abandoned(held, username))) return 'refused';
    return (await this.#store.replaceValue(usernameKey(username), held?.text, JSON.stringify(claim), HELD_SECONDS)) ? 'taken' : 'refused';
  }

  async #abandoned(held: UsernameClaim, username: string): Promise<boolean> {
    if (Date.now() - held.at < ABANDONED_CLAIM_MS) return false;
    const holder = await this.#records.find(held.sub);
    return holder?.item.username !== username;
  }

  async #release(username: string, sub: string): Promise<void> {
    const held = await this.#claimOf(username);
    if (held?.sub === sub) await this.#store.replaceValue(usernameKey(username), held.text, undefined, HELD_SECONDS);
  }

  /**
   * Runs the account's write; a username this call took is given back when the write is refused.
   * A write that fails may have been made all the same (a timeout after it landed), so the claim
   * stays: the account's retry finds it its own, and one never written is taken over once abandoned.
   */
  async #releasingIfRefused<T>(claim: UsernameClaimOutcome, { username, sub }: RuntimeAccount, write: () => Promise<T | undefined>): Promise<T | undefined> {
    const written = await write();
    if (written === undefined && claim === 'taken') await this.#release(username, sub);
    return written;
  }
}
