import { accessDenied, describe, field, invalidTarget } from '../common/minting-error.js';
import { MINTING_GRANT_TYPE_PREFIX } from '../common/minting-grant.js';
import type { BanList } from '../common/ban-list.js';
import type { MintingCaller, MintingService } from '../common/minting-service.js';
import { encodeIvsParticipantToken, newParticipantId, type IvsCapability, type IvsSigningKey } from './participant-token.js';
import { authorizeIvsRequest, defaultCapabilities } from './policy.js';
import { validateIvsRequest, type IvsTokenInput } from './request.js';
import type { IvsStageDirectory } from './stage-directory.js';

export const IVS_GRANT_TYPE = `${MINTING_GRANT_TYPE_PREFIX}ivs-participant-token`;

/** A participant token, in the shape IVS's CreateParticipantToken answers. */
export interface IvsParticipantToken {
  participantId: string;
  token: string;
  userId?: string;
  attributes: Record<string, string>;
  /** Minutes. */
  duration: number;
  capabilities: IvsCapability[];
  expirationTime: string;
  /** Seconds. */
  expiresIn: number;
}

export type IvsMintingService = MintingService<IvsTokenInput, IvsParticipantToken>;

/** IVS participant tokens for the stages of this server, within the caller's rights. */
export function ivsMintingService(stages: IvsStageDirectory, signingKey: IvsSigningKey, bans: BanList, now: () => number): IvsMintingService {
  return {
    grantType: IVS_GRANT_TYPE,
    resourceField: 'stageArn',

    async mint(input: IvsTokenInput, caller: MintingCaller) {
      const request = validateIvsRequest(input, defaultCapabilities(caller));
      // Policy first: a client may not learn which stages exist beyond those it is allowed.
      authorizeIvsRequest(caller, request);
      if (caller.person && request.userId !== undefined && request.userId !== caller.person.id) {
        throw accessDenied(describe`${field('userId')} must be the user of the subject_token`);
      }
      // The person the token names: the subject_token's, or whom a client minting for itself names.
      const userId = request.userId ?? caller.person?.id;
      await bans.refuse(userId, request.stageArn);
      if (request.capabilities.length === 0 && input.capabilities === undefined) {
        throw accessDenied(describe`this person may grant no capability on stage ${request.stageArn}`);
      }
      const stage = await stages.find(request.stageArn);
      if (!stage) throw invalidTarget(describe`stage ${request.stageArn} does not exist on this server`);

      const participantId = newParticipantId();
      const issuedAt = now();
      const token = await encodeIvsParticipantToken({
        participantId,
        stageArn: stage.arn,
        eventsUrl: stage.eventsUrl,
        whipUrl: stage.whipUrl,
        userId,
        attributes: request.attributes,
        capabilities: request.capabilities,
        issuedAt,
        durationMinutes: request.durationMinutes,
      }, signingKey);
      const expiresIn = request.durationMinutes * 60;
      return {
        participantId,
        token,
        ...(userId === undefined ? {} : { userId }),
        attributes: request.attributes ?? {},
        duration: request.durationMinutes,
        capabilities: request.capabilities,
        expirationTime: new Date((issuedAt + expiresIn) * 1000).toISOString(),
        expiresIn,
      };
    },

    audited: (token) => ({ capabilities: token.capabilities }),
  };
}
