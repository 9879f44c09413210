import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GRANT_LIFETIME_SECONDS } from '../../src/provider/create-provider.js';
import { GrantIndex } from '../../src/provider/grant-index.js';
import {
  adminApi, adminToken, clientCredentialsToken, CLIENTS_WITH_ADMINS, RESOURCE_SERVER, signedInTokens, WEB_APP_METADATA,
} from '../support/admin.js';
import { authorizationCodeTokens, signInAndApprove } from '../support/flows.js';
import { basicAuth, client, postForm, relyingParty } from '../support/relying-party.js';
import { ScriptedUser, type Page } from '../support/scripted-user.js';
import { CLIENTS, REDIRECT_URI, startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';


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

  describe('a browser still signed in as a person who was disabled or deleted since', () => {
    let people = 0;
    /** A browser that signed a new person in at the confidential client, and that person's subject. */
    const signedInBrowser = async () => {
      people += 1;
      const person = { username: `gone-${people}`, password: `the password of gone ${people}` };
      const admin = adminApi(server.issuer, await adminToken(server.issuer));
      const created = await admin.post('/accounts', person);
      const browser = new ScriptedUser();
      await signInAndApprove(browser, await authorizationUrl('confidential'), { as: person });
      return { admin, browser, person, sub: String(created.body.sub) };
    };
    const authorizationUrl = async (name: 'confidential' | 'native') => client.buildAuthorizationUrl(await relyingParty(server.issuer, name), {
      redirect_uri: REDIRECT_URI, scope: 'openid', state: client.randomState(),
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    }).href;
    const asksToSignIn = (page: Page) => {
      expect(page.status).toBe(200);
      expect(page.html).toContain('name="password"');
    };
    const endings: [string, (admin: ReturnType<typeof adminApi>, sub: string, username: string) => Promise<unknown>][] = [
      ['disabled', (admin, sub, username) => admin.put(`/accounts/${sub}`, { username, disabled: true })],
      ['deleted', (admin, sub) => admin.delete(`/accounts/${sub}`)],
    ];

    it.each(endings)('%s: every client\'s authorization request asks the browser to sign in again', async (_ending, end) => {
      const { admin, browser, person, sub } = await signedInBrowser();
      await end(admin, sub, person.username);
      asksToSignIn(await browser.visit(await authorizationUrl('confidential')));
      asksToSignIn(await browser.visit(await authorizationUrl('native')));
      const silent = await browser.visit(`${await authorizationUrl('confidential')}&prompt=none`);
      expect(new URL(silent.url).searchParams.get('error')).toBe('login_required');
    });

    it.each(endings)('%s: the device pages ask the browser to sign in again, and another person can', async (_ending, end) => {
      const { admin, browser, person, sub } = await signedInBrowser();
      await end(admin, sub, person.username);
      const started = await postForm(`${server.issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid' });
      const entry = await browser.visit(String(started.body.verification_uri_complete));
      const confirm = await browser.submit(entry, '/device');
      const login = await browser.submit(confirm, '/device', {}, 'confirm');
      asksToSignIn(login);
      const consent = await browser.submit(login, '/login', { username: USERS.alice.username, password: USERS.alice.password });
      const done = await browser.submit(consent, '/confirm');
      expect(done.html).toContain('Device connected');
    });
  });
});
