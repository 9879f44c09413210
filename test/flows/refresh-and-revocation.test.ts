import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authorizationCodeTokens } from '../support/flows.js';
import { basicAuth, client, postForm, relyingParty } from '../support/relying-party.js';
import { CLIENTS, startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';

describe.each(['memory', 'redis'] as const)('on the %s store', (backend) => {
  let server: RunningStagepass;
  beforeAll(async () => {
    server = await startStagepass({ redis: backend === 'redis' });
  });
  afterAll(() => server.close());

  const confidentialAuth = () => basicAuth(CLIENTS.confidential.client_id, CLIENTS.confidential.client_secret);

  const introspect = async (token: string) =>
    (await postForm(`${server.issuer}/token/introspection`, { token }, confidentialAuth())).body;

  describe('refresh tokens', () => {
    it('every refresh returns a new refresh token and a working access token', async () => {
      const { config, tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      expect(refreshed.refresh_token).toEqual(expect.any(String));
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
      const userinfo = await client.fetchUserInfo(config, refreshed.access_token, USERS.alice.sub);
      expect(userinfo.sub).toBe(USERS.alice.sub);
    });

    it('reusing a rotated refresh token answers invalid_grant and revokes the whole grant', async () => {
      const { config, tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
      const rotated = await client.refreshTokenGrant(config, tokens.refresh_token!);
      expect((await introspect(rotated.access_token)).active).toBe(true);

      await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

      expect((await introspect(rotated.access_token)).active).toBe(false);
      expect((await introspect(tokens.access_token)).active).toBe(false);
      await expect(client.refreshTokenGrant(config, rotated.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      await expect(client.fetchUserInfo(config, rotated.access_token, USERS.alice.sub)).rejects.toBeDefined();
    });

    it('refreshes racing with one refresh token: one wins, and the grant is revoked, the winner\'s new tokens with it, once the others have retried', async () => {
      const { config, tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
      const refresh = () => postForm(`${server.issuer}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, confidentialAuth());
      const results = await Promise.all(Array.from({ length: 4 }, refresh));
      const winners = results.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      // A loser may be told to retry (the winner could be this client's own attempt whose write ran
      // late); retried, as a client must, it is reuse.
      const losers = results.filter((r) => r.status !== 200);
      for (const loser of losers) expect(['invalid_grant', 'temporarily_unavailable']).toContain(loser.body.error);
      const retried = await Promise.all(losers.filter((r) => r.status === 503).map(refresh));
      expect([...losers.filter((r) => r.status !== 503), ...retried].map((r) => r.body.error)).toEqual(Array(3).fill('invalid_grant'));

      const won = winners[0]!.body as { access_token: string; refresh_token: string };
      expect((await introspect(won.access_token)).active).toBe(false);
      await expect(client.refreshTokenGrant(config, won.refresh_token)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('a refresh token is refused to a client it was not issued to', async () => {
      const { tokens } = await authorizationCodeTokens(server.issuer, 'native');
      const response = await postForm(`${server.issuer}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, confidentialAuth());
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_grant');
    });
  });

  describe('client credentials', () => {
    it('a confidential client gets an access token that introspects as its own', async () => {
      const config = await relyingParty(server.issuer, 'service');
      const tokens = await client.clientCredentialsGrant(config);
      expect(tokens.token_type).toBe('bearer');
      const info = await postForm(`${server.issuer}/token/introspection`, { token: tokens.access_token }, basicAuth(CLIENTS.service.client_id, CLIENTS.service.client_secret));
      expect(info.body).toMatchObject({ active: true, client_id: CLIENTS.service.client_id });
    });

    it('a wrong client secret answers invalid_client with 401', async () => {
      const response = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials' }, basicAuth(CLIENTS.service.client_id, 'wrong-secret'));
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('invalid_client');
    });

    it('a client not registered for client_credentials answers unauthorized_client', async () => {
      const response = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', client_id: CLIENTS.native.client_id });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('unauthorized_client');
    });
  });

  describe('introspection and revocation', () => {
    it('a revoked access token introspects as inactive and no longer reads userinfo', async () => {
      const { config, tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
      await client.tokenRevocation(config, tokens.access_token);
      expect((await introspect(tokens.access_token)).active).toBe(false);
      await expect(client.fetchUserInfo(config, tokens.access_token, USERS.alice.sub)).rejects.toBeDefined();
    });

    it('revoking a refresh token stops it refreshing', async () => {
      const { config, tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
      await client.tokenRevocation(config, tokens.refresh_token!);
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('introspection describes an active access token with its subject, client and scope', async () => {
      const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
      const info = await introspect(tokens.access_token);
      expect(info).toMatchObject({ active: true, sub: USERS.alice.sub, client_id: CLIENTS.confidential.client_id, token_type: 'Bearer' });
      expect(String(info.scope).split(' ')).toEqual(expect.arrayContaining(['openid', 'offline_access']));
    });

    it('an unknown token introspects as inactive', async () => {
      expect(await introspect('never-issued')).toEqual({ active: false });
    });
  });

  describe('discovery and keys', () => {
    it('discovery advertises every flow stagepass serves', async () => {
      const config = await relyingParty(server.issuer, 'confidential');
      const metadata = config.serverMetadata();
      expect(metadata.grant_types_supported).toEqual(expect.arrayContaining([
        'authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code',
      ]));
      expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
      for (const endpoint of ['device_authorization_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'registration_endpoint', 'jwks_uri']) {
        expect(metadata[endpoint]).toMatch(/^http:\/\/127\.0\.0\.1/);
      }
    });

    it('the JWKS publishes public keys only', async () => {
      const jwks = (await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
      expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'PS384', 'RS256']);
      for (const key of jwks.keys) {
        expect(key).not.toHaveProperty('d');
        expect(key).not.toHaveProperty('p');
      }
    });
  });
});
