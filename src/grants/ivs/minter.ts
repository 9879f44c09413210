import type { IvsConfig } from '../../config/schema.js';
import { loadOrCreateP384Key } from '../../keys/pem-keys.js';
import type { Minter } from '../common/minter.js';
import type { MinterDependencies } from '../index.js';
import { ivsParticipantTokenGrant } from './grant.js';
import { ivsPublicKeyRoute } from './public-key-route.js';
import { IvsStageDirectory } from './stage-directory.js';

export async function ivsMinter(ivs: IvsConfig, { store, now }: MinterDependencies): Promise<Minter> {
  const privateKey = await loadOrCreateP384Key(ivs.privateKeyFile);
  return {
    name: 'ivs',
    grants: [ivsParticipantTokenGrant(ivs, new IvsStageDirectory(ivs.stages, store), privateKey, now)],
    routes: ivsPublicKeyRoute(privateKey, ivs.publicKeyArn),
  };
}
