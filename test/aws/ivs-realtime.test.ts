import { generateKeyPairSync } from 'node:crypto';

import {
  AccessDeniedException,
  ConflictException,
  CreateParticipantTokenCommand,
  CreateStageCommand,
  DeleteStageCommand,
  GetPublicKeyCommand,
  GetStageCommand,
  ImportPublicKeyCommand,
  IVSRealTimeClient,
  ListPublicKeysCommand,
  ListStagesCommand,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-ivs-realtime';
import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { REGION, sdkConfig, signedPost } from '../support/aws.js';
import { IVS_GRANT, ivsConfig, mint, MINTING_CLIENTS, PUBLIC_KEY_ARN, STAGES } from '../support/minters.js';
import { CLIENTS, startStagepass, type RunningStagepass } from '../support/stagepass.js';

/** May mint for and manage every stage; authenticates at the token endpoint with client_secret_post. */
const STAGE_ADMIN = {
  client_id: 'stage-admin',
  client_secret: 'stage-admin-secret-0123456789abcd',
  token_endpoint_auth_method: 'client_secret_post',
  grant_types: [IVS_GRANT],
  response_types: [],
  redirect_uris: [],
  ivs_stage_arns: ['*'],
  ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'],
};
const { stageBackend, viewerBackend, unconfigured } = MINTING_CLIENTS;

let server: RunningStagepass;
let verificationKey: CryptoKey;
let publishedPem: string;
beforeAll(async () => {
  server = await startStagepass({
    config: (keysDir) => ({ ivs: ivsConfig(keysDir), clients: [CLIENTS.native, STAGE_ADMIN, ...Object.values(MINTING_CLIENTS)] }),
  });
  publishedPem = ((await (await fetch(`${server.issuer}/ivs/public-key`)).json()) as { pem: string }).pem;
  verificationKey = await importSPKI(publishedPem, 'ES384');
});
afterAll(() => server.close());

const ivsAs = (client: { client_id: string; client_secret: string }, extra: Record<string, unknown> = {}) =>
  new IVSRealTimeClient(sdkConfig(server.issuer, 'ivs-realtime', client, extra));
const verify = (token: string) => jwtVerify(token, verificationKey, { algorithms: ['ES384'] });
const p384PublicKeyPem = () =>
  generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

describe('IVS real-time stages and participant tokens', () => {
  it('CreateStage then CreateParticipantToken: the token verifies with the server\'s IVS key and names the new stage', async () => {
    const ivs = ivsAs(STAGE_ADMIN);
    const { stage } = await ivs.send(new CreateStageCommand({ name: 'launch-party', tags: { team: 'events' } }));
    expect(stage!.arn).toMatch(new RegExp(`^arn:aws:ivs:${REGION}:123456789012:stage/[A-Za-z0-9]{12}$`));
    expect(stage).toMatchObject({ name: 'launch-party', tags: { team: 'events' }, endpoints: { events: 'wss://global.events.live-video.net' } });

    const { participantToken } = await ivs.send(new CreateParticipantTokenCommand({ stageArn: stage!.arn, userId: 'host-1', capabilities: ['PUBLISH'] }));
    expect(decodeProtectedHeader(participantToken!.token!)).toEqual({ alg: 'ES384', typ: 'JWT', kid: PUBLIC_KEY_ARN });
    const { payload } = await verify(participantToken!.token!);
    expect(payload).toMatchObject({
      resource: stage!.arn,
      topic: stage!.arn!.split('/')[1],
      events_url: stage!.endpoints!.events,
      whip_url: stage!.endpoints!.whip,
      user_id: 'host-1',
      capabilities: { allow_publish: true },
      jti: participantToken!.participantId,
    });
  });

  it('CreateParticipantToken for a configured stage answers IVS\'s participantToken shape', async () => {
    const before = Date.now();
    const { participantToken } = await ivsAs(stageBackend).send(new CreateParticipantTokenCommand({
      stageArn: STAGES.main.arn, duration: 30, userId: 'guest-7', attributes: { seat: 'A1' }, capabilities: ['PUBLISH', 'SUBSCRIBE'],
    }));
    expect(participantToken).toMatchObject({ userId: 'guest-7', attributes: { seat: 'A1' }, duration: 30, capabilities: ['PUBLISH', 'SUBSCRIBE'] });
    expect(participantToken!.participantId).toMatch(/^[A-Za-z0-9]{12}$/);
    const expiresInMs = participantToken!.expirationTime!.getTime() - before;
    expect(expiresInMs).toBeGreaterThan(29 * 60_000);
    expect(expiresInMs).toBeLessThanOrEqual(30 * 60_000 + 1_000);
    expect((await verify(participantToken!.token!)).payload.whip_url).toBe(STAGES.main.whipUrl);
  });

  it('an empty capabilities list mints a token that grants nothing, not both', async () => {
    const { participantToken } = await ivsAs(stageBackend).send(new CreateParticipantTokenCommand({ stageArn: STAGES.main.arn, capabilities: [] }));
    expect(participantToken!.capabilities).toEqual([]);
    expect((await verify(participantToken!.token!)).payload.capabilities).toEqual({});
  });

  it('CreateStage with participant token configurations returns one verified token each', async () => {
    const { stage, participantTokens } = await ivsAs(STAGE_ADMIN).send(new CreateStageCommand({
      participantTokenConfigurations: [{ userId: 'host', capabilities: ['PUBLISH', 'SUBSCRIBE'] }, { userId: 'viewer', capabilities: ['SUBSCRIBE'], duration: 60 }],
    }));
    expect(participantTokens!.map((token) => token.userId)).toEqual(['host', 'viewer']);
    for (const token of participantTokens!) expect((await verify(token.token!)).payload.resource).toBe(stage!.arn);
  });

  it('the token endpoint mints for a stage created through the API, and stops once it is deleted', async () => {
    const ivs = ivsAs(STAGE_ADMIN);
    const { stage } = await ivs.send(new CreateStageCommand({}));
    const minted = await mint(server.issuer, STAGE_ADMIN, IVS_GRANT, { stage_arn: stage!.arn! });
    expect(minted.status).toBe(200);

    await ivs.send(new DeleteStageCommand({ arn: stage!.arn }));
    await expect(ivs.send(new GetStageCommand({ arn: stage!.arn }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(ivs.send(new CreateParticipantTokenCommand({ stageArn: stage!.arn }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect((await mint(server.issuer, STAGE_ADMIN, IVS_GRANT, { stage_arn: stage!.arn! })).body.error).toBe('invalid_target');
  });

  it('GetStage shows a configured stage with its endpoints', async () => {
    const { stage } = await ivsAs(stageBackend).send(new GetStageCommand({ arn: STAGES.main.arn }));
    expect(stage).toMatchObject({ arn: STAGES.main.arn, endpoints: { events: STAGES.main.eventsUrl, whip: STAGES.main.whipUrl } });
  });

  it('ListStages lists configured stages first, by ARN, and pages through the rest', async () => {
    const ivs = ivsAs(STAGE_ADMIN);
    await ivs.send(new CreateStageCommand({ name: 'listed' }));
    const first = await ivs.send(new ListStagesCommand({ maxResults: 2 }));
    expect(first.stages!.map((stage) => stage.arn)).toEqual([STAGES.main.arn, STAGES.backstage.arn].sort());
    expect(first.nextToken).toEqual(expect.any(String));
    const rest = await ivs.send(new ListStagesCommand({ maxResults: 100, nextToken: first.nextToken }));
    expect(rest.stages!.map((stage) => stage.name)).toContain('listed');
    expect(rest.nextToken).toBeUndefined();
  });

  it('ListStages shows a client only the stages its ivs_stage_arns names', async () => {
    const { stages } = await ivsAs(stageBackend).send(new ListStagesCommand({}));
    expect(stages!.map((stage) => stage.arn)).toEqual([STAGES.main.arn]);
  });
});

describe('IVS real-time public keys', () => {
  it('ListPublicKeys and GetPublicKey show the key participant tokens are signed with', async () => {
    const ivs = ivsAs(stageBackend);
    const { publicKeys } = await ivs.send(new ListPublicKeysCommand({}));
    expect(publicKeys![0]!.arn).toBe(PUBLIC_KEY_ARN);
    const { publicKey } = await ivs.send(new GetPublicKeyCommand({ arn: PUBLIC_KEY_ARN }));
    expect(publicKey!.publicKeyMaterial).toBe(publishedPem);
    expect(publicKey!.fingerprint).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
  });

  it('ImportPublicKey keeps a P-384 key, which GetPublicKey and ListPublicKeys then show', async () => {
    const ivs = ivsAs(STAGE_ADMIN);
    const pem = p384PublicKeyPem();
    const { publicKey } = await ivs.send(new ImportPublicKeyCommand({ publicKeyMaterial: pem, name: 'broadcaster-key' }));
    expect(publicKey!.arn).toMatch(/:public-key\/[A-Za-z0-9]{12}$/);
    expect((await ivs.send(new GetPublicKeyCommand({ arn: publicKey!.arn }))).publicKey).toMatchObject({ name: 'broadcaster-key', publicKeyMaterial: pem });
    const { publicKeys } = await ivs.send(new ListPublicKeysCommand({ maxResults: 100 }));
    expect(publicKeys!.map((key) => key.arn)).toContain(publicKey!.arn);
  });

  it('importing the same key twice throws ConflictException', async () => {
    const ivs = ivsAs(STAGE_ADMIN);
    const pem = p384PublicKeyPem();
    await ivs.send(new ImportPublicKeyCommand({ publicKeyMaterial: pem }));
    await expect(ivs.send(new ImportPublicKeyCommand({ publicKeyMaterial: pem }))).rejects.toBeInstanceOf(ConflictException);
  });

  it.each([
    ['a P-256 key', generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), /P-384/],
    ['text that is not PEM', 'ssh-ed25519 AAAAC3Nza', /PEM public key/],
  ])('importing %s throws ValidationException', async (_case, publicKeyMaterial, message) => {
    const importing = ivsAs(STAGE_ADMIN).send(new ImportPublicKeyCommand({ publicKeyMaterial }));
    await expect(importing).rejects.toBeInstanceOf(ValidationException);
    await expect(importing).rejects.toMatchObject({ exceptionMessage: expect.stringMatching(message) });
  });

  it('an unknown public key throws ResourceNotFoundException', async () => {
    const getting = ivsAs(stageBackend).send(new GetPublicKeyCommand({ arn: 'arn:aws:ivs:us-west-2:123456789012:public-key/Nowhere00000' }));
    await expect(getting).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('IVS real-time policy: the client\'s ivs_stage_arns and ivs_capabilities apply as at the token endpoint', () => {
  it.each([
    ['a stage outside ivs_stage_arns', stageBackend, { stageArn: STAGES.backstage.arn }, /may not mint tokens for stage/],
    ['a capability outside ivs_capabilities', viewerBackend, { stageArn: STAGES.main.arn, capabilities: ['PUBLISH' as const] }, /may not grant PUBLISH/],
    ['a client without IVS policy', unconfigured, { stageArn: STAGES.main.arn }, /may not mint tokens for stage/],
  ])('CreateParticipantToken for %s throws AccessDeniedException (403)', async (_case, client, input, message) => {
    const minting = ivsAs(client).send(new CreateParticipantTokenCommand(input));
    await expect(minting).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(minting).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 }, message: expect.stringMatching(message) });
  });

  it('a client that may not mint for every stage cannot create stages', async () => {
    await expect(ivsAs(stageBackend).send(new CreateStageCommand({ name: 'mine' }))).rejects.toBeInstanceOf(AccessDeniedException);
  });

  it('a configured stage cannot be deleted through the API', async () => {
    await expect(ivsAs(STAGE_ADMIN).send(new DeleteStageCommand({ arn: STAGES.main.arn }))).rejects.toBeInstanceOf(AccessDeniedException);
    expect((await ivsAs(STAGE_ADMIN).send(new GetStageCommand({ arn: STAGES.main.arn }))).stage!.arn).toBe(STAGES.main.arn);
  });

  it('GetStage of a stage outside ivs_stage_arns throws AccessDeniedException', async () => {
    await expect(ivsAs(stageBackend).send(new GetStageCommand({ arn: STAGES.backstage.arn }))).rejects.toBeInstanceOf(AccessDeniedException);
  });

  it('GetStage outside ivs_stage_arns does not tell whether the stage exists: a missing one is refused as a hidden one is', async () => {
    const missing = ivsAs(stageBackend).send(new GetStageCommand({ arn: 'arn:aws:ivs:us-west-2:123456789012:stage/Nowhere00000' }));
    await expect(missing).rejects.toBeInstanceOf(AccessDeniedException);
  });

  it('a stage that does not exist throws ResourceNotFoundException (404)', async () => {
    const minting = ivsAs(viewerBackend).send(new CreateParticipantTokenCommand({ stageArn: 'arn:aws:ivs:us-west-2:123456789012:stage/Nowhere', capabilities: ['SUBSCRIBE'] }));
    await expect(minting).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(minting).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});

describe('IVS real-time validation', () => {
  it.each([
    ['a duration of 0', { stageArn: STAGES.main.arn, duration: 0 }, 'duration must be an integer from 1 to 20160 (minutes)'],
    ['a duration over two weeks', { stageArn: STAGES.main.arn, duration: 20161 }, 'duration must be an integer from 1 to 20160 (minutes)'],
    ['a stage ARN of another shape', { stageArn: 'arn:aws:ivs:us-west-2:123456789012:channel/abc' }, 'stageArn must be an IVS stage ARN (arn:aws:ivs:<region>:<account>:stage/<id>)'],
    ['a user id over 128 characters', { stageArn: STAGES.main.arn, userId: 'u'.repeat(129) }, 'userId must be at most 128 characters'],
    ['attributes over 1 KB', { stageArn: STAGES.main.arn, attributes: { bio: 'x'.repeat(1100) } }, 'attributes must be at most 1024 bytes of JSON (UTF-8)'],
  ])('%s throws ValidationException (400) naming the field', async (_case, input, message) => {
    const minting = ivsAs(stageBackend).send(new CreateParticipantTokenCommand(input));
    await expect(minting).rejects.toBeInstanceOf(ValidationException);
    await expect(minting).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 }, exceptionMessage: message });
  });

  it('recording configuration on CreateStage throws ValidationException', async () => {
    const creating = ivsAs(STAGE_ADMIN).send(new CreateStageCommand({ autoParticipantRecordingConfiguration: { storageConfigurationArn: 'arn:aws:ivs:us-west-2:123456789012:storage-configuration/abc' } }));
    await expect(creating).rejects.toBeInstanceOf(ValidationException);
  });
});

describe('IVS real-time bad input and SigV4', () => {
  const url = (operation: string) => `${server.issuer}/aws/ivs-realtime/${operation}`;
  const tokenRequest = JSON.stringify({ stageArn: STAGES.main.arn });

  it.each([
    ['malformed JSON', '{"stageArn": ', 'the request body is not valid JSON'],
    ['a JSON string', '"stage"', 'the request body must be a JSON object'],
    ['no stageArn', '{}', 'stageArn is required'],
    ['a duration in words', JSON.stringify({ stageArn: STAGES.main.arn, duration: 'ten' }), 'duration must be a number'],
    ['a fractional duration', JSON.stringify({ stageArn: STAGES.main.arn, duration: 1.5 }), 'duration must be an integer'],
    ['attributes as a list', JSON.stringify({ stageArn: STAGES.main.arn, attributes: ['a'] }), 'attributes must be an object'],
    ['a number as an attribute', JSON.stringify({ stageArn: STAGES.main.arn, attributes: { seat: 1 } }), 'attributes.seat must be a string'],
    ['an unknown capability', JSON.stringify({ stageArn: STAGES.main.arn, capabilities: ['ADMIN'] }), 'capabilities.0 may only contain PUBLISH and SUBSCRIBE'],
  ])('%s, signed, answers 400 ValidationException naming the problem', async (_case, body, message) => {
    const response = await signedPost(url('CreateParticipantToken'), body, { service: 'ivs', client: stageBackend });
    expect(response).toMatchObject({ status: 400, errorType: 'ValidationException', body: { exceptionMessage: message } });
  });

  it.each([
    ['a wrong secret', 'InvalidSignatureException', { service: 'ivs', client: { ...stageBackend, client_secret: 'wrong-secret-0123456789abcdef' } }],
    ['an unknown access key id', 'UnrecognizedClientException', { service: 'ivs', client: { client_id: 'nobody', client_secret: 'nothing' } }],
    ['a public client, which has no secret', 'UnrecognizedClientException', { service: 'ivs', client: { client_id: CLIENTS.native.client_id, client_secret: 'none' } }],
    ['another service\'s scope', 'InvalidSignatureException', { service: 'license-manager', client: stageBackend }],
    ['a date 20 minutes ago', 'InvalidSignatureException', { service: 'ivs', client: stageBackend, signingDate: new Date(Date.now() - 20 * 60_000) }],
    ['a body changed after signing', 'InvalidSignatureException', { service: 'ivs', client: stageBackend, sentBody: JSON.stringify({ stageArn: STAGES.backstage.arn }) }],
  ])('%s answers 403 %s', async (_case, exception, signing) => {
    const response = await signedPost(url('CreateParticipantToken'), tokenRequest, signing);
    expect(response).toMatchObject({ status: 403, errorType: exception, body: { exceptionMessage: expect.any(String) } });
  });

  it.each([
    ['200 characters', 'us-west-'.padEnd(200, 'x')],
    ['8,000 characters', 'a'.repeat(8_000)],
    ['no AWS region\'s shape', 'not-a-region'],
  ])('a credential scoped to a region of %s answers 403 InvalidSignatureException and creates nothing', async (_case, region) => {
    const listed = async () => [
      (await ivsAs(STAGE_ADMIN).send(new ListStagesCommand({ maxResults: 100 }))).stages,
      (await ivsAs(STAGE_ADMIN).send(new ListPublicKeysCommand({ maxResults: 100 }))).publicKeys,
    ];
    const before = await listed();
    for (const [operation, body] of [['CreateStage', '{}'], ['ImportPublicKey', JSON.stringify({ publicKeyMaterial: p384PublicKeyPem() })]] as const) {
      const response = await signedPost(url(operation), body, { service: 'ivs', client: STAGE_ADMIN, region });
      expect(response, operation).toMatchObject({ status: 403, errorType: 'InvalidSignatureException', body: { exceptionMessage: expect.stringContaining('region') } });
      expect(String(response.body.exceptionMessage).length, operation).toBeLessThan(300);
    }
    expect(await listed()).toEqual(before);
  });

  it('a stage created in any AWS region can be read and deleted by the operations that take its ARN', async () => {
    const created = await signedPost(url('CreateStage'), '{}', { service: 'ivs', client: STAGE_ADMIN, region: 'ap-southeast-4' });
    expect(created.status).toBe(200);
    const { arn } = (created.body as { stage: { arn: string } }).stage;
    expect(arn).toMatch(/^arn:aws:ivs:ap-southeast-4:/);
    await expect(ivsAs(STAGE_ADMIN).send(new GetStageCommand({ arn }))).resolves.toMatchObject({ stage: { arn } });
    await ivsAs(STAGE_ADMIN).send(new DeleteStageCommand({ arn }));
  });

  it('an unsigned request answers 403 MissingAuthenticationTokenException', async () => {
    const response = await fetch(url('CreateParticipantToken'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: tokenRequest });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });

  it('a malformed Authorization header answers 403 IncompleteSignatureException', async () => {
    const response = await fetch(url('CreateParticipantToken'), {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: 'AWS4-HMAC-SHA256 Credential=stage-backend' }, body: tokenRequest,
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('IncompleteSignatureException');
  });

  it('an SDK client whose clock is 20 minutes slow gets InvalidSignatureException', async () => {
    const minting = ivsAs(stageBackend, { systemClockOffset: -20 * 60_000 }).send(new CreateParticipantTokenCommand({ stageArn: STAGES.main.arn }));
    await expect(minting).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 }, message: expect.stringMatching(/signature expired/) });
  });

  it('an operation IVS real-time does not have answers 404 UnknownOperationException', async () => {
    const response = await signedPost(url('DeleteEverything'), '{}', { service: 'ivs', client: STAGE_ADMIN });
    expect(response).toMatchObject({ status: 404, errorType: 'UnknownOperationException' });
  });
});

describe('IVS real-time with an account too long for an ARN', () => {
  let longAccount: RunningStagepass;
  beforeAll(async () => {
    longAccount = await startStagepass({
      config: (keysDir) => ({ ivs: { ...ivsConfig(keysDir), publicKeyArn: `arn:aws:ivs:us-west-2:${'1'.repeat(100)}:public-key/TestKey0001` }, clients: [STAGE_ADMIN] }),
    });
  });
  afterAll(() => longAccount.close());

  it('CreateStage and ImportPublicKey refuse to create what GetStage and DeleteStage could never name', async () => {
    const ivs = new IVSRealTimeClient(sdkConfig(longAccount.issuer, 'ivs-realtime', STAGE_ADMIN));
    await expect(ivs.send(new CreateStageCommand({}))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('128') });
    await expect(ivs.send(new ImportPublicKeyCommand({ publicKeyMaterial: p384PublicKeyPem() })))
      .rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('128') });
    expect((await ivs.send(new ListStagesCommand({}))).stages?.map((stage) => stage.arn)).toEqual(Object.values(STAGES).map((stage) => stage.arn).sort());
  });
});

describe('IVS real-time on Redis', () => {
  let onRedis: RunningStagepass;
  beforeAll(async () => {
    onRedis = await startStagepass({
      redis: true,
      config: (keysDir) => ({ ivs: ivsConfig(keysDir), clients: [STAGE_ADMIN], limits: { tokensPerSecond: { [IVS_GRANT]: 3 } } }),
    });
  });
  afterAll(() => onRedis.close());

  it('a stage created through the API is kept in Redis, where the token endpoint finds it', async () => {
    const ivs = new IVSRealTimeClient(sdkConfig(onRedis.issuer, 'ivs-realtime', STAGE_ADMIN));
    const { stage } = await ivs.send(new CreateStageCommand({ name: 'on-redis' }));
    expect((await ivs.send(new GetStageCommand({ arn: stage!.arn }))).stage!.name).toBe('on-redis');
    expect((await mint(onRedis.issuer, STAGE_ADMIN, IVS_GRANT, { stage_arn: stage!.arn! })).status).toBe(200);
    await ivs.send(new DeleteStageCommand({ arn: stage!.arn }));
    expect((await mint(onRedis.issuer, STAGE_ADMIN, IVS_GRANT, { stage_arn: stage!.arn! })).body.error).toBe('invalid_target');
  });

  it('CreateParticipantToken past the client\'s token rate throws ThrottlingException (429)', async () => {
    const ivs = new IVSRealTimeClient(sdkConfig(onRedis.issuer, 'ivs-realtime', STAGE_ADMIN));
    // Ten calls span at most two one-second windows, so at most six get through at three per second.
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => ivs.send(new CreateParticipantTokenCommand({ stageArn: STAGES.main.arn }))));
    const refusals = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.reason as Record<string, unknown>);
    expect(refusals.length).toBeGreaterThanOrEqual(4);
    expect(refusals[0]).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
  });
});

describe('IVS real-time on a server whose clock is not the machine\'s', () => {
  const AHEAD_MS = 20 * 60_000;
  let ahead: RunningStagepass;
  beforeAll(async () => {
    ahead = await startStagepass({ config: (keysDir) => ({ ivs: ivsConfig(keysDir), clients: [STAGE_ADMIN] }) });
    ahead.clock.advance(AHEAD_MS);
  });
  afterAll(() => ahead.close());

  const createToken = (extra: Record<string, unknown>) =>
    new IVSRealTimeClient(sdkConfig(ahead.issuer, 'ivs-realtime', STAGE_ADMIN, extra)).send(new CreateParticipantTokenCommand({ stageArn: STAGES.main.arn }));

  it('takes a request signed at the server\'s time, and refuses one signed at the machine\'s, 20 minutes from it', async () => {
    await expect(createToken({ systemClockOffset: AHEAD_MS })).resolves.toMatchObject({ participantToken: { token: expect.any(String) } });
    await expect(createToken({})).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 }, message: expect.stringMatching(/signature expired/) });
  });
});
