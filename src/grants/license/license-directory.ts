import type { SetStore, ValueStore } from '../../store/store.js';
import { VersionedCollection, type Versioned } from '../../store/versioned-collection.js';
import type { LicenseConfig } from './config.js';

export type LicenseSource = 'config' | 'api';

export interface License extends LicenseConfig {
  source: LicenseSource;
}

/**
 * The licenses tokens may name: the configuration file's, and those added at runtime (the Admin
 * API), which every instance sees within half a second of a change anywhere.
 */
export class LicenseDirectory {
  readonly #configured: ReadonlyMap<string, LicenseConfig>;
  readonly #stored: VersionedCollection<LicenseConfig>;

  constructor(configured: readonly LicenseConfig[], store: ValueStore & SetStore) {
    this.#configured = new Map(configured.map((license) => [license.arn, license]));
    this.#stored = new VersionedCollection(store, { record: (arn) => `license:${arn}`, listing: 'licenses' });
  }

  /** The license as minting and exchange see it now. */
  async find(arn: string): Promise<License | undefined> {
    const configured = this.#configured.get(arn);
    if (configured) return { ...configured, source: 'config' };
    const stored = (await this.#stored.current()).get(arn);
    return stored && { ...stored, source: 'api' };
  }

  isConfigured(arn: string): boolean {
    return this.#configured.has(arn);
  }

  get configured(): LicenseConfig[] {
    return [...this.#configured.values()];
  }

  /** A license added at runtime, with its stored version. */
  findStored(arn: string): Promise<Versioned<LicenseConfig> | undefined> {
    return this.#stored.find(arn);
  }

  listStored(): Promise<Versioned<LicenseConfig>[]> {
    return this.#stored.list();
  }

  put(license: LicenseConfig, expected: string | undefined): Promise<Versioned<LicenseConfig> | undefined> {
    return this.#stored.put(license.arn, license, expected);
  }

  remove(arn: string, expected: string): Promise<boolean> {
    return this.#stored.remove(arn, expected);
  }
}
