import type { Store } from '../store/store.js';
import { LayeredCollection } from '../store/layered-collection.js';
import { VersionedCollection } from '../store/versioned-collection.js';

/** What a group's members may mint: client metadata fields (the minters' rights) and their values. */
export type GroupRights = { [field: string]: string[] | undefined };

/**
 * The groups of the configuration file, and those made at runtime (the Admin API), which apply
 * beside them on every instance: the ones made elsewhere are seen here within half a second.
 */
export class GroupDirectory {
  readonly #anyConfigured: boolean;
  readonly collection: LayeredCollection<GroupRights>;

  constructor(configured: Readonly<Record<string, GroupRights>> | undefined, store: Store) {
    this.#anyConfigured = configured !== undefined;
    this.collection = new LayeredCollection(Object.entries(configured ?? {}), [
      { source: 'api', items: new VersionedCollection(store, { record: (name) => `group:${name}`, listing: 'groups' }) },
    ]);
  }

  /**
   * Group name → rights, of the configuration and the runtime groups (the configuration's win a
   * name both define); undefined while neither defines any group, which means no group policy.
   */
  async rightsByGroup(): Promise<Readonly<Record<string, GroupRights>> | undefined> {
    const groups = await this.collection.current();
    if (!this.#anyConfigured && groups.size === 0) return undefined;
    return Object.fromEntries(groups);
  }
}
