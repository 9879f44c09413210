import type { KoaContextWithOIDC } from 'oidc-provider';

import type { VideoConfig } from './config.js';
import { invalidRequest, invalidTarget } from '../common/grant-errors.js';
import { clientPolicy, readParams } from '../common/form-params.js';
import { respondWithMintedToken } from '../common/minted-response.js';
import { MINTING_GRANT_TYPE_PREFIX, type MintingGrant } from '../common/minting-grant.js';
import { resolveSubject } from '../common/subject-token.js';
import { parseVideoParams, type VideoTokenFormat } from './params.js';
import { authorizeVideoRole } from './policy.js';
import { videoSessionApiKey } from './session-id.js';
import type { VideoSigner } from './signers.js';

export const VIDEO_GRANT_TYPE = `${MINTING_GRANT_TYPE_PREFIX}video-token`;

const PARAMETERS = ['session_id', 'role', 'connection_data', 'expire_time', 'initial_layout_class_list', 'token_format'] as const;

export function videoTokenGrant(
  video: VideoConfig,
  signers: Partial<Record<VideoTokenFormat, VideoSigner>>,
  now: () => number,
): MintingGrant {
  return {
    grantType: VIDEO_GRANT_TYPE,
    async handle(ctx: KoaContextWithOIDC) {
      const issuedAt = now();
      const parsed = parseVideoParams(readParams(ctx, PARAMETERS), issuedAt, video.tokenFormat);
      if (!parsed.ok) throw invalidRequest(parsed.message);
      const request = parsed.value;
      await resolveSubject(ctx);

      const signer = signers[request.tokenFormat];
      if (!signer) throw invalidRequest(`token_format ${request.tokenFormat} needs video.applicationId and video.privateKeyFile in the server configuration`);
      const owner = videoSessionApiKey(request.sessionId);
      if (owner === undefined) throw invalidTarget('session_id is not a video session id');
      if (owner !== signer.sessionOwner) throw invalidTarget(`session ${request.sessionId} does not belong to this server's video ${request.tokenFormat === 'vonage' ? 'application' : 'API key'}`);
      authorizeVideoRole(clientPolicy(ctx, 'video_roles'), request.role);

      const token = await signer.sign({
        sessionId: request.sessionId,
        role: request.role,
        issuedAt,
        expireTime: request.expireTime,
        connectionData: request.connectionData,
        initialLayoutClassList: request.initialLayoutClassList,
      });
      respondWithMintedToken(ctx, { token, issuedTokenType: signer.issuedTokenType, expiresIn: request.expireTime - issuedAt }, {
        video_token: {
          token,
          sessionId: request.sessionId,
          role: request.role,
          expireTime: request.expireTime,
          connectionData: request.connectionData ?? '',
        },
      });
    },
  };
}
