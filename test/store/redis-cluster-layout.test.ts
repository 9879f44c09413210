import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authorizationCodeTokens } from '../support/flows.js';
import { LICENSE_CLIENTS, LICENSE_GRANT, LICENSES, mint } from '../support/minters.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { basicAuth, postForm } from '../support/relying-party.js';
import { CLIENTS, startStagepass, uniqueRedisPrefix, type RunningStagepass } from '../support/stagepass.js';

let cluster: RedisCluster;
let server: RunningStagepass;
const prefix = uniqueRedisPrefix();

beforeAll(async () => {
  cluster = await startRedisCluster();
  server = await startStagepass({
    config: {
      redisUrl: cluster.seedUrl,
      redisCluster: true,
      redisKeyPrefix: prefix,
      licenses: [{ arn: LICENSES.small, maxTokens: 1000 }, { arn: LICENSES.large, maxTokens: 1000 }],
      clients: [...Object.values(CLIENTS), ...Object.values(LICENSE_CLIENTS)],
      // The mix runs faster than a client may ask for tokens.
      limits: { tokensPerSecond: { default: 0, [LICENSE_GRANT]: 0 } },
    },
  });
});
afterAll(async () => {
  await server?.close();
  await cluster?.stop();
});

/** Runs `count` calls, `concurrency` at a time. */
async function times(count: number, concurrency: number, call: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await call(next++);
  }));
}

const { service } = CLIENTS;

describe('stagepass on a Redis Cluster of three masters', () => {
  it('says it is full, and /readyz not ready, when any one master refuses writes, though the others take them', async () => {
    const { store } = server.stagepass;
    expect(await store.health()).toBe('ok');
    for (const master of await cluster.masterPorts()) {
      await cluster.configSet(master, 'maxmemory-policy', 'noeviction');
      await cluster.configSet(master, 'maxmemory', '1');
      try {
        expect(await store.health(), `master ${master} full`).toBe('full');
        const ready = await fetch(`${server.issuer}/readyz`);
        expect(ready.status).toBe(503);
      } finally {
        await cluster.configSet(master, 'maxmemory', '0');
      }
    }
    expect(await store.health()).toBe('ok');
  });

  it('spreads its records over every master: each holds between 20% and 47% of its keys', async () => {
    await times(800, 8, async () => {
      const response = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials' }, basicAuth(service.client_id, service.client_secret));
      expect(response.status).toBe(200);
    });
    await times(300, 8, async () => {
      const response = await postForm(`${server.issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid offline_access' });
      expect(response.status).toBe(200);
    });
    await times(120, 8, async (i) => {
      const response = await mint(server.issuer, LICENSE_CLIENTS.other, LICENSE_GRANT, { license_arn: i % 2 ? LICENSES.small : LICENSES.large, client_token: `mix-${i}` });
      expect(response.status).toBe(200);
    });
    await times(100, 8, async () => {
      const response = await fetch(`${server.issuer}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }),
      });
      expect(response.status).toBe(201);
    });
    // Signed-in people: sessions, grants, codes, access and refresh tokens.
    await times(10, 2, () => authorizationCodeTokens(server.issuer, 'confidential'));

    const masters = await cluster.masterPorts();
    expect(masters).toHaveLength(3);
    const counts = await Promise.all(masters.map((port) => cluster.countKeys(port, prefix)));
    const total = counts.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(2_000);
    for (const count of counts) {
      expect(count / total).toBeGreaterThanOrEqual(0.2);
      expect(count / total).toBeLessThanOrEqual(0.47);
    }
  }, 180_000);

  it('a token whose Grant record alone is gone no longer works at the token, introspection and userinfo endpoints', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
    const { confidential } = CLIENTS;
    const credentials = basicAuth(confidential.client_id, confidential.client_secret);
    const introspect = async () => (await postForm(`${server.issuer}/token/introspection`, { token: tokens.access_token }, credentials)).body;
    const userinfo = () => fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(await introspect()).toMatchObject({ active: true });
    expect((await userinfo()).status).toBe(200);

    // What a revocation cut off right after its first step leaves: the tokens, without their grant.
    const { store } = server.stagepass;
    const grantId = (await store.findModel('RefreshToken', tokens.refresh_token!))!.grantId as string;
    await store.destroyModel('Grant', grantId);
    expect(await store.findModel('AccessToken', tokens.access_token)).toBeDefined();

    expect(await introspect()).toEqual({ active: false });
    expect((await userinfo()).status).toBe(401);
    const refreshed = await postForm(`${server.issuer}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, credentials);
    expect(refreshed.status).toBe(400);
    expect(refreshed.body).toMatchObject({ error: 'invalid_grant' });
  });
});
