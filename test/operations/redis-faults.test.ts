import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CreateStageCommand, IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import { CreateTokenCommand, LicenseManagerClient } from '@aws-sdk/client-license-manager';

import { sdkConfig } from '../support/aws.js';
import { authorizationCodeTokens, signInAndApprove } from '../support/flows.js';
import { ivsConfig, LICENSE_CLIENTS, LICENSES, MINTING_CLIENTS, ROLE } from '../support/minters.js';
import { basicAuth, postForm } from '../support/relying-party.js';
import { startOwnedRedis, type OwnedRedis } from '../support/redis-server.js';
import { ScriptedUser } from '../support/scripted-user.js';
import { CLIENTS, REDIRECT_URI, startStagepass, uniqueRedisPrefix, USERS, type RunningStagepass } from '../support/stagepass.js';

let redis: OwnedRedis;
let server: RunningStagepass;

beforeAll(async () => {
  redis = await startOwnedRedis();
  server = await startStagepass({ config: { redisUrl: redis.url, redisKeyPrefix: uniqueRedisPrefix(), redisCommandTimeoutMs: 300 } });
});

afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

/** Bounded: a request that hangs fails the test instead of waiting forever. */
const get = (path: string) => fetch(`${server.issuer}${path}`, { signal: AbortSignal.timeout(5_000) });
const clientCredentials = () => postForm(
  `${server.issuer}/token`,
  { grant_type: 'client_credentials' },
  basicAuth(CLIENTS.service.client_id, CLIENTS.service.client_secret),
);

async function expectUnavailable() {
  const token = await clientCredentials();
  expect(token.status).toBe(503);
  expect(token.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringContaining('storage') });
  expect(Number(token.headers.get('retry-after'))).toBeGreaterThan(0);

  const device = await postForm(`${server.issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid' });
  expect(device.status).toBe(503);
  expect(device.body.error).toBe('temporarily_unavailable');

  expect((await get('/readyz')).status).toBe(503);
  expect((await get('/healthz')).status).toBe(200);
}

async function expectRecovered() {
  await expect.poll(async () => (await get('/readyz')).status, { timeout: 15_000, interval: 200 }).toBe(200);
  expect((await clientCredentials()).status).toBe(200);
  const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
  expect(tokens.access_token).toEqual(expect.any(String));
}

describe('when Redis fails', () => {
  it('with Redis answering, /healthz and /readyz say so', async () => {
    const [live, ready] = await Promise.all([get('/healthz'), get('/readyz')]);
    expect([live.status, ready.status]).toEqual([200, 200]);
    expect(await ready.json()).toEqual({ status: 'ready', store: 'ok' });
  });

  it('Redis down: requests fail at once with 503 temporarily_unavailable, liveness holds, and the server recovers by itself', async () => {
    await redis.stop();
    await expectUnavailable();
    await redis.start();
    await expectRecovered();
  });

  it('the outage shows in the metrics as Redis errors', async () => {
    const text = await (await get('/metrics')).text();
    const errors = Number(/^stagepass_redis_errors_total (\d+)$/m.exec(text)?.[1]);
    expect(errors).toBeGreaterThan(0);
  });

  it('Redis frozen: requests fail within the command timeout instead of hanging, and the server recovers when it thaws', async () => {
    redis.pause();
    try {
      await expectUnavailable();
    } finally {
      redis.resume();
    }
    await expectRecovered();
  });

  it('a person signing in during an outage sees an error page with 503, and can sign in once Redis is back', async () => {
    const user = new ScriptedUser();
    const authorizationUrl = `${server.issuer}/auth?${new URLSearchParams({
      client_id: CLIENTS.confidential.client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    })}`;
    const login = await user.visit(authorizationUrl);
    await redis.stop();
    try {
      const refused = await user.submit(login, '/login', { username: USERS.alice.username, password: USERS.alice.password });
      expect(refused.status).toBe(503);
      expect(refused.html).toContain('temporarily_unavailable');
    } finally {
      await redis.start();
    }
    await expectRecovered();
    const callback = await signInAndApprove(new ScriptedUser(), authorizationUrl);
    expect(new URL(callback).searchParams.get('code')).toEqual(expect.any(String));
  });

  it('an authorization request during an outage goes back to the client with error=temporarily_unavailable', async () => {
    await redis.stop();
    try {
      const answer = await fetch(`${server.issuer}/auth?${new URLSearchParams({
        client_id: CLIENTS.confidential.client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI, state: 's1',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
      })}`, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
      const location = new URL(answer.headers.get('location')!);
      expect(location.href.startsWith(REDIRECT_URI)).toBe(true);
      expect(location.searchParams.get('error')).toBe('temporarily_unavailable');
      expect(location.searchParams.get('state')).toBe('s1');
    } finally {
      await redis.start();
    }
    await expectRecovered();
  });
});

describe('when Redis fails under the minters\' routes and the AWS APIs', () => {
  /** May create stages: its policy covers every stage. */
  const stageAdmin = { ...MINTING_CLIENTS.stageBackend, client_id: 'outage-stage-admin', ivs_stage_arns: ['*'] };
  let minting: RunningStagepass;
  beforeAll(async () => {
    minting = await startStagepass({
      config: (keysDir) => ({
        redisUrl: redis.url, redisKeyPrefix: uniqueRedisPrefix(), redisCommandTimeoutMs: 300,
        ivs: ivsConfig(keysDir),
        licenses: [{ arn: LICENSES.small, maxTokens: 10 }],
        clients: [...Object.values(CLIENTS), stageAdmin, ...Object.values(LICENSE_CLIENTS)],
      }),
    });
  });
  afterAll(() => minting?.close());

  it('a registered client at /licenses/tokens is told 503, not that its credentials are wrong', async () => {
    const registered = await fetch(`${minting.issuer}/reg`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }),
    }).then((r) => r.json() as Promise<{ client_id: string; client_secret: string }>);
    await redis.stop();
    try {
      const listed = await fetch(`${minting.issuer}/licenses/tokens`, { headers: basicAuth(registered.client_id, registered.client_secret), signal: AbortSignal.timeout(5_000) });
      expect(listed.status).toBe(503);
      expect(await listed.json()).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    } finally {
      await redis.start();
    }
  });

  it('the AWS APIs answer ServiceUnavailableException (503, Retry-After) through the SDKs, and work again once Redis is back', async () => {
    const ivs = new IVSRealTimeClient(sdkConfig(minting.issuer, 'ivs-realtime', stageAdmin));
    const licenses = new LicenseManagerClient(sdkConfig(minting.issuer, 'license-manager', LICENSE_CLIENTS.backend));
    const createToken = (clientToken: string) => licenses.send(new CreateTokenCommand({ LicenseArn: LICENSES.small, RoleArns: [ROLE], ClientToken: clientToken }));
    await redis.stop();
    try {
      for (const call of [() => ivs.send(new CreateStageCommand({ name: 'during-outage' })), () => createToken('during-outage')]) {
        await expect(call()).rejects.toMatchObject({
          name: 'ServiceUnavailableException', $metadata: { httpStatusCode: 503 }, $response: { headers: expect.objectContaining({ 'retry-after': '2' }) },
        });
      }
    } finally {
      await redis.start();
    }
    await expect.poll(async () => (await fetch(`${minting.issuer}/readyz`)).status, { timeout: 15_000, interval: 200 }).toBe(200);
    expect((await ivs.send(new CreateStageCommand({ name: 'after-outage' }))).stage?.arn).toEqual(expect.any(String));
    expect((await createToken('after-outage')).TokenId).toEqual(expect.any(String));
  });
});
