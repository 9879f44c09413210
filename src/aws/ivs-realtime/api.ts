import { createPublicKey } from 'node:crypto';

import type { Middleware } from 'koa';
import type { Provider } from 'oidc-provider';
import type { z } from 'zod';

import type { IvsConfig } from '../../grants/ivs/config.js';
import { IvsStageDirectory } from '../../grants/ivs/stage-directory.js';
import { loadOrCreateP384Key } from '../../keys/pem-keys.js';
import type { Store } from '../../store/store.js';
import { awsEndpoint, nameRoute, type EndpointDependencies } from '../aws-endpoint.js';
import { AwsError } from '../aws-error.js';
import { requestOrigin, type Dispatch, type RequestOrigin } from '../in-process-dispatch.js';
import { parseJsonInput } from '../json-input.js';
import { authenticateSignedClient, signedRequestOf, type SignedClient } from '../signed-client.js';
import { assertIvsClient } from './access.js';
import { IVS_ERRORS } from './errors.js';
import { createParticipantTokenInput, createStageInput, importPublicKeyInput, listInput, publicKeyArnInput, stageArnInput } from './inputs.js';
import { mintParticipantToken } from './participant-tokens.js';
import { describePublicKey, IvsPublicKeyDirectory } from './public-key-directory.js';
import { publicKeyOperations } from './public-keys.js';
import { stageOperations } from './stages.js';

export const IVS_REALTIME_PREFIX = '/aws/ivs-realtime';
/** The SigV4 signing name of IVS real-time. */
const SERVICE = 'ivs';

export interface IvsRealtimeDependencies extends EndpointDependencies {
  ivs: IvsConfig;
  provider: Provider;
  store: Store;
  dispatch: Dispatch;
}

interface Operation {
  schema: z.ZodType;
  run(input: never, signed: SignedClient, origin: RequestOrigin): Promise<object>;
}

const operation = <T>(schema: z.ZodType<T>, run: (input: T, signed: SignedClient, origin: RequestOrigin) => Promise<object>): Operation => ({ schema, run });

/**
 * Amazon IVS real-time (restJson1, SigV4 signing name `ivs`): `POST /<Operation>` relative to the
 * SDK's endpoint. Every call is signed by a client registered for IVS participant tokens.
 */
export async function ivsRealtimeApi(deps: IvsRealtimeDependencies): Promise<Middleware> {
  const { ivs, provider, store, dispatch } = deps;
  const account = /^arn:aws:ivs:[^:]+:([0-9]+):/.exec(ivs.publicKeyArn)![1]!;
  const minting = { dispatch, tokenPath: new URL(provider.urlFor('token')).pathname };
  const serverKey = createPublicKey(await loadOrCreateP384Key(ivs.privateKeyFile));
  const keys = new IvsPublicKeyDirectory({ arn: ivs.publicKeyArn, name: 'stagepass-participant-tokens', tags: {}, ...describePublicKey(serverKey) }, store);
  const stages = stageOperations({ stages: new IvsStageDirectory(ivs.stages, store), account, ...minting });
  const publicKeys = publicKeyOperations({ keys, account });

  const operations = new Map<string, Operation>([
    ['CreateParticipantToken', operation(createParticipantTokenInput, async (input, signed, origin) => ({
      participantToken: await mintParticipantToken(input, signed, minting, origin),
    }))],
    ['CreateStage', operation(createStageInput, stages.createStage)],
    ['GetStage', operation(stageArnInput, stages.getStage)],
    ['ListStages', operation(listInput, stages.listStages)],
    ['DeleteStage', operation(stageArnInput, stages.deleteStage)],
    ['ImportPublicKey', operation(importPublicKeyInput, publicKeys.importPublicKey)],
    ['GetPublicKey', operation(publicKeyArnInput, publicKeys.getPublicKey)],
    ['ListPublicKeys', operation(listInput, publicKeys.listPublicKeys)],
  ]);

  return awsEndpoint(IVS_REALTIME_PREFIX, IVS_ERRORS, deps, async (ctx, body) => {
    const signed = await authenticateSignedClient(signedRequestOf(ctx, body), provider, SERVICE);
    const name = ctx.path.slice(IVS_REALTIME_PREFIX.length + 1);
    const found = ctx.method === 'POST' ? operations.get(name) : undefined;
    if (!found) throw new AwsError('UnknownOperationException', 404, `IVS real-time has no operation at ${ctx.method} ${ctx.path} here`);
    nameRoute(ctx, `${IVS_REALTIME_PREFIX}/${name}`);
    assertIvsClient(signed.client);
    const input = parseJsonInput(found.schema, body);
    if (!input.ok) throw IVS_ERRORS.validation(input.message);
    return { ...(await found.run(input.value as never, signed, requestOrigin(ctx))) };
  });
}
