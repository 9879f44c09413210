import { RefreshedView } from './refreshed-view.js';
import type { SetStore } from './set-store.js';
import type { ValueStore } from './value-store.js';

/** The exact text an item is stored as: its version. */
export const versionOf = (item: unknown): string => JSON.stringify(item);

/** An item with the exact text it is stored as, which changes whenever the item does (its version). */
export interface Versioned<T> {
  name: string;
  item: T;
  version: string;
}

/**
 * Named records kept in the store until deleted, each changed only from the version the changer
 * read (compare and set), so that two instances, or two operators, never overwrite each other's
 * change unknowingly. An item is listed before it is recorded and
 * forgotten before it is unlisted: the listing may run ahead of the records, never behind.
 */
export class VersionedCollection<T> {
  /** Read only when asked for (`current`), so a collection nobody reads that way costs nothing. */
  readonly #view = new RefreshedView(async () => new Map((await this.list()).map(({ name, item }) => [name, item])));

  constructor(
    private readonly store: ValueStore & SetStore,
    private readonly names: { record: (name: string) => string; listing: string },
    /** How long an item lives past its last write; until deleted unless given. */
    private readonly lifetimeSeconds?: number,
  ) {}

  async find(name: string): Promise<Versioned<T> | undefined> {
    const version = await this.store.getValue(this.names.record(name));
    return version === undefined ? undefined : { name, item: JSON.parse(version) as T, version };
  }

  /** Every item, by name. */
  async list(): Promise<Versioned<T>[]> {
    return this.#found(await this.#sortedNames());
  }

  /**
   * Every item by name, as the store held them at most half a second ago: what the request paths
   * read (a change made on another instance is seen within that; one made here, at once).
   */
  current(): Promise<ReadonlyMap<string, T>> {
    return this.#view.current();
  }

  /** Up to `limit` items whose names sort after `after`, by name, and whether more follow. */
  async page(limit: number, after?: string): Promise<{ items: Versioned<T>[]; more: boolean }> {
    const names = (await this.#sortedNames()).filter((name) => after === undefined || name > after);
    // Names whose records are gone are skipped, so read on until the page is full or names run out.
    const items: Versioned<T>[] = [];
    let next = 0;
    while (items.length < limit && next < names.length) {
      const batch = names.slice(next, next + limit - items.length);
      next += batch.length;
      items.push(...(await this.#found(batch)));
    }
    return { items, more: next < names.length };
  }

  /**
   * Writes the item if its record is still `expected` (`undefined`: it must not exist yet), and
   * answers the new version; `undefined` when the record changed in between.
   */
  async put(name: string, item: T, expected: string | undefined): Promise<Versioned<T> | undefined> {
    const version = versionOf(item);
    await this.store.addToSet(this.names.listing, name, this.lifetimeSeconds);
    const written = await this.store.replaceValue(this.names.record(name), expected, version, this.lifetimeSeconds);
    this.#view.invalidate();
    return written ? { name, item, version } : undefined;
  }

  /** Deletes the item if it is still at `expected`; false when it changed or went in between. */
  async remove(name: string, expected: string): Promise<boolean> {
    if (!(await this.store.replaceValue(this.names.record(name), expected, undefined))) return false;
    this.#view.invalidate();
    await this.store.removeFromSet(this.names.listing, name);
    return true;
  }

  async #sortedNames(): Promise<string[]> {
    return (await this.store.setMembers(this.names.listing)).sort();
  }

  async #found(names: string[]): Promise<Versioned<T>[]> {
    const found = await Promise.all(names.map((name) => this.find(name)));
    return found.filter((item) => item !== undefined);
  }
}
