/**
 * The baseline: oidc-provider as it ships, with its memory adapter, one client and opaque tokens,
 * nothing of stagepass. Reports the refresh tokens it prepared on stdout, then serves.
 */
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

import { BENCH_CLIENT, BENCH_USER_SUB } from './fixtures.js';
import { REPORT_PREFIX } from './processes.js';

const port = Number(process.env.PORT);
const chains = Number(process.env.BENCH_REFRESH_CHAINS ?? '0');
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
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

const refreshTokens: string[] = [];
const client = (await provider.Client.find(BENCH_CLIENT.clientId))!;
for (let i = 0; i < chains; i += 1) {
  const grant = new provider.Grant({ accountId: BENCH_USER_SUB, clientId: BENCH_CLIENT.clientId });
  grant.addOIDCScope('openid offline_access');
  const grantId = await grant.save();
  const refreshToken = new provider.RefreshToken({
    accountId: BENCH_USER_SUB, client, grantId, scope: 'openid offline_access', gty: 'authorization_code', authTime: Math.floor(Date.now() / 1000),
  });
  refreshTokens.push(await refreshToken.save());
}

createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  process.stdout.write(`${REPORT_PREFIX}${JSON.stringify({ refreshTokens })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
