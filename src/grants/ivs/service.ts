import { accessDenied, describe, field, invalidTarget } from '../common/minting-error.js';
import { MINTING_GRANT_TYPE_PREFIX } from '../common/minting-grant.js';
import type { MintingCaller, MintingService } from '../common/minting-service.js';
import { participantExchange, type IvsParticipantDependencies } from './exchange.js';
import { admissionOf, admissionRefusal } from './admission.js';
import { participantToken, type IvsParticipantToken } from './participant-answer.js';
import { admittedAs, type IvsParticipant } from './participant-directory.js';
import { newParticipantId } from './participant-token.js';
import { authorizeIvsRequest, defaultCapabilities } from './policy.js';
import { validateIvsRequest, type IvsTokenInput } from './request.js';

export type { IvsParticipantToken } from './participant-answer.js';

export const IVS_GRANT_TYPE = `${MINTING_GRANT_TYPE_PREFIX}ivs-participant-token`;

export type IvsMintingService = MintingService<IvsTokenInput, IvsParticipantToken>;

/**
 * IVS participant tokens for the stages of this server, within the caller's rights; each is
 * recorded as a participant of its stage. A request carrying a participant token is an exchange
 * (./exchange.ts): a new token for that participant, with the same dependencies.
 */
export function ivsMintingService(deps: IvsParticipantDependencies): IvsMintingService {
  const { stages, participants, bans, keepOuts, now } = deps;
  const exchange = participantExchange(deps);
  return {
    grantType: IVS_GRANT_TYPE,
    resourceField: 'stageArn',

    authorize(input, caller) {
      if (input.participantToken === undefined) authorizeIvsRequest(caller, validateIvsRequest(input, defaultCapabilities(caller)));
    },

    async mint(input: IvsTokenInput, caller: MintingCaller) {
      if (input.participantToken !== undefined) return exchange(input, caller);
      const request = validateIvsRequest(input, defaultCapabilities(caller));
      // Policy first: a client may not learn which stages exist beyond those it is allowed.
      authorizeIvsRequest(caller, request);
      if (caller.person && request.userId !== undefined && request.userId !== caller.person.id) {
        throw accessDenied(describe`${field('userId')} must be the user of the subject_token`);
      }
      // The person the token names: the subject_token's, or whom a client minting for itself names.
      const userId = request.userId ?? caller.person?.id;
      await bans.refuse(userId, request.stageArn);
      await keepOuts.refuse(admittedAs({ person: caller.person?.id, userId, clientId: caller.clientId }), request.stageArn);
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
      const admitted = await participants.admit(participant, admissionOf(stage, participant, true));
      if (admitted.outcome !== 'admitted') throw admissionRefusal(admitted, stage.arn, stage);
      if (admitted.replaced.length > 0) await deps.replaced(admitted.replaced, participant);
      return participantToken(participant, stage, deps.signingKey, request.durationMinutes);
    },

    audited: (token) => ({ capabilities: token.capabilities }),
  };
}

function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString();
}
