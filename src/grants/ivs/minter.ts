import Router from '@koa/router';

import { loadOrCreateP384Key } from '../../keys/pem-keys.js';
import { IVS_REALTIME_API, ivsRealtimeApi } from './aws/api.js';
import { epochSeconds } from '../../time/clock.js';
import { defineMinter } from '../common/minter.js';
import { IVS_TOKENS_PER_SECOND, type IvsConfig } from './config.js';
import { ivsParticipantTokenGrant } from './grant.js';
import { ivsPublicKeyRoute } from './public-key-route.js';
import { findClient, mintingClientOf } from '../common/client-authentication.js';
import { IvsForwarding } from './ivs-forwarding.js';
import { KeepOuts } from './keep-out.js';
import { IvsModeration, operatorsRoll } from './moderation.js';
import { IvsParticipantDirectory } from './participant-directory.js';
import { ivsParticipantRoutes } from './participant-routes.js';
import { stageAdminResource } from './stage-admin.js';
import { IVS_RIGHTS_FIELDS } from './policy.js';
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
  async create(ivs, { provider, store, clock, people, bans, gateway, audit, logger, metrics }) {
    // Loaded once: the token endpoint signs with it and the IVS API lists its public half.
    const privateKey = await loadOrCreateP384Key(ivs.privateKeyFile);
    const stages = new IvsStageDirectory(ivs.stages, store);
    const participants = new IvsParticipantDirectory(store);
    const signingKey = { privateKey, publicKeyArn: ivs.publicKeyArn };
    const keepOuts = new KeepOuts(store, () => clock.now());
    const forwarding = ivs.forward && new IvsForwarding(ivs.forward, { logger, metrics });
    const now = () => epochSeconds(clock);
    const moderation = new IvsModeration({
      participants, stages, signingKey, keepOuts, bans, people, audit, now, keepOutSeconds: ivs.keepOutSeconds,
      clientRights: async (clientId) => {
        const client = await findClient(provider, clientId);
        return client && mintingClientOf(client).rights(IVS_RIGHTS_FIELDS);
      },
      // In the background: the local decision is made, and answered, whatever IVS says.
      disconnected: (participant, reason) => void forwarding?.disconnect(participant.resource, participant.id, reason),
    });
    const service = ivsMintingService({
      stages, people, participants, keepOuts, signingKey, bans, now, replaced: (ids, newer) => moderation.replaced(ids, newer),
    });
    const routes = new Router();
    for (const router of [ivsPublicKeyRoute(privateKey, ivs.publicKeyArn), ivsParticipantRoutes({ provider, people, gateway, moderation, grantType: IVS_GRANT_TYPE })]) {
      routes.use(router.routes(), router.allowedMethods());
    }
    return {
      grants: [ivsParticipantTokenGrant(service, { people, gateway })],
      routes,
      awsApi: (deps) => ivsRealtimeApi({ ...deps, ivs, service, stages, privateKey, store, gateway, moderation }),
      adminResources: [stageAdminResource(stages)],
      participants: operatorsRoll(participants, moderation),
      ends: {
        client: async (clientId) => moderation.endAll(await participants.ofClient(clientId), `client ${clientId} was deleted`),
        person: async (sub) => moderation.endAll(await participants.ofPerson(sub), 'the account was disabled or deleted'),
      },
    };
  },
});
