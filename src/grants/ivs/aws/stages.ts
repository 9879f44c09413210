import { randomBytes } from 'node:crypto';

import type { GatewayMint } from '../../common/minting-gateway.js';
import { newParticipantId } from '../participant-token.js';
import { mayUseStage } from '../policy.js';
import type { IvsTokenInput } from '../request.js';
import type { IvsParticipantToken } from '../service.js';
import type { IvsStage, IvsStageDirectory } from '../stage-directory.js';
import { pageOf } from '../../../aws/pagination.js';
import { assertMayManageIvs, type IvsCall } from './access.js';
import { assertArnUsable, IVS_ERRORS, ivsError } from './errors.js';
import { stageArn, type CreateStageInput, type ListInput } from './inputs.js';

/** IVS's global endpoints; a stage's WHIP host is its own. */
const EVENTS_URL = 'wss://global.events.live-video.net';
const whipUrlFor = () => `https://${randomBytes(6).toString('hex')}.global-bm.whip.live-video.net`;

export interface StageOperationsDependencies {
  stages: IvsStageDirectory;
  /** The account in the configured public key's ARN: this server's account. */
  account: string;
  mint: GatewayMint<IvsTokenInput, IvsParticipantToken>;
}

/** CreateStage, GetStage, ListStages and DeleteStage over the stage directory the token endpoint reads. */
export function stageOperations({ stages, account, mint }: StageOperationsDependencies) {
  return {
    /**
     * The stage is stored first so its participant tokens can be minted for it; if any of them is
     * refused the stage is removed again, as a failed CreateStage leaves nothing behind.
     */
    async createStage(input: CreateStageInput, call: IvsCall) {
      assertMayManageIvs(call, 'create stages');
      // IVS resource ids share the participant ids' shape: 12 alphanumerics.
      const arn = `arn:aws:ivs:${call.signed.region}:${account}:stage/${newParticipantId()}`;
      assertArnUsable(arn, stageArn);
      const { maxParticipants, maxPublishers, onePerPerson } = input;
      const stage = await stages.create({
        arn, name: input.name ?? '', eventsUrl: EVENTS_URL, whipUrl: whipUrlFor(), tags: input.tags ?? {},
        ...(maxParticipants === undefined ? {} : { maxParticipants }),
        ...(maxPublishers === undefined ? {} : { maxPublishers }),
        ...(onePerPerson === undefined ? {} : { onePerPerson }),
      });
      try {
        const participantTokens = [];
        for (const configuration of input.participantTokenConfigurations ?? []) {
          const { expiresIn: _seconds, ...participantToken } = await mint({ ...configuration, stageArn: arn }, call);
          participantTokens.push(participantToken);
        }
        return { stage: stageShape(stage), participantTokens };
      } catch (error) {
        await stages.delete(arn);
        throw error;
      }
    },

    /** Policy first: a stage outside the client's rights is refused whether or not it exists. */
    async getStage({ arn }: { arn: string }, { signed, caller }: IvsCall) {
      if (!mayUseStage(caller.rights, arn)) throw ivsError('AccessDeniedException', `client ${signed.client.clientId} may not use stage ${arn}`);
      const stage = await stages.find(arn);
      if (!stage) throw ivsError('ResourceNotFoundException', `stage ${arn} does not exist`);
      return { stage: stageShape(stage) };
    },

    async listStages({ maxResults = 50, nextToken }: ListInput, { caller }: IvsCall) {
      const visible = (await stages.list()).filter((stage) => mayUseStage(caller.rights, stage.arn));
      const page = pageOf(visible, maxResults, nextToken, IVS_ERRORS.validation);
      return {
        stages: page.items.map(({ arn, name, tags }) => ({ arn, name, tags })),
        ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
      };
    },

    async deleteStage({ arn }: { arn: string }, call: IvsCall) {
      assertMayManageIvs(call, 'delete stages');
      const outcome = await stages.delete(arn);
      if (outcome === 'not_found') throw ivsError('ResourceNotFoundException', `stage ${arn} does not exist`);
      if (outcome === 'configured') throw ivsError('AccessDeniedException', `stage ${arn} is defined in the server configuration; remove it there`);
      return {};
    },
  };
}

function stageShape({ arn, name, tags, eventsUrl, whipUrl, maxParticipants, maxPublishers, onePerPerson }: IvsStage) {
  return {
    arn, name, tags, endpoints: { events: eventsUrl, whip: whipUrl },
    ...(maxParticipants === undefined ? {} : { maxParticipants }),
    ...(maxPublishers === undefined ? {} : { maxPublishers }),
    ...(onePerPerson === undefined ? {} : { onePerPerson }),
  };
}
