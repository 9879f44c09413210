import { randomBytes } from 'node:crypto';

import { newParticipantId } from '../../grants/ivs/participant-token.js';
import type { IvsStage, IvsStageDirectory } from '../../grants/ivs/stage-directory.js';
import type { RequestOrigin } from '../in-process-dispatch.js';
import { pageOf } from '../pagination.js';
import type { SignedClient } from '../signed-client.js';
import { assertMayManageIvs, mayUseStage } from './access.js';
import { assertArnUsable, IVS_ERRORS, ivsError } from './errors.js';
import { stageArn, type CreateStageInput, type ListInput } from './inputs.js';
import { mintParticipantToken, type ParticipantTokenMinting } from './participant-tokens.js';

/** IVS's global endpoints; a stage's WHIP host is its own. */
const EVENTS_URL = 'wss://global.events.live-video.net';
const whipUrlFor = () => `https://${randomBytes(6).toString('hex')}.global-bm.whip.live-video.net`;

export interface StageOperationsDependencies extends ParticipantTokenMinting {
  stages: IvsStageDirectory;
  /** The account in the configured public key's ARN: this server's account. */
  account: string;
}

/** CreateStage, GetStage, ListStages and DeleteStage over the stage directory the token endpoint reads. */
export function stageOperations({ stages, account, ...minting }: StageOperationsDependencies) {
  async function findVisible(arn: string, signed: SignedClient): Promise<IvsStage> {
    const stage = await stages.find(arn);
    if (!stage) throw ivsError('ResourceNotFoundException', `stage ${arn} does not exist`);
    if (!mayUseStage(signed.client, arn)) throw ivsError('AccessDeniedException', `client ${signed.client.clientId} may not use stage ${arn}`);
    return stage;
  }

  return {
    /**
     * The stage is stored first so its participant tokens can be minted for it; if any of them is
     * refused the stage is removed again, as a failed CreateStage leaves nothing behind.
     */
    async createStage(input: CreateStageInput, signed: SignedClient, origin: RequestOrigin) {
      assertMayManageIvs(signed.client, 'create stages');
      // IVS resource ids share the participant ids' shape: 12 alphanumerics.
      const arn = `arn:aws:ivs:${signed.region}:${account}:stage/${newParticipantId()}`;
      assertArnUsable(arn, stageArn);
      const stage = await stages.create({ arn, name: input.name ?? '', eventsUrl: EVENTS_URL, whipUrl: whipUrlFor(), tags: input.tags ?? {} });
      try {
        const participantTokens = [];
        for (const configuration of input.participantTokenConfigurations ?? []) {
          participantTokens.push(await mintParticipantToken({ ...configuration, stageArn: arn }, signed, minting, origin));
        }
        return { stage: stageShape(stage), participantTokens };
      } catch (error) {
        await stages.delete(arn);
        throw error;
      }
    },

    async getStage({ arn }: { arn: string }, signed: SignedClient) {
      return { stage: stageShape(await findVisible(arn, signed)) };
    },

    async listStages({ maxResults = 50, nextToken }: ListInput, signed: SignedClient) {
      const visible = (await stages.list()).filter((stage) => mayUseStage(signed.client, stage.arn));
      const page = pageOf(visible, maxResults, nextToken, IVS_ERRORS.validation);
      return {
        stages: page.items.map(({ arn, name, tags }) => ({ arn, name, tags })),
        ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
      };
    },

    async deleteStage({ arn }: { arn: string }, signed: SignedClient) {
      assertMayManageIvs(signed.client, 'delete stages');
      const outcome = await stages.delete(arn);
      if (outcome === 'not_found') throw ivsError('ResourceNotFoundException', `stage ${arn} does not exist`);
      if (outcome === 'configured') throw ivsError('AccessDeniedException', `stage ${arn} is defined in the server configuration; remove it there`);
      return {};
    },
  };
}

function stageShape({ arn, name, tags, eventsUrl, whipUrl }: IvsStage) {
  return { arn, name, tags, endpoints: { events: eventsUrl, whip: whipUrl } };
}
