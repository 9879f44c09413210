import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { ApiClients } from '../../src/provider/api-clients.js';
import { GRANT_LIFETIME_SECONDS } from '../../src/provider/create-provider.js';
import { Endings } from '../../src/provider/endings.js';
import { GrantIndex } from '../../src/provider/grant-index.js';
import { adapterFor } from '../../src/provider/store-adapter.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Store } from '../../src/store/store.js';
import { type Clock, systemClock } from '../../src/time/clock.js';
import { REGION } from '../support/aws.js';
import { TestClock } from '../support/clock.js';
import { leaseLicense } from '../support/leases.js';
import { ROLE } from '../support/minters.js';
import { postForm } from '../support/relying-party.js';
import { CLIENTS, startStagepass, uniqueRedisPrefix, type RunningStagepass } from '../support/stagepass.js';

const REGISTRATIONS_PER_MINUTE = 3;
const DEVICE_AUTHORIZATIONS_PER_MINUTE = 4;
const UNSIGNED_AWS_CALLS_PER_MINUTE = 3;

describe.each([['memory', false], ['Redis', true]] as const)('what anonymous requests may leave behind (%s store)', (_store, redis) => {
  let server: RunningStagepass;
  beforeAll(async () => {
    server = await startStagepass({
      redis,
      config: {
        trustProxy: true,
        limits: {
          registrationsPerMinutePerAddress: REGISTRATIONS_PER_MINUTE,
          deviceAuthorizationsPerMinutePerAddress: DEVICE_AUTHORIZATIONS_PER_MINUTE,
          unsignedAwsCallsPerMinutePerAddress: UNSIGNED_AWS_CALLS_PER_MINUTE,
        },
        licenses: [leaseLicense('anonymous')],
      },
    });
  });
  afterAll(() => server.close());

  const register = (ip: string, path = '/reg') => fetch(`${server.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ redirect_uris: ['https://app.example/cb'], client_name: 'Spam' }),
  });
  const registerWithSsoOidc = (ip: string) => fetch(`${server.issuer}/aws/sso-oidc/client/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ clientName: 'Spam', clientType: 'public' }),
  });

  it('client registrations from one address, at /reg under any spelling and through SSO OIDC RegisterClient, are limited per minute; other addresses are not', async () => {
    const answers = [await register('192.0.2.31'), await register('192.0.2.31', '/REG/'), await registerWithSsoOidc('192.0.2.31')];
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 200]);

    const refused = await register('192.0.2.31', '/Reg');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({
      error: 'rate_limit_exceeded',
      error_description: expect.stringMatching(/^this address may make 3 client registrations a minute; retry after \d+ s$/),
    });
    const refusedAtSso = await registerWithSsoOidc('192.0.2.31');
    expect(refusedAtSso.status).toBe(429);
    expect(refusedAtSso.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(Number(refusedAtSso.headers.get('retry-after'))).toBeGreaterThan(0);

    expect((await register('192.0.2.32')).status).toBe(201);
  });

  it('device authorizations from one address are limited per minute; other addresses are not', async () => {
    const authorize = (ip: string) => postForm(`${server.issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid' }, { 'x-forwarded-for': ip });
    const answers = [];
    for (let i = 0; i <= DEVICE_AUTHORIZATIONS_PER_MINUTE; i += 1) answers.push(await authorize('192.0.2.41'));
    expect(answers.map((answer) => answer.status)).toEqual([...Array(DEVICE_AUTHORIZATIONS_PER_MINUTE).fill(200), 429]);
    expect(answers.at(-1)!.body.error).toBe('rate_limit_exceeded');
    expect(Number(answers.at(-1)!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await authorize('192.0.2.42')).status).toBe(200);
  });

  /** STS through the SDK, from `ip` (behind the trusted proxy), retrying nothing. */
  const stsFrom = (ip: string) => {
    const sts = new STSClient({ region: REGION, endpoint: `${server.issuer}/aws/sts`, maxAttempts: 1 });
    sts.middlewareStack.add((next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-forwarded-for'] = ip;
      return next(args);
    }, { step: 'build' });
    return sts;
  };
  const assumeFrom = (ip: string) => stsFrom(ip).send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: 'guess', WebIdentityToken: 'a-guessed-token' }));

  it('STS AssumeRoleWithWebIdentity, unsigned, is limited per minute from one address as STS throttles, Retry-After given; other addresses are not', async () => {
    for (let i = 0; i < UNSIGNED_AWS_CALLS_PER_MINUTE; i += 1) await expect(assumeFrom('192.0.2.51')).rejects.toMatchObject({ name: 'InvalidIdentityTokenException' });
    const throttled = await assumeFrom('192.0.2.51').catch((error: unknown) => error as { name: string; message: string; $metadata: { httpStatusCode: number } });
    expect(throttled).toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 }, message: expect.stringMatching(/may call STS 3 times a minute; retry after \d+ s$/) });
    const raw = await fetch(`${server.issuer}/aws/sts`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '192.0.2.51' },
      body: 'Action=AssumeRoleWithWebIdentity&Version=2011-06-15',
    });
    expect(raw.status).toBe(400);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await raw.text()).toContain('<Code>Throttling</Code>');
    await expect(assumeFrom('192.0.2.52')).rejects.toMatchObject({ name: 'InvalidIdentityTokenException' });
  });

  it('visiting the device code entry page without signing in keeps a session no longer than an interaction (an hour)', async () => {
    const response = await fetch(`${server.issuer}/device`);
    const sessionId = response.headers.getSetCookie().map((cookie) => /^_session=([^;]+)/.exec(cookie)?.[1]).find(Boolean);
    expect(sessionId).toEqual(expect.any(String));
    const session = await server.stagepass.store.findModel('Session', sessionId!);
    expect(Number(session?.exp) - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(3600);
  });
});

/** The store adapter's Client model, as oidc-provider keeps registered clients in it. */
function registeredClients(store: Store, idleExpirySeconds: number, clock: Clock) {
  const grantIndex = new GrantIndex(store, { longestLifetimeSeconds: GRANT_LIFETIME_SECONDS, clock });
  return new (adapterFor(store, { idleExpirySeconds, clock, grantIndex, apiClients: new ApiClients(store), endings: new Endings(grantIndex) }))('Client');
}

describe('registered clients unused for their idle lifetime', () => {
  const client = { client_id: 'registered-client', client_secret_expires_at: 0, redirect_uris: ['https://app.example/cb'] };

  describe('on the memory store', () => {
    const DAY_MS = 86_400_000;

    it('are forgotten, while one in use is kept past it', async () => {
      const clock = new TestClock();
      const clients = registeredClients(new MemoryStore(clock), 30 * 86_400, clock);
      await clients.upsert('used', { ...client, client_id: 'used' });
      await clients.upsert('unused', { ...client, client_id: 'unused' });
      for (let day = 1; day <= 40; day += 1) {
        clock.advance(DAY_MS);
        expect(await clients.find('used')).toBeDefined();
      }
      expect(await clients.find('unused')).toBeUndefined();
    });

    it('expire with their secret even when used', async () => {
      const clock = new TestClock();
      const clients = registeredClients(new MemoryStore(clock), 30 * 86_400, clock);
      const secretExpiresAt = Math.floor(clock.now() / 1000) + 10 * 86_400;
      await clients.upsert('sso', { ...client, client_id: 'sso', client_secret_expires_at: secretExpiresAt }, 90 * 86_400);
      clock.advance(5 * DAY_MS);
      expect(await clients.find('sso')).toBeDefined();
      clock.advance(5 * DAY_MS + 1000);
      expect(await clients.find('sso')).toBeUndefined();
    });
  });

  describe('on Redis', () => {
    let store: Store;
    beforeAll(async () => {
      const redisStore = new RedisStore({ url: inject('redisUrl'), keyPrefix: uniqueRedisPrefix(), cluster: false, clock: systemClock });
      await redisStore.connect();
      store = redisStore;
    });
    afterAll(() => store.close());

    it('are forgotten, while one in use is kept past it', async () => {
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const clients = registeredClients(store, 3, systemClock);
      await clients.upsert('used', { ...client, client_id: 'used' });
      await clients.upsert('unused', { ...client, client_id: 'unused' });
      await sleep(2_000);
      expect(await clients.find('used')).toBeDefined();
      await sleep(2_000);
      expect(await clients.find('used')).toBeDefined();
      expect(await clients.find('unused')).toBeUndefined();
    });
  });
});
