import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { signInAndApprove, authorizationCodeTokens } from '../support/flows.js';
import { client, relyingParty } from '../support/relying-party.js';
import { ScriptedUser } from '../support/scripted-user.js';
import { REDIRECT_URI, startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';

let server: RunningStagepass;
beforeAll(async () => {
  server = await startStagepass();
});
afterAll(() => server.close());

describe('authorization code with PKCE', () => {
  it('a public native app signs alice in and gets an ID token naming her', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'native');
    expect(tokens.claims()?.sub).toBe(USERS.alice.sub);
    expect(tokens.claims()?.iss).toBe(server.issuer);
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  it('the access token reads alice\'s profile and email from userinfo', async () => {
    const { config, tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, USERS.alice.sub);
    expect(userinfo).toMatchObject({ sub: USERS.alice.sub, name: 'Alice Example', email: 'alice@example.test', email_verified: true });
  });

  it('a public client that sends no code challenge is refused before login', async () => {
    const config = await relyingParty(server.issuer, 'native');
    const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid' });
    const page = await new ScriptedUser().visit(url.href);
    const callback = new URL(page.url);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('redeeming a code with the wrong verifier fails with invalid_grant', async () => {
    const config = await relyingParty(server.issuer, 'native');
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const callback = await signInAndApprove(new ScriptedUser(), url.href);
    await expect(client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: client.randomPKCECodeVerifier() }))
      .rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a code can be redeemed only once', async () => {
    const config = await relyingParty(server.issuer, 'native');
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const callback = await signInAndApprove(new ScriptedUser(), url.href);
    await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier });
    await expect(client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier }))
      .rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('denying consent sends the user back with access_denied', async () => {
    const config = await relyingParty(server.issuer, 'confidential');
    const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid email' });
    const callback = new URL(await signInAndApprove(new ScriptedUser(), url.href, { deny: true }));
    expect(callback.searchParams.get('error')).toBe('access_denied');
  });

  it('a wrong password keeps the user on the login page with an error and no code', async () => {
    const config = await relyingParty(server.issuer, 'confidential');
    const user = new ScriptedUser();
    const login = await user.visit(client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid' }).href);
    const retry = await user.submit(login, '/login', { username: 'alice', password: 'not her password' });
    expect(retry.status).toBe(401);
    expect(retry.html).toContain('Wrong username or password.');
    expect(retry.html).toContain('value="alice"');
  });

  it('a login form posted without its CSRF token is refused', async () => {
    const config = await relyingParty(server.issuer, 'confidential');
    const user = new ScriptedUser();
    const login = await user.visit(client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid' }).href);
    const forged = await user.submit(login, '/login', { csrf: 'forged', username: 'alice', password: USERS.alice.password });
    expect(forged.status).toBe(403);
    expect(forged.url).not.toContain(REDIRECT_URI);
  });
});
