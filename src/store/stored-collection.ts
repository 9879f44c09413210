import type { SetStore } from './set-store.js';
import type { ValueStore } from './value-store.js';

/**
 * Named records kept in the store until deleted, with a listing of their names, so that every
 * instance sees the same collection. The record decides whether an item exists; the listing may
 * run ahead of it. So an item is listed before it is recorded and forgotten before it is
 * unlisted: a store that fails between the two steps leaves a listing without a record, which
 * `list` skips, never half an item.
 */
export class StoredCollection<T> {
  constructor(
    private readonly store: ValueStore & SetStore,
    private readonly names: { record: (name: string) => string; listing: string },
  ) {}

  async find(name: string): Promise<T | undefined> {
    const json = await this.store.getValue(this.names.record(name));
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  /** By name, so that paging through them is stable. */
  async list(): Promise<T[]> {
    const names = (await this.store.setMembers(this.names.listing)).sort();
    const items = await Promise.all(names.map((name) => this.find(name)));
    return items.filter((item): item is Awaited<T> => item !== undefined) as T[];
  }

  async add(name: string, item: T): Promise<void> {
    await this.store.addToSet(this.names.listing, name);
    await this.store.setValue(this.names.record(name), JSON.stringify(item));
  }

  /** False when there was no such item. */
  async remove(name: string): Promise<boolean> {
    if ((await this.store.getValue(this.names.record(name))) === undefined) return false;
    await this.store.deleteValue(this.names.record(name));
    await this.store.removeFromSet(this.names.listing, name);
    return true;
  }
}
