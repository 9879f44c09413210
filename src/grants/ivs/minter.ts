import type { IvsConfig } from '../../config/schema.js';
import { loadOrCreateP384Key } from '../../keys/pem-keys.js';
import type { Minter } from '../common/minter.js';
import { ivsParticipantTokenGrant } from './grant.js';
import { ivsPublicKeyRoute } from './public-key-route.js';

export async function ivsMinter(ivs: IvsConfig, now: () => number): Promise<Minter> {
  const privateKey = await loadOrCreateP384Key(ivs.privateKeyFile);
  return {
    name: 'ivs',
    grants: [ivsParticipantTokenGrant(ivs, privateKey, now)],
    routes: ivsPublicKeyRoute(privateKey, ivs.publicKeyArn),
  };
}
