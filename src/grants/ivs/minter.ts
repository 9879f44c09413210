import { loadOrCreateP384Key } from '../../keys/pem-keys.js';
import { epochSeconds } from '../../time/clock.js';
import { defineMinter } from '../common/minter.js';
import { ivsConfigSchema } from './config.js';
import { IVS_GRANT_TYPE, ivsParticipantTokenGrant } from './grant.js';
import { IVS_CAPABILITIES } from './participant-token.js';
import { ivsPublicKeyRoute } from './public-key-route.js';
import { IvsStageDirectory } from './stage-directory.js';

export const ivsMinter = defineMinter({
  name: 'ivs',
  section: ivsConfigSchema.optional(),
  enabled: (ivs) => ivs !== undefined,
  policyMetadata: { ivs_stage_arns: null, ivs_capabilities: IVS_CAPABILITIES },
  // IVS allows 50 CreateParticipantToken calls per second per account; each client is held to the same.
  tokensPerSecond: { [IVS_GRANT_TYPE]: 50 },
  async create(ivs, { store, clock }) {
    const privateKey = await loadOrCreateP384Key(ivs.privateKeyFile);
    return {
      grants: [ivsParticipantTokenGrant(ivs, new IvsStageDirectory(ivs.stages, store), privateKey, () => epochSeconds(clock))],
      routes: ivsPublicKeyRoute(privateKey, ivs.publicKeyArn),
    };
  },
});
