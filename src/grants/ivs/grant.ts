import type { KeyObject } from 'node:crypto';

import type { KoaContextWithOIDC } from 'oidc-provider';

import type { IvsConfig } from './config.js';
import { accessDenied, invalidRequest, invalidTarget } from '../common/grant-errors.js';
import { clientPolicy, readParams } from '../common/form-params.js';
import { JWT_TOKEN_TYPE, respondWithMintedToken } from '../common/minted-response.js';
import { MINTING_GRANT_TYPE_PREFIX, type MintingGrant } from '../common/minting-grant.js';
import { resolveSubject } from '../common/subject-token.js';
import { parseIvsParams } from './params.js';
import { encodeIvsParticipantToken, newParticipantId } from './participant-token.js';
import { authorizeIvsRequest } from './policy.js';
import type { IvsStageDirectory } from './stage-directory.js';

export const IVS_GRANT_TYPE = `${MINTING_GRANT_TYPE_PREFIX}ivs-participant-token`;

const PARAMETERS = ['stage_arn', 'duration', 'user_id', 'attributes', 'capabilities'] as const;
const LIST_PARAMETERS = ['capabilities'] as const;

export function ivsParticipantTokenGrant(ivs: IvsConfig, stages: IvsStageDirectory, privateKey: KeyObject, now: () => number): MintingGrant {
  const signingKey = { privateKey, publicKeyArn: ivs.publicKeyArn };

  return {
    grantType: IVS_GRANT_TYPE,
    async handle(ctx: KoaContextWithOIDC) {
      const parsed = parseIvsParams(readParams(ctx, PARAMETERS, LIST_PARAMETERS));
      if (!parsed.ok) throw invalidRequest(parsed.message);
      const request = parsed.value;
      const subject = await resolveSubject(ctx);

      // Policy first: a client may not learn which stages exist beyond those it is allowed.
      authorizeIvsRequest({ stageArns: clientPolicy(ctx, 'ivs_stage_arns'), capabilities: clientPolicy(ctx, 'ivs_capabilities') }, request);
      const stage = await stages.find(request.stageArn);
      if (!stage) throw invalidTarget(`stage ${request.stageArn} does not exist on this server`);
      if (subject.userId && request.userId !== undefined && request.userId !== subject.userId) {
        throw accessDenied('user_id must be the user of the subject_token');
      }

      const participantId = newParticipantId();
      const issuedAt = now();
      const userId = request.userId ?? subject.userId;
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
      respondWithMintedToken(ctx, { token, issuedTokenType: JWT_TOKEN_TYPE, expiresIn }, {
        participant_token: {
          participantId,
          token,
          userId,
          attributes: request.attributes ?? {},
          duration: request.durationMinutes,
          capabilities: request.capabilities,
          expirationTime: new Date((issuedAt + expiresIn) * 1000).toISOString(),
        },
      });
    },
  };
}
