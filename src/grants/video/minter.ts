import { loadRsaPrivateKey } from '../../keys/pem-keys.js';
import { epochSeconds } from '../../time/clock.js';
import { defineMinter } from '../common/minter.js';
import type { VideoConfig } from './config.js';
import { videoTokenGrant } from './grant.js';
import { VIDEO_GRANT_TYPE, videoMintingService } from './service.js';
import { canonicalVideoSessionId } from './session-id.js';
import { videoSessionRoutes } from './session-routes.js';
import { videoSigners } from './signers.js';

export const videoMinter = defineMinter<VideoConfig | undefined>({
  name: 'video',
  enabled: (video) => video !== undefined,
  canonicalResource: canonicalVideoSessionId,
  example: (_video, { issuer, clientId, clientSecret }) => [
    'Create a video session, then mint a token for it:',
    `  curl -s -u ${clientId}:${clientSecret} -X POST ${issuer}/video/sessions`,
    `  curl -s -u ${clientId}:${clientSecret} -d grant_type=${VIDEO_GRANT_TYPE} -d session_id=<session_id> ${issuer}/token`,
  ],
  async create(video, { provider, clock, people, bans, gateway }) {
    const applicationKey = video.privateKeyFile === undefined ? undefined : await loadRsaPrivateKey(video.privateKeyFile);
    const signers = videoSigners(video, applicationKey);
    // Sessions are created for the default format's credentials, so its tokens fit them.
    const sessionOwner = signers[video.tokenFormat]!.sessionOwner;
    return {
      grants: [videoTokenGrant(videoMintingService(video, signers, bans, () => epochSeconds(clock)), { people, gateway })],
      routes: videoSessionRoutes(provider, sessionOwner, () => new Date(clock.now())),
    };
  },
});
