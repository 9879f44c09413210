import { createPublicKey, type KeyObject } from 'node:crypto';

import type { Middleware } from 'koa';

import { MintingError } from '../../common/minting-error.js';
import { assertRegisteredFor, mintThrough, type MintingGateway } from '../../common/minting-gateway.js';
import { mintingClientOf } from '../../common/client-authentication.js';
import type { IvsConfig } from '../config.js';
import { IVS_RIGHTS_FIELDS } from '../policy.js';
import { IVS_GRANT_TYPE, type IvsMintingService } from '../service.js';
import type { IvsStageDirectory } from '../stage-directory.js';
import type { AwsApiDescription } from '../../common/minter.js';
import { awsEndpoint, awsOperation as operation, nameRoute, runOperation, type AwsOperation } from '../../../aws/aws-endpoint.js';
import type { AwsApiDependencies } from '../../common/minter.js';
import type { SetStore, ValueStore } from '../../../store/store.js';
import { AwsError } from '../../../aws/aws-error.js';
import { authenticateSignedClient, signedRequestOf } from '../../../aws/signed-client.js';
import type { IvsCall } from './access.js';
import { IVS_ERRORS } from './errors.js';
import {
  createParticipantTokenInput, createStageInput, disconnectParticipantInput, importPublicKeyInput, listInput, publicKeyArnInput, stageArnInput,
} from './inputs.js';
import type { IvsModeration } from '../moderation.js';
import { describePublicKey, IvsPublicKeyDirectory } from './public-key-directory.js';
import { publicKeyOperations } from './public-keys.js';
import { stageOperations } from './stages.js';

const OPERATIONS = [
  'CreateParticipantToken', 'CreateStage', 'GetStage', 'ListStages', 'DeleteStage', 'ImportPublicKey', 'GetPublicKey', 'ListPublicKeys', 'DisconnectParticipant',
] as const;

/** restJson1 under /aws/ivs-realtime, SigV4 signing name `ivs`. */
export const IVS_REALTIME_API: AwsApiDescription = { signingName: 'ivs', prefix: '/aws/ivs-realtime', operations: OPERATIONS };
export const IVS_REALTIME_PREFIX = IVS_REALTIME_API.prefix;
const SERVICE = IVS_REALTIME_API.signingName;

export interface IvsRealtimeDependencies extends AwsApiDependencies {
  ivs: IvsConfig;
  service: IvsMintingService;
  stages: IvsStageDirectory;
  /** The participant-token key, whose public half the API lists first. */
  privateKey: KeyObject;
  /** Where imported public keys are kept. */
  store: ValueStore & SetStore;
  gateway: MintingGateway;
  /** Who disconnects participants, holding ivs_moderated_stage_arns. */
  moderation: IvsModeration;
}

/**
 * Amazon IVS real-time (restJson1, SigV4 signing name `ivs`): `POST /<Operation>` relative to the
 * SDK's endpoint. Every call is signed by a client registered for IVS participant tokens; its
 * ivs_stage_arns and ivs_capabilities decide as they do at the token endpoint.
 */
export function ivsRealtimeApi(deps: IvsRealtimeDependencies): Middleware {
  const { ivs, provider, store, service, stages, privateKey, gateway, clock, moderation } = deps;
  const account = /^arn:aws:ivs:[^:]+:([0-9]+):/.exec(ivs.publicKeyArn)![1]!;
  const mint = mintThrough(gateway, service, IVS_RIGHTS_FIELDS);
  const keys = new IvsPublicKeyDirectory(
    { arn: ivs.publicKeyArn, name: 'stagepass-participant-tokens', tags: {}, ...describePublicKey(createPublicKey(privateKey)) },
    store,
  );
  const stageOps = stageOperations({ stages, account, mint });
  const publicKeys = publicKeyOperations({ keys, account });

  const byName: Record<(typeof OPERATIONS)[number], AwsOperation<IvsCall>> = {
    CreateParticipantToken: operation(createParticipantTokenInput, async (input, call) => {
      const { expiresIn: _seconds, ...participantToken } = await mint(input, call);
      return { participantToken };
    }),
    CreateStage: operation(createStageInput, stageOps.createStage),
    GetStage: operation(stageArnInput, stageOps.getStage),
    ListStages: operation(listInput, stageOps.listStages),
    DeleteStage: operation(stageArnInput, stageOps.deleteStage),
    ImportPublicKey: operation(importPublicKeyInput, publicKeys.importPublicKey),
    GetPublicKey: operation(publicKeyArnInput, publicKeys.getPublicKey),
    ListPublicKeys: operation(listInput, publicKeys.listPublicKeys),
    DisconnectParticipant: operation(disconnectParticipantInput, async ({ stageArn, participantId, reason }, { caller, ip }) => {
      await moderation.disconnect(participantId, reason === undefined ? {} : { reason }, { caller }, ip, stageArn);
      return {};
    }),
  };
  const operations = new Map<string, AwsOperation<IvsCall>>(Object.entries(byName));

  return awsEndpoint(IVS_REALTIME_PREFIX, IVS_ERRORS, deps, async (ctx, body) => {
    const signed = await authenticateSignedClient(signedRequestOf(ctx, body), provider, SERVICE, clock);
    const name = ctx.path.slice(IVS_REALTIME_PREFIX.length + 1);
    const found = ctx.method === 'POST' ? operations.get(name) : undefined;
    if (!found) throw new AwsError('UnknownOperationException', 404, `IVS real-time has no operation at ${ctx.method} ${ctx.path} here`);
    nameRoute(ctx, `${IVS_REALTIME_PREFIX}/${name}`);
    const client = mintingClientOf(signed.client);
    const caller = { clientId: client.clientId, rights: client.rights(IVS_RIGHTS_FIELDS) };
    try {
      // Every operation of the API is the IVS minter's: each takes a client registered for its tokens.
      assertRegisteredFor(client, IVS_GRANT_TYPE);
      return await runOperation(found, body, IVS_ERRORS, { signed, client, caller, ip: ctx.ip });
    } catch (error) {
      throw error instanceof MintingError ? IVS_ERRORS.fromMinting(error) : error;
    }
  });
}
