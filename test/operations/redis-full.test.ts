import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/observability/logger.js';
import { signInAndApprove } from '../support/flows.js';
import { basicAuth, client, postForm, relyingParty } from '../support/relying-party.js';
import { startOwnedRedis, type OwnedRedis } from '../support/redis-server.js';
import { ScriptedUser } from '../support/scripted-user.js';
import { CLIENTS, REDIRECT_URI, startStagepass, uniqueRedisPrefix, USERS, type RunningStagepass } from '../support/stagepass.js';

interface LogLine { level: string; message: string; audit?: string; reason?: string; maxmemoryPolicy?: string }

function capturingLogger() {
  const lines: LogLine[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });
  return { lines, logger };
}

const confidential = basicAuth(CLIENTS.confidential.client_id, CLIENTS.confidential.client_secret);
const get = (url: string) => fetch(url, { signal: AbortSignal.timeout(5_000) });
const redisErrors = async (issuer: string) =>
  Number(/^stagepass_redis_errors_total (\d+)$/m.exec(await (await get(`${issuer}/metrics`)).text())?.[1] ?? 0);

/** An authorization code for the confidential client, not redeemed yet, with its PKCE verifier. */
async function unredeemedCode(issuer: string) {
  const config = await relyingParty(issuer, 'confidential');
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI, scope: 'openid offline_access', prompt: 'consent',
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const code = new URL(await signInAndApprove(new ScriptedUser(), url.href)).searchParams.get('code')!;
  return { code, verifier };
}

const redeem = (issuer: string, { code, verifier }: { code: string; verifier: string }) =>
  postForm(`${issuer}/token`, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI }, confidential);
const refresh = (issuer: string, refreshToken: string) =>
  postForm(`${issuer}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken }, confidential);

describe('when Redis is full (maxmemory, noeviction)', () => {
  let redis: OwnedRedis;
  let server: RunningStagepass;
  const { lines, logger } = capturingLogger();
  beforeAll(async () => {
    redis = await startOwnedRedis();
    server = await startStagepass({ logger, config: { redisUrl: redis.url, redisKeyPrefix: uniqueRedisPrefix(), redisCommandTimeoutMs: 1_000 } });
  });
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  });

  it('what needs a write answers 503 temporarily_unavailable with Retry-After, /readyz says Redis is full, and nothing is lost once it has room', async () => {
    const { issuer } = server;
    const refreshToken = (await redeem(issuer, await unredeemedCode(issuer))).body.refresh_token as string;
    const code = await unredeemedCode(issuer);
    const device = (await postForm(`${issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid' })).body;
    const signingIn = new ScriptedUser();
    const login = await signingIn.visit(client.buildAuthorizationUrl(await relyingParty(issuer, 'confidential'), {
      redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    }).href);
    const errorsBefore = await redisErrors(issuer);

    await redis.fill();
    try {
      const refused = [
        await refresh(issuer, refreshToken),
        await redeem(issuer, code),
        await postForm(`${issuer}/token`, {
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code as string, client_id: CLIENTS.native.client_id,
        }),
      ];
      for (const answer of refused) {
        expect(answer.status).toBe(503);
        expect(answer.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringContaining('storage') });
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      const signIn = await signingIn.submit(login, '/login', { username: USERS.alice.username, password: USERS.alice.password });
      expect(signIn.status).toBe(503);
      expect(signIn.html).toContain('temporarily_unavailable');

      const ready = await get(`${issuer}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unavailable', store: 'full' });
      expect(await redisErrors(issuer)).toBeGreaterThan(errorsBefore);
    } finally {
      await redis.makeRoom();
    }

    expect((await get(`${issuer}/readyz`)).status).toBe(200);
    expect((await refresh(issuer, refreshToken)).status).toBe(200);
    expect((await redeem(issuer, code)).status).toBe(200);
  });

  it('revoking a token while Redis is full answers 503, and the token can be revoked once it has room', async () => {
    const { issuer } = server;
    const refreshToken = (await redeem(issuer, await unredeemedCode(issuer))).body.refresh_token as string;
    await redis.fill();
    try {
      const revoked = await postForm(`${issuer}/token/revocation`, { token: refreshToken, token_type_hint: 'refresh_token' }, confidential);
      expect(revoked.status).toBe(503);
      expect(revoked.body.error).toBe('temporarily_unavailable');
    } finally {
      await redis.makeRoom();
    }
    expect((await postForm(`${issuer}/token/revocation`, { token: refreshToken }, confidential)).status).toBe(200);
    expect((await refresh(issuer, refreshToken)).body.error).toBe('invalid_grant');
  });

  it('the outage is logged as a warning, never as an error, and is no event of the audit trail', () => {
    expect(lines.filter((line) => line.message === 'store unavailable').length).toBeGreaterThan(0);
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
    expect(lines.filter((line) => line.audit === 'denied' && line.reason === 'temporarily_unavailable')).toEqual([]);
  });
});

describe('the eviction policy of Redis', () => {
  it('with an evicting policy, stagepass warns at start that Redis may drop its state', async () => {
    const redis = await startOwnedRedis(['--maxmemory-policy', 'allkeys-lru']);
    const { lines, logger } = capturingLogger();
    const server = await startStagepass({ logger, config: { redisUrl: redis.url, redisKeyPrefix: uniqueRedisPrefix() } });
    try {
      expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'redis may evict stagepass state when full', maxmemoryPolicy: 'allkeys-lru' }));
    } finally {
      await server.close();
      await redis.stop();
    }
  });

  it('with noeviction, it starts without that warning', async () => {
    const redis = await startOwnedRedis(['--maxmemory-policy', 'noeviction']);
    const { lines, logger } = capturingLogger();
    const server = await startStagepass({ logger, config: { redisUrl: redis.url, redisKeyPrefix: uniqueRedisPrefix() } });
    try {
      expect(lines.filter((line) => line.level === 'warn')).toEqual([]);
    } finally {
      await server.close();
      await redis.stop();
    }
  });
});
