import type { Store } from '../../store/store.js';
import { VersionedCollection, type Versioned } from '../../store/versioned-collection.js';
import { accessDenied, describe } from './minting-error.js';

/** Every resource of every minter: a ban on `"*"` refuses a person everything. */
export const EVERY_RESOURCE = '*';

/** A refusal to mint for one person: for some resources (stage ARNs, license ARNs, video session ids), until a time or for good. */
export interface Ban {
  resources: string[];
  /** ISO 8601; null: until lifted. */
  until: string | null;
  reason?: string;
}

/**
 * Who may no longer be minted for, kept in the store and read by every instance within half a
 * second of a change anywhere. Checked at every minting for a person, whichever way it is asked.
 */
export class BanList {
  readonly #stored: VersionedCollection<Ban>;

  constructor(
    store: Store,
    private readonly now: () => number,
    /** A resource in its one spelling (a video session id is spelt several ways); bans and requests are compared so. */
    private readonly canonical: (resource: string) => string = (resource) => resource,
  ) {
    this.#stored = new VersionedCollection(store, { record: (person) => `ban:${person}`, listing: 'bans' });
  }

  /** Whether the ban holds now, at the clock's time. */
  holdsNow(ban: Ban): boolean {
    return ban.until === null || Date.parse(ban.until) > this.now();
  }

  /** The ban that refuses `person` the resource now, if any, however the ban or the request spells the resource. */
  async holding(person: string, resource: string): Promise<Ban | undefined> {
    const ban = (await this.#stored.current()).get(person);
    if (!ban || !this.holdsNow(ban)) return undefined;
    if (ban.resources.includes(EVERY_RESOURCE)) return ban;
    const wanted = this.canonical(resource);
    return ban.resources.some((banned) => this.canonical(banned) === wanted) ? ban : undefined;
  }

  /** Refuses, with an access_denied naming the ban, to mint for a banned person. */
  async refuse(person: string | undefined, resource: string): Promise<void> {
    if (person === undefined) return;
    const ban = await this.holding(person, resource);
    if (!ban) return;
    const until = ban.until === null ? 'until the ban is lifted' : `until ${ban.until}`;
    throw accessDenied(describe`this person is banned from ${resource} ${until}${ban.reason ? `: ${ban.reason}` : ''}`);
  }

  find(person: string): Promise<Versioned<Ban> | undefined> {
    return this.#stored.find(person);
  }

  /** Every ban, for listings. */
  get stored(): VersionedCollection<Ban> {
    return this.#stored;
  }

  put(person: string, ban: Ban, expected: string | undefined): Promise<Versioned<Ban> | undefined> {
    return this.#stored.put(person, ban, expected);
  }

  remove(person: string, expected: string): Promise<boolean> {
    return this.#stored.remove(person, expected);
  }
}
