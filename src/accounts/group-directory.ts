import type { SetStore, ValueStore } from '../store/store.js';
import { VersionedCollection } from '../store/versioned-collection.js';

/** What a group's members may mint: client metadata fields (the minters' rights) and their values. */
export type GroupRights = { [field: string]: string[] | undefined };

export type GroupSource = 'config' | 'api';

export interface Group {
  name: string;
  source: GroupSource;
  rights: GroupRights;
  /** The stored version, for the groups made at runtime. */
  version?: string;
}

/**
 * The groups of the configuration file, and those made at runtime (the Admin API), which apply
 * beside them on every instance: the ones made elsewhere are seen here within half a second.
 */
export class GroupDirectory {
  readonly #configured: Readonly<Record<string, GroupRights>> | undefined;
  readonly #stored: VersionedCollection<GroupRights>;

  constructor(configured: Readonly<Record<string, GroupRights>> | undefined, store: ValueStore & SetStore) {
    this.#configured = configured;
    this.#stored = new VersionedCollection(store, { record: (name) => `group:${name}`, listing: 'groups' });
  }

  /**
   * Group name → rights, of the configuration and the runtime groups (the configuration's win a
   * name both define); undefined while neither defines any group, which means no group policy.
   */
  async rightsByGroup(): Promise<Readonly<Record<string, GroupRights>> | undefined> {
    const stored = await this.#stored.current();
    if (this.#configured === undefined && stored.size === 0) return undefined;
    return { ...Object.fromEntries(stored), ...this.#configured };
  }

  isConfigured(name: string): boolean {
    return this.#configured !== undefined && Object.hasOwn(this.#configured, name);
  }

  async find(name: string): Promise<Group | undefined> {
    if (this.isConfigured(name)) return { name, source: 'config', rights: this.#configured![name]! };
    const stored = await this.#stored.find(name);
    return stored && { name, source: 'api', rights: stored.item, version: stored.version };
  }

  /** The configuration's groups, then the runtime ones, each by name. */
  async list(): Promise<Group[]> {
    const configured = Object.entries(this.#configured ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, rights]): Group => ({ name, source: 'config', rights }));
    const stored = (await this.#stored.list()).filter(({ name }) => !this.isConfigured(name))
      .map(({ name, item, version }): Group => ({ name, source: 'api', rights: item, version }));
    return [...configured, ...stored];
  }

  /** Creates or replaces a runtime group from the version read (`undefined`: it must not exist); false when it changed meanwhile. */
  async put(name: string, rights: GroupRights, expected: string | undefined): Promise<Group | undefined> {
    const written = await this.#stored.put(name, rights, expected);
    return written && { name, source: 'api', rights, version: written.version };
  }

  remove(name: string, expected: string): Promise<boolean> {
    return this.#stored.remove(name, expected);
  }
}
