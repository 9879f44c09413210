/**
 * The baseline: oidc-provider as it ships, with its memory adapter, one client and opaque tokens,
 * nothing of stagepass. `POST /bench/refresh-tokens?count=N` answers N refresh tokens of fresh
 * grants: that adapter keeps its last thousand records only, so tokens made at start would be
 * gone by the time a round uses them.
 *
 * With BENCH_REDIS_URL set, the same provider keeps its records through stagepass's Redis store
 * adapter instead, and nothing else of stagepass: what storing on Redis costs on its own.
 */
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

import { BENCH_CLIENT, BENCH_USER_SUB } from './fixtures.js';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const redisUrl = process.env.BENCH_REDIS_URL;
const provider = new Provider(issuer, {
  ...(redisUrl ? { adapter: await stagepassRedisAdapter(redisUrl) } : {}),
  clients: [{
    client_id: BENCH_CLIENT.clientId,
    client_secret: BENCH_CLIENT.clientSecret,
    grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [BENCH_CLIENT.redirectUri],
  }],
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  features: { clientCredentials: { enabled: true }, introspection: { enabled: true }, devInteractions: { enabled: false } },
  rotateRefreshToken: true,
});
const client = (await provider.Client.find(BENCH_CLIENT.clientId))!;

async function stagepassRedisAdapter(url: string) {
  const { RedisStore } = await import('../src/store/redis-store.js');
  const { adapterFor } = await import('../src/provider/store-adapter.js');
  const { systemClock } = await import('../src/time/clock.js');
  const store = new RedisStore({ url, keyPrefix: 'bare:', cluster: false, clock: systemClock });
  await store.connect();
  const { GrantIndex } = await import('../src/provider/grant-index.js');
  // As stagepass does: a configured client is never revoked as a whole, so its tokens are not indexed.
  const grantIndex = new GrantIndex(store, { longestLifetimeSeconds: 14 * 86_400, clock: systemClock, permanentClients: new Set([BENCH_CLIENT.clientId]) });
  const { ApiClients } = await import('../src/provider/api-clients.js');
  const { Endings } = await import('../src/provider/endings.js');
  return adapterFor(store, { idleExpirySeconds: 30 * 86_400, clock: systemClock, grantIndex, apiClients: new ApiClients(store), endings: new Endings(grantIndex) });
}

async function refreshTokenOfNewGrant(): Promise<string> {
  const grant = new provider.Grant({ accountId: BENCH_USER_SUB, clientId: BENCH_CLIENT.clientId });
  grant.addOIDCScope('openid offline_access');
  const grantId = await grant.save();
  const refreshToken = new provider.RefreshToken({
    accountId: BENCH_USER_SUB, client, grantId, scope: 'openid offline_access', gty: 'authorization_code', authTime: Math.floor(Date.now() / 1000),
  });
  return refreshToken.save();
}

const serveProvider = provider.callback();
createServer((request, response) => {
  const url = new URL(request.url ?? '/', issuer);
  if (request.method !== 'POST' || url.pathname !== '/bench/refresh-tokens') return serveProvider(request, response);
  const count = Math.min(1000, Number(url.searchParams.get('count') ?? '1'));
  Promise.all(Array.from({ length: count }, refreshTokenOfNewGrant)).then((refreshTokens) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ refreshTokens }));
  });
}).listen(port, '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
