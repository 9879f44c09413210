import { createSecretKey, type KeyObject } from 'node:crypto';

import type { VideoConfig } from './config.js';
import { JWT_TOKEN_TYPE } from '../common/minted-response.js';
import type { VideoTokenFormat } from './request.js';
import {
  encodeJwtVideoToken,
  encodeT1VideoToken,
  encodeVonageApplicationVideoToken,
  type VideoTokenClaims,
} from './video-token.js';

/** One token format's credentials: the key its sessions belong to and how its tokens are made. */
export interface VideoSigner {
  /** The API key (or application id) that session ids for this format must carry. */
  sessionOwner: string;
  issuedTokenType: string;
  sign(claims: VideoTokenClaims): Promise<string>;
}

/** T1 tokens are not JWTs; RFC 8693 lets an issuer name its own token types with a URI. */
const T1_TOKEN_TYPE = 'urn:stagepass:token-type:opentok-t1';

/** The signers the configuration allows; `vonage` only where application credentials are configured. */
export function videoSigners(video: VideoConfig, applicationKey: KeyObject | undefined): Partial<Record<VideoTokenFormat, VideoSigner>> {
  const project = { apiKey: video.apiKey, apiSecret: createSecretKey(Buffer.from(video.apiSecret)) };
  const signers: Partial<Record<VideoTokenFormat, VideoSigner>> = {
    jwt: { sessionOwner: video.apiKey, issuedTokenType: JWT_TOKEN_TYPE, sign: (claims) => encodeJwtVideoToken(claims, project) },
    t1: { sessionOwner: video.apiKey, issuedTokenType: T1_TOKEN_TYPE, sign: async (claims) => encodeT1VideoToken(claims, project) },
  };
  if (video.applicationId !== undefined && applicationKey) {
    const application = { applicationId: video.applicationId, privateKey: applicationKey };
    signers.vonage = {
      sessionOwner: video.applicationId,
      issuedTokenType: JWT_TOKEN_TYPE,
      sign: (claims) => encodeVonageApplicationVideoToken(claims, application),
    };
  }
  return signers;
}
