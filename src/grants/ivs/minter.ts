import { loadOrCreateP384Key } from '../../keys/pem-keys.js';
import { IVS_REALTIME_API, ivsRealtimeApi } from './aws/api.js';
import { epochSeconds } from '../../time/clock.js';
import { defineMinter } from '../common/minter.js';
import { IVS_TOKENS_PER_SECOND, type IvsConfig } from './config.js';
import { ivsParticipantTokenGrant } from './grant.js';
import { ivsPublicKeyRoute } from './public-key-route.js';
import { IvsParticipantDirectory } from './participant-directory.js';
import { IVS_GRANT_TYPE, ivsMintingService } from './service.js';
import { IvsStageDirectory } from './stage-directory.js';

export const ivsMinter = defineMinter<IvsConfig | undefined>({
  name: 'ivs',
  aws: IVS_REALTIME_API,
  enabled: (ivs) => ivs !== undefined,
  tokensPerSecond: { [IVS_GRANT_TYPE]: IVS_TOKENS_PER_SECOND },
  example: (ivs, { issuer, clientId, clientSecret }) => {
    const stage = ivs.stages[0];
    return stage && [
      'Mint an IVS participant token:',
      `  curl -s -u ${clientId}:${clientSecret} -d grant_type=${IVS_GRANT_TYPE} -d stage_arn=${stage.arn} ${issuer}/token`,
    ];
  },
  async create(ivs, { store, clock, people, bans, gateway }) {
    // Loaded once: the token endpoint signs with it and the IVS API lists its public half.
    const privateKey = await loadOrCreateP384Key(ivs.privateKeyFile);
    const stages = new IvsStageDirectory(ivs.stages, store);
    const participants = new IvsParticipantDirectory(store);
    const signingKey = { privateKey, publicKeyArn: ivs.publicKeyArn };
    const service = ivsMintingService({ stages, people, participants, signingKey, bans, now: () => epochSeconds(clock) });
    return {
      grants: [ivsParticipantTokenGrant(service, { people, gateway })],
      routes: ivsPublicKeyRoute(privateKey, ivs.publicKeyArn),
      awsApi: (deps) => ivsRealtimeApi({ ...deps, ivs, service, stages, privateKey, store, gateway }),
      participants,
    };
  },
});
