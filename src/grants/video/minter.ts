import type { VideoConfig } from '../../config/schema.js';
import { loadRsaPrivateKey } from '../../keys/pem-keys.js';
import type { Minter } from '../common/minter.js';
import type { MinterDependencies } from '../index.js';
import { videoTokenGrant } from './grant.js';
import { videoSessionRoutes } from './session-routes.js';
import { videoSigners } from './signers.js';

export async function videoMinter(video: VideoConfig, { provider, now }: MinterDependencies): Promise<Minter> {
  const applicationKey = video.privateKeyFile === undefined ? undefined : await loadRsaPrivateKey(video.privateKeyFile);
  const signers = videoSigners(video, applicationKey);
  // Sessions are created for the default format's credentials, so its tokens fit them.
  const sessionOwner = signers[video.tokenFormat]!.sessionOwner;
  return {
    name: 'video',
    grants: [videoTokenGrant(video, signers, now)],
    routes: videoSessionRoutes(provider, sessionOwner, () => new Date()),
  };
}
