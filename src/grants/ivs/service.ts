import { accessDenied, describe, field, invalidTarget } from '../common/minting-error.js';
import { MINTING_GRANT_TYPE_PREFIX } from '../common/minting-grant.js';
import type { BanList } from '../common/ban-list.js';
import type { MintingCaller, MintingService } from '../common/minting-service.js';
import { admissionRefusal } from './admission.js';
import type { IvsParticipant, IvsParticipantDirectory } from './participant-directory.js';
import { encodeIvsParticipantToken, newParticipantId, type IvsCapability, type IvsSigningKey } from './participant-token.js';
import { authorizeIvsRequest, defaultCapabilities } from './policy.js';
import { validateIvsRequest, type IvsTokenInput } from './request.js';
import type { IvsStage, IvsStageDirectory } from './stage-directory.js';

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

export interface IvsMintingDependencies {
  stages: IvsStageDirectory;
  participants: IvsParticipantDirectory;
  signingKey: IvsSigningKey;
  bans: BanList;
  /** Epoch seconds. */
  now: () => number;
}

/** IVS participant tokens for the stages of this server, within the caller's rights; each is recorded as a participant of its stage. */
export function ivsMintingService(deps: IvsMintingDependencies): IvsMintingService {
  const { stages, participants, bans, now } = deps;
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

      const issuedAt = now();
      const participant: IvsParticipant = {
        id: newParticipantId(),
        resource: stage.arn,
        ...(caller.person ? { person: caller.person.id } : {}),
        ...(userId === undefined ? {} : { userId }),
        clientId: caller.clientId,
        capabilities: request.capabilities,
        attributes: request.attributes ?? {},
        issuedAt: isoSeconds(issuedAt),
        expiresAt: isoSeconds(issuedAt + request.durationMinutes * 60),
        live: true,
      };
      // The place is taken before the token exists: a token is answered only for an admitted participant.
      const admitted = await participants.admit(participant, { limits: [] });
      if (admitted.outcome !== 'admitted') throw admissionRefusal(admitted, stage.arn);
      return participantToken(participant, stage, deps, request.durationMinutes);
    },

    audited: (token) => ({ capabilities: token.capabilities }),
  };
}

/** The participant's token, signed, in CreateParticipantToken's shape. */
export async function participantToken(
  participant: IvsParticipant,
  stage: IvsStage,
  { signingKey }: Pick<IvsMintingDependencies, 'signingKey'>,
  durationMinutes: number,
): Promise<IvsParticipantToken> {
  const issuedAt = Date.parse(participant.issuedAt) / 1000;
  const token = await encodeIvsParticipantToken({
    participantId: participant.id,
    stageArn: stage.arn,
    eventsUrl: stage.eventsUrl,
    whipUrl: stage.whipUrl,
    userId: participant.userId,
    // An empty object is left out, as a first token minted without attributes left it out.
    attributes: Object.keys(participant.attributes).length === 0 ? undefined : participant.attributes,
    capabilities: participant.capabilities,
    issuedAt,
    durationMinutes,
  }, signingKey);
  return {
    participantId: participant.id,
    token,
    ...(participant.userId === undefined ? {} : { userId: participant.userId }),
    attributes: participant.attributes,
    duration: durationMinutes,
    capabilities: participant.capabilities,
    expirationTime: participant.expiresAt,
    expiresIn: durationMinutes * 60,
  };
}

function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString();
}
