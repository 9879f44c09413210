import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GRANT_LIFETIME_SECONDS } from '../../src/provider/create-provider.js';
import { GrantIndex } from '../../src/provider/grant-index.js';
import {
  adminApi, adminToken, clientCredentialsToken, CLIENTS_WITH_ADMINS, RESOURCE_SERVER, signedInTokens, WEB_APP_METADATA,
} from '../support/admin.js';
import { authorizationCodeTokens } from '../support/flows.js';
import { basicAuth, client, postForm, relyingParty } from '../support/relying-party.js';
import { startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';


describe.each([['memory', false], ['Redis', true]] as const)('revoking every grant of a client or an account (%s store)', (_store, redis) => {
  let server: RunningStagepass;
  let grants: GrantIndex;
  beforeAll(async () => {
    server = await startStagepass({ redis, config: { clients: [...CLIENTS_WITH_ADMINS, RESOURCE_SERVER] } });
    // The index lives in the store: one made over the server's store sees what the server noted.
    grants = new GrantIndex(server.stagepass.store, { longestLifetimeSeconds: GRANT_LIFETIME_SECONDS, clock: server.clock });
  });
  afterAll(() => server.close());

  const active = async (token: string) =>
    (await postForm(`${server.issuer}/token/introspection`, { token }, basicAuth(RESOURCE_SERVER.client_id, RESOURCE_SERVER.client_secret))).body.active;
  const serviceToken = async () => {
    const service = await relyingParty(server.issuer, 'service');
    return (await client.clientCredentialsGrant(service)).access_token;
  };

  /** Clients made through the Admin API: the configuration's cannot be deleted, so they are not indexed. */
  const madeClient = async (name: string) => {
    const admin = adminApi(server.issuer, await adminToken(server.issuer));
    const created = await admin.post('/clients', { client_id: name, ...WEB_APP_METADATA });
    expect(created.status).toBe(201);
    return { client_id: name, client_secret: String(created.body.client_secret) };
  };

  it('a client\'s grants and client_credentials tokens stop working at once; other clients\' go on', async () => {
    const [revoked, other] = await Promise.all([madeClient('revoked-app'), madeClient('other-app')]);
    const signedIn = await signedInTokens(server.issuer, revoked);
    const otherSignedIn = await signedInTokens(server.issuer, other);
    const revokedOwn = await clientCredentialsToken(server.issuer, revoked);
    const service = await serviceToken();

    await grants.revokeGrantsOfClient(revoked.client_id);

    expect(await active(signedIn.tokens.access_token)).toBe(false);
    expect(await active(revokedOwn)).toBe(false);
    await expect(client.fetchUserInfo(signedIn.config, signedIn.tokens.access_token, USERS.alice.sub))
      .rejects.toMatchObject({ status: 401 });
    await expect(client.refreshTokenGrant(signedIn.config, signedIn.tokens.refresh_token!))
      .rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await active(otherSignedIn.tokens.access_token)).toBe(true);
    expect((await client.refreshTokenGrant(otherSignedIn.config, otherSignedIn.tokens.refresh_token!)).access_token).toBeTruthy();
    expect(await active(service)).toBe(true);
  });

  /** A client that registered itself (RFC 7591), with what RFC 7592 manages it by. */
  const registeredClient = async () => {
    const response = await fetch(`${server.issuer}/reg`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(WEB_APP_METADATA),
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, string>;
    return {
      credentials: { client_id: body.client_id!, client_secret: body.client_secret! },
      manage: (method: string) => fetch(body.registration_client_uri!, { method, headers: { authorization: `Bearer ${body.registration_access_token}` } }),
    };
  };
  const introspected = (token: string) =>
    postForm(`${server.issuer}/token/introspection`, { token }, basicAuth(RESOURCE_SERVER.client_id, RESOURCE_SERVER.client_secret));

  it('a client deleting its registration (RFC 7592) ends its grants and client_credentials tokens at once', async () => {
    const { credentials, manage } = await registeredClient();
    const signedIn = await signedInTokens(server.issuer, credentials);
    const own = await clientCredentialsToken(server.issuer, credentials);
    expect(await active(own)).toBe(true);

    expect((await manage('DELETE')).status).toBe(204);

    for (const token of [signedIn.tokens.access_token, signedIn.tokens.refresh_token!, own]) {
      expect(await introspected(token)).toMatchObject({ status: 200, body: { active: false } });
    }
    // Opaque tokens are stored under their own value: none is kept past the client.
    const { store } = server.stagepass;
    expect(await store.findModel('ClientCredentials', own)).toBeUndefined();
    expect(await store.findModel('AccessToken', signedIn.tokens.access_token)).toBeUndefined();
    expect(await store.findModel('RefreshToken', signedIn.tokens.refresh_token!)).toBeUndefined();
  });

  it('the tokens of a client that is gone without a deletion (forgotten unused) introspect inactive', async () => {
    const { credentials } = await registeredClient();
    const signedIn = await signedInTokens(server.issuer, credentials);
    const own = await clientCredentialsToken(server.issuer, credentials);
    await server.stagepass.store.destroyModel('Client', credentials.client_id);

    for (const token of [signedIn.tokens.access_token, own]) {
      expect(await introspected(token)).toMatchObject({ status: 200, body: { active: false } });
    }
  });

  it('an account\'s grants stop working at once at every client; client_credentials tokens go on', async () => {
    const confidential = await authorizationCodeTokens(server.issuer, 'confidential');
    const native = await authorizationCodeTokens(server.issuer, 'native');
    const service = await serviceToken();

    await grants.revokeGrantsOfAccount(USERS.alice.sub);

    for (const { config, tokens } of [confidential, native]) {
      expect(await active(tokens.access_token)).toBe(false);
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    }
    expect(await active(service)).toBe(true);
    const again = await authorizationCodeTokens(server.issuer, 'native');
    expect(await active(again.tokens.access_token)).toBe(true);
  });
});
