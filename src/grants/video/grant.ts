import { mintedTokenAnswer } from '../common/minted-response.js';
import { tokenEndpointGrant, type MintingGrant, type MintingGrantDependencies } from '../common/minting-grant.js';
import { decodeVideoForm, VIDEO_FORM_NAMES, VIDEO_PARAMETERS } from './params.js';
import { VIDEO_RIGHTS_FIELDS } from './policy.js';
import type { VideoMintingService } from './service.js';

/** Video client tokens at the token endpoint, with the token's own terms beside RFC 8693's answer. */
export function videoTokenGrant(service: VideoMintingService, { people, gateway }: MintingGrantDependencies): MintingGrant {
  return tokenEndpointGrant({
    service,
    people,
    gateway,
    parameters: VIDEO_PARAMETERS,
    formNames: VIDEO_FORM_NAMES,
    rightsFields: VIDEO_RIGHTS_FIELDS,
    decode: decodeVideoForm,
    answer: ({ token, issuedTokenType, expiresIn, sessionId, role, expireTime, connectionData }) => mintedTokenAnswer(
      { token, issuedTokenType, expiresIn },
      { video_token: { token, sessionId, role, expireTime, connectionData } },
    ),
  });
}
