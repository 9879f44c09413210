import type { Store } from '../store/store.js';
import { VersionedCollection, type Versioned } from '../store/versioned-collection.js';

/** A person who signed in through an upstream provider, as of their last sign-in there. */
export interface UpstreamAccount {
  /** `<provider id>:<upstream sub>`: each provider's people are their own accounts, never linked. */
  sub: string;
  provider: string;
  claims: Record<string, unknown>;
  groups: string[];
  /** Epoch seconds. */
  lastSignInAt: number;
  /** Set through the Admin API: the person may not sign in, and what they hold is refused. */
  disabled?: boolean;
}

/** Kept for a year past the last sign-in: tokens issued to the person read it until they expire. */
const RECORD_LIFETIME_SECONDS = 365 * 24 * 60 * 60;

/** A sign-in and an operator's change racing on one record: the sign-in reads again this often at most. */
const SAVE_ATTEMPTS = 5;

/**
 * Upstream people's records, in the store so that every instance reads the same. Each sign-in
 * replaces the whole record: what the upstream no longer says (a group, a claim) is gone; only
 * whether the person is disabled, which is this server's say, carries over.
 */
export class UpstreamAccounts {
  readonly #records: VersionedCollection<UpstreamAccount>;
  readonly #providerIds: ReadonlySet<string>;
  readonly #trustingEmail: ReadonlySet<string>;

  /** `trustingEmail`: the providers whose word on an email being the person's is passed on (`trustEmail`). */
  constructor(store: Store, providerIds: Iterable<string>, trustingEmail: Iterable<string> = []) {
    this.#records = new VersionedCollection(store, { record: (sub) => `upstream-account:${sub}`, listing: 'upstream-accounts' }, RECORD_LIFETIME_SECONDS);
    this.#providerIds = new Set(providerIds);
    this.#trustingEmail = new Set(trustingEmail);
  }

  get providerIds(): ReadonlySet<string> {
    return this.#providerIds;
  }

  /** Whether `sub` names a person of a configured provider (whether or not they have signed in). */
  isUpstreamSubject(sub: string): boolean {
    const separator = sub.indexOf(':');
    return separator > 0 && this.#providerIds.has(sub.slice(0, separator));
  }

  async find(sub: string): Promise<Versioned<UpstreamAccount> | undefined> {
    if (!this.isUpstreamSubject(sub)) return undefined;
    return this.#records.find(sub);
  }

  /**
   * What stagepass says of the person under its own issuer (ID tokens, userinfo): the provider's
   * claims, but nothing that would pass for stagepass's own word. Their username is the provider's,
   * `<id>:<preferred_username>` (their subject when it gives none), since a bare one could be a
   * local account's; their email is verified only when the configuration trusts the provider's say.
   * Read at each use, so a change of `trustEmail` holds for records made before it.
   */
  claimsOf(person: UpstreamAccount): Record<string, unknown> {
    const { preferred_username: username, email_verified: verified, ...claims } = person.claims;
    const trusted = this.#trustingEmail.has(person.provider) && (verified === true || verified === 'true');
    return {
      ...claims,
      preferred_username: typeof username === 'string' && username !== '' ? `${person.provider}:${username}` : person.sub,
      ...(claims.email === undefined ? {} : { email_verified: trusted }),
    };
  }

  /** Every upstream person who signed in, for listings. */
  get stored(): VersionedCollection<UpstreamAccount> {
    return this.#records;
  }

  /**
   * Records a sign-in, unless the person is disabled here: false then, and nothing changes. Written
   * over the version read, so a disabling that lands in between is never undone by the sign-in.
   */
  async save(person: UpstreamAccount): Promise<boolean> {
    for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt += 1) {
      const current = await this.#records.find(person.sub);
      if (current?.item.disabled) return false;
      if (await this.#records.put(person.sub, person, current?.version)) return true;
    }
    throw new Error(`the record of ${person.sub} kept changing while a sign-in was being saved`);
  }

  /** Disables or enables the person from the version read (`withDisabled`); undefined when it changed meanwhile. */
  async setDisabled(current: Versioned<UpstreamAccount>, disabled: boolean): Promise<Versioned<UpstreamAccount> | undefined> {
    return this.#records.put(current.name, withDisabled(current.item, disabled), current.version);
  }

  /** Forgets the person (a later sign-in makes them anew); false when the record changed meanwhile. */
  remove(current: Versioned<UpstreamAccount>): Promise<boolean> {
    return this.#records.remove(current.name, current.version);
  }
}

/** The person's record disabled or enabled: `disabled` is kept only while true. */
export function withDisabled(person: UpstreamAccount, disabled: boolean): UpstreamAccount {
  const { disabled: _previously, ...rest } = person;
  return disabled ? { ...rest, disabled } : rest;
}
