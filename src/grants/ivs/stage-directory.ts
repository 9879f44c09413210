import type { IvsConfig } from './config.js';
import type { Store } from '../../store/store.js';

export interface IvsStage {
  arn: string;
  name: string;
  eventsUrl: string;
  whipUrl: string;
  tags: Record<string, string>;
  /** Stages from the configuration file change only there. */
  configured: boolean;
}

/** Created stages last until deleted; the store wants a lifetime, so one far beyond any stage's use. */
const UNTIL_DELETED_SECONDS = 10 * 365 * 86_400;
const stageKey = (arn: string) => `ivs-stage:${arn}`;
const CREATED_STAGES = 'ivs-stages';

/**
 * Every stage tokens can be minted for: those in the configuration and those created through the
 * IVS API, kept in the store so that every instance, the token endpoint and the API agree.
 */
export class IvsStageDirectory {
  readonly #configured: ReadonlyMap<string, IvsStage>;

  constructor(configured: IvsConfig['stages'], private readonly store: Store) {
    this.#configured = new Map(configured.map((stage) => [stage.arn, { ...stage, name: '', tags: {}, configured: true }]));
  }

  async find(arn: string): Promise<IvsStage | undefined> {
    const configured = this.#configured.get(arn);
    if (configured) return configured;
    const json = await this.store.getValue(stageKey(arn));
    return json === undefined ? undefined : (JSON.parse(json) as IvsStage);
  }

  /** Configured stages first, then created ones by ARN, so that paging through them is stable. */
  async list(): Promise<IvsStage[]> {
    const arns = (await this.store.setMembers(CREATED_STAGES)).sort();
    const created = await Promise.all(arns.map((arn) => this.find(arn)));
    return [...this.#configured.values(), ...created.filter((stage): stage is IvsStage => stage !== undefined)];
  }

  /**
   * The record decides whether a stage exists; the listing may run ahead of it. So a stage is
   * listed before it is recorded and forgotten before it is unlisted: a store that fails between
   * the two steps leaves a listing without a record, which `list` skips, never half a stage.
   */
  async create(stage: Omit<IvsStage, 'configured'>): Promise<IvsStage> {
    const created = { ...stage, configured: false };
    await this.store.addToSet(CREATED_STAGES, stage.arn, UNTIL_DELETED_SECONDS);
    await this.store.setValue(stageKey(stage.arn), JSON.stringify(created), UNTIL_DELETED_SECONDS);
    return created;
  }

  /** Deletes a created stage; configured stages and unknown ARNs are left as they are. */
  async delete(arn: string): Promise<'deleted' | 'configured' | 'not_found'> {
    if (this.#configured.has(arn)) return 'configured';
    if ((await this.store.getValue(stageKey(arn))) === undefined) return 'not_found';
    await this.store.deleteValue(stageKey(arn));
    await this.store.removeFromSet(CREATED_STAGES, arn);
    return 'deleted';
  }
}
