import type { StageAdmission } from './admission.js';
import type { IvsConfig } from './config.js';
import { LayeredCollection } from '../../store/layered-collection.js';
import type { SetStore, ValueStore } from '../../store/store.js';
import { VersionedCollection } from '../../store/versioned-collection.js';

export interface IvsStage extends StageAdmission {
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
  /** Configured and created stages, as the Admin API pages and changes them. */
  readonly collection: LayeredCollection<IvsStage>;
  readonly #created: VersionedCollection<IvsStage>;

  constructor(configured: IvsConfig['stages'], store: ValueStore & SetStore) {
    this.#created = new VersionedCollection(store, { record: (arn) => `ivs-stage:${arn}`, listing: 'ivs-stages' });
    this.collection = new LayeredCollection(
      configured.map((stage): [string, IvsStage] => [stage.arn, { ...stage, name: '', tags: {}, configured: true }]),
      [{ source: 'api', items: this.#created }],
    );
  }

  async find(arn: string): Promise<IvsStage | undefined> {
    return (await this.collection.find(arn))?.item;
  }

  /** Configured stages first, then created ones, each by ARN, so that paging through them is stable. */
  async list(): Promise<IvsStage[]> {
    return (await this.collection.all()).map(({ item }) => item);
  }

  /** Stores a new stage under its new ARN. */
  async create(stage: Omit<IvsStage, 'configured'>): Promise<IvsStage> {
    const created = { ...stage, configured: false };
    if (!(await this.#created.put(stage.arn, created, undefined))) throw new Error(`a stage ${stage.arn} exists already`);
    return created;
  }

  /** Deletes a created stage; configured stages and unknown ARNs are left as they are. */
  async delete(arn: string): Promise<'deleted' | 'configured' | 'not_found'> {
    if (this.collection.isConfigured(arn)) return 'configured';
    const found = await this.#created.find(arn);
    if (!found) return 'not_found';
    // A stage never changes once created: a removal that finds it gone lost only to a racing deletion.
    await this.#created.remove(arn, found.version);
    return 'deleted';
  }
}
