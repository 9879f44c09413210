import type { IvsConfig } from './config.js';
import type { SetStore, ValueStore } from '../../store/store.js';
import { StoredCollection } from '../../store/stored-collection.js';

export interface IvsStage {
  arn: string;
  name: string;
  eventsUrl: string;
  whipUrl: string;
  tags: Record<string, string>;
  /** Stages from the configuration file change only there. */
  configured: boolean;
}

/**
 * Every stage tokens can be minted for: those in the configuration and those created through the
 * IVS API, kept in the store so that every instance, the token endpoint and the API agree.
 */
export class IvsStageDirectory {
  readonly #configured: ReadonlyMap<string, IvsStage>;
  readonly #created: StoredCollection<IvsStage>;

  constructor(configured: IvsConfig['stages'], store: ValueStore & SetStore) {
    this.#configured = new Map(configured.map((stage) => [stage.arn, { ...stage, name: '', tags: {}, configured: true }]));
    this.#created = new StoredCollection(store, { record: (arn) => `ivs-stage:${arn}`, listing: 'ivs-stages' });
  }

  async find(arn: string): Promise<IvsStage | undefined> {
    return this.#configured.get(arn) ?? this.#created.find(arn);
  }

  /** Configured stages first, then created ones by ARN, so that paging through them is stable. */
  async list(): Promise<IvsStage[]> {
    return [...this.#configured.values(), ...(await this.#created.list())];
  }

  async create(stage: Omit<IvsStage, 'configured'>): Promise<IvsStage> {
    const created = { ...stage, configured: false };
    await this.#created.add(stage.arn, created);
    return created;
  }

  /** Deletes a created stage; configured stages and unknown ARNs are left as they are. */
  async delete(arn: string): Promise<'deleted' | 'configured' | 'not_found'> {
    if (this.#configured.has(arn)) return 'configured';
    return (await this.#created.remove(arn)) ? 'deleted' : 'not_found';
  }
}
