import { describe, field, invalidRequest, invalidTarget } from '../common/minting-error.js';
import { MINTING_GRANT_TYPE_PREFIX } from '../common/minting-grant.js';
import type { BanList } from '../common/ban-list.js';
import type { MintingCaller, MintingService } from '../common/minting-service.js';
import type { VideoConfig } from './config.js';
import { authorizeVideoRole, defaultRole } from './policy.js';
import { validateVideoRequest, type VideoTokenFormat, type VideoTokenInput } from './request.js';
import { videoSessionApiKey } from './session-id.js';
import type { VideoSigner } from './signers.js';
import type { VideoRole } from './video-token.js';

export const VIDEO_GRANT_TYPE = `${MINTING_GRANT_TYPE_PREFIX}video-token`;

/** A video client token, with what the SDKs' generateToken would have been told. */
export interface MintedVideoToken {
  token: string;
  issuedTokenType: string;
  sessionId: string;
  role: VideoRole;
  /** Epoch seconds. */
  expireTime: number;
  connectionData: string;
  expiresIn: number;
}

export type VideoMintingService = MintingService<VideoTokenInput, MintedVideoToken>;

/** Video client tokens for sessions of this server's project (or application), in the roles the caller may grant. */
export function videoMintingService(
  video: VideoConfig,
  signers: Partial<Record<VideoTokenFormat, VideoSigner>>,
  bans: BanList,
  now: () => number,
): VideoMintingService {
  return {
    grantType: VIDEO_GRANT_TYPE,
    resourceField: 'sessionId',

    authorize(input, caller) {
      authorizeVideoRole(caller, validateVideoRequest(input, now(), video.tokenFormat, defaultRole(caller)).role);
    },

    async mint(input: VideoTokenInput, caller: MintingCaller) {
      const issuedAt = now();
      const request = validateVideoRequest(input, issuedAt, video.tokenFormat, defaultRole(caller));
      const signer = signers[request.tokenFormat];
      if (!signer) {
        throw invalidRequest(describe`${field('tokenFormat')} ${request.tokenFormat} needs video.applicationId and video.privateKeyFile in the server configuration`);
      }
      const owner = videoSessionApiKey(request.sessionId);
      if (owner === undefined) throw invalidTarget(describe`${field('sessionId')} is not a video session id`);
      if (owner !== signer.sessionOwner) {
        throw invalidTarget(describe`session ${request.sessionId} does not belong to this server's video ${request.tokenFormat === 'vonage' ? 'application' : 'API key'}`);
      }
      authorizeVideoRole(caller, request.role);
      await bans.refuse(caller.person?.id, request.sessionId);

      const token = await signer.sign({
        sessionId: request.sessionId,
        role: request.role,
        issuedAt,
        expireTime: request.expireTime,
        connectionData: request.connectionData,
        initialLayoutClassList: request.initialLayoutClassList,
      });
      return {
        token,
        issuedTokenType: signer.issuedTokenType,
        sessionId: request.sessionId,
        role: request.role,
        expireTime: request.expireTime,
        connectionData: request.connectionData ?? '',
        expiresIn: request.expireTime - issuedAt,
      };
    },

    audited: (minted) => ({ capabilities: [minted.role] }),
  };
}
