import type { SetStore, ValueStore } from '../store/store.js';
import { LayeredCollection } from '../store/layered-collection.js';
import { VersionedCollection } from '../store/versioned-collection.js';

/** What a group's members may mint: client metadata fields (the minters' rights) and their values. */
export type GroupRights = { [field: string]: string[] | undefined };

/** What a sign-in must be for a group's rights to count: at least this acr, and (when given) this recent. */
export interface GroupRequirement {
  acr: string;
  maxAgeSeconds?: number;
}

/** A group as the configuration and the store keep it: its rights, and `requires` beside them. */
export type Group = { [field: string]: string[] | GroupRequirement | undefined };

/** A group's rights, without what it requires. */
export function rightsOfGroup(group: Group): GroupRights {
  const { requires: _requires, ...rights } = group;
  return rights as GroupRights;
}

export function requirementOfGroup(group: Group): GroupRequirement | undefined {
  return group.requires as GroupRequirement | undefined;
}

/**
 * The groups of the configuration file, and those made at runtime (the Admin API), which apply
 * beside them on every instance: the ones made elsewhere are seen here within half a second.
 */
export class GroupDirectory {
  readonly #anyConfigured: boolean;
  readonly collection: LayeredCollection<Group>;

  constructor(configured: Readonly<Record<string, Group>> | undefined, store: ValueStore & SetStore) {
    this.#anyConfigured = configured !== undefined;
    this.collection = new LayeredCollection(Object.entries(configured ?? {}), [
      { source: 'api', items: new VersionedCollection(store, { record: (name) => `group:${name}`, listing: 'groups' }) },
    ]);
  }

  /**
   * Group name → rights (and requirement), of the configuration and the runtime groups (the configuration's win a
   * name both define); undefined while neither defines any group, which means no group policy.
   */
  async rightsByGroup(): Promise<Readonly<Record<string, Group>> | undefined> {
    const groups = await this.collection.current();
    if (!this.#anyConfigured && groups.size === 0) return undefined;
    return Object.fromEntries(groups);
  }
}
