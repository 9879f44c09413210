import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authorizationCodeTokens, signInAndApprove } from '../support/flows.js';
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
