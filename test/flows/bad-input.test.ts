import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authorizationCodeTokens, signInAndApprove } from '../support/flows.js';
import { basicAuth, client, relyingParty } from '../support/relying-party.js';
import { ScriptedUser } from '../support/scripted-user.js';
import { CLIENTS, REDIRECT_URI, startStagepass, type RunningStagepass } from '../support/stagepass.js';

let server: RunningStagepass;
beforeAll(async () => {
  server = await startStagepass();
});
afterAll(() => server.close());

interface Case {
  name: string;
  method?: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  status: number;
  /** The RFC 6749 error code a JSON endpoint must answer. */
  error?: string;
  /** The error code an error page must show. */
  page?: string;
  /** Where a redirect must lead. */
  location?: string;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };
const confidential = () => basicAuth(CLIENTS.confidential.client_id, CLIENTS.confidential.client_secret);
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const huge = 'a'.repeat(200 * 1024);

const cases = (): Record<string, Case[]> => ({
  'token endpoint': [
    { name: 'no grant_type', path: '/token', body: '', headers: { ...FORM, ...confidential() }, status: 400, error: 'invalid_request' },
    { name: 'grant_type sent twice', path: '/token', body: 'grant_type=client_credentials&grant_type=client_credentials', headers: { ...FORM, ...confidential() }, status: 400, error: 'invalid_request' },
    { name: 'unknown grant_type', path: '/token', body: form({ grant_type: 'password', username: 'a', password: 'b' }), headers: { ...FORM, ...confidential() }, status: 400, error: 'unsupported_grant_type' },
    { name: 'JSON instead of a form', path: '/token', body: JSON.stringify({ grant_type: 'client_credentials' }), headers: { ...JSON_TYPE, ...confidential() }, status: 400, error: 'invalid_request' },
    { name: 'a 200 KiB body', path: '/token', body: form({ grant_type: 'client_credentials', scope: huge }), headers: { ...FORM, ...confidential() }, status: 413, error: 'invalid_request' },
    { name: 'broken percent-encoding (read as the literal text, an unknown grant type)', path: '/token', body: 'grant_type=%zz%', headers: { ...FORM, ...confidential() }, status: 400, error: 'unsupported_grant_type' },
    { name: 'unknown client', path: '/token', body: form({ grant_type: 'client_credentials' }), headers: { ...FORM, ...basicAuth('nobody', 'secret') }, status: 401, error: 'invalid_client' },
    { name: 'wrong secret', path: '/token', body: form({ grant_type: 'client_credentials' }), headers: { ...FORM, ...basicAuth(CLIENTS.confidential.client_id, 'wrong') }, status: 401, error: 'invalid_client' },
    { name: 'malformed Basic header', path: '/token', body: form({ grant_type: 'client_credentials' }), headers: { ...FORM, authorization: 'Basic !!!' }, status: 400, error: 'invalid_request' },
    { name: 'two authentication methods at once', path: '/token', body: form({ grant_type: 'client_credentials', client_id: CLIENTS.confidential.client_id, client_secret: CLIENTS.confidential.client_secret }), headers: { ...FORM, ...confidential() }, status: 400, error: 'invalid_request' },
    { name: 'forged authorization code', path: '/token', body: form({ grant_type: 'authorization_code', code: 'forged', redirect_uri: REDIRECT_URI, code_verifier: 'x'.repeat(43) }), headers: { ...FORM, ...confidential() }, status: 400, error: 'invalid_grant' },
    { name: 'authorization code without code', path: '/token', body: form({ grant_type: 'authorization_code', redirect_uri: REDIRECT_URI }), headers: { ...FORM, ...confidential() }, status: 400, error: 'invalid_request' },
    { name: 'forged refresh token', path: '/token', body: form({ grant_type: 'refresh_token', refresh_token: 'forged' }), headers: { ...FORM, ...confidential() }, status: 400, error: 'invalid_grant' },
    { name: 'device grant without device_code', path: '/token', body: form({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: CLIENTS.native.client_id }), status: 400, headers: FORM, error: 'invalid_request' },
    { name: 'scope with control characters', path: '/token', body: form({ grant_type: 'client_credentials', scope: 'a\u0001b' }), headers: { ...FORM, ...confidential() }, status: 400, error: 'invalid_scope' },
    { name: 'GET instead of POST', method: 'GET', path: '/token', status: 404 },
  ],
  'device authorization endpoint': [
    { name: 'no client_id', path: '/device/auth', body: form({ scope: 'openid' }), headers: FORM, status: 400, error: 'invalid_request' },
    { name: 'unknown client', path: '/device/auth', body: form({ client_id: 'nobody' }), headers: FORM, status: 401, error: 'invalid_client' },
    { name: 'client not registered for the device grant', path: '/device/auth', body: form({ scope: 'openid' }), headers: { ...FORM, ...confidential() }, status: 400, error: 'unauthorized_client' },
    { name: 'unknown scope is dropped, not an error, but an invalid one is', path: '/device/auth', body: form({ client_id: CLIENTS.native.client_id, scope: 'openid\u0000' }), headers: FORM, status: 400, error: 'invalid_scope' },
  ],
  'introspection and revocation': [
    { name: 'introspection without client authentication', path: '/token/introspection', body: form({ token: 'x' }), headers: FORM, status: 400, error: 'invalid_request' },
    { name: 'introspection without token', path: '/token/introspection', body: '', headers: { ...FORM, ...confidential() }, status: 400, error: 'invalid_request' },
    { name: 'revocation without token', path: '/token/revocation', body: '', headers: { ...FORM, ...confidential() }, status: 400, error: 'invalid_request' },
    { name: 'revocation with a wrong secret', path: '/token/revocation', body: form({ token: 'x' }), headers: { ...FORM, ...basicAuth(CLIENTS.confidential.client_id, 'nope') }, status: 401, error: 'invalid_client' },
  ],
  'registration endpoint': [
    { name: 'a body that is not JSON', path: '/reg', body: '{"redirect_uris": [', headers: JSON_TYPE, status: 400, error: 'invalid_request' },
    { name: 'a JSON array', path: '/reg', body: '[]', headers: JSON_TYPE, status: 400, error: 'invalid_request' },
    { name: 'redirect_uris of the wrong type', path: '/reg', body: JSON.stringify({ redirect_uris: 'http://x' }), headers: JSON_TYPE, status: 400, error: 'invalid_redirect_uri' },
    { name: 'a form instead of JSON', path: '/reg', body: form({ redirect_uris: REDIRECT_URI }), headers: FORM, status: 400, error: 'invalid_request' },
    { name: 'a 200 KiB body', path: '/reg', body: JSON.stringify({ redirect_uris: [REDIRECT_URI], client_name: huge }), headers: JSON_TYPE, status: 413, error: 'invalid_request' },
    // Stored as sent, such a set could not be written to the store: a server error until refused.
    { name: 'a JSON Web Key Set nesting 9,000 levels deep', path: '/reg', body: `{"redirect_uris":["${REDIRECT_URI}"],"jwks":{"keys":[],"x":${'{"a":'.repeat(9000)}1${'}'.repeat(9000)}}}`, headers: JSON_TYPE, status: 400, error: 'invalid_client_metadata' },
    { name: 'an unknown client registration', method: 'GET', path: '/reg/nobody', headers: { authorization: 'Bearer forged' }, status: 401, error: 'invalid_token' },
  ],
  userinfo: [
    { name: 'no access token', method: 'GET', path: '/me', status: 401, error: 'invalid_token' },
    { name: 'a forged access token', method: 'GET', path: '/me', headers: { authorization: 'Bearer forged' }, status: 401, error: 'invalid_token' },
    { name: 'a malformed Authorization header', method: 'GET', path: '/me', headers: { authorization: 'Bearer' }, status: 400, error: 'invalid_request' },
  ],
  'authorization endpoint and pages': [
    { name: 'unknown client', method: 'GET', path: '/auth?client_id=nobody&response_type=code&scope=openid', status: 400, page: 'invalid_client' },
    { name: 'unregistered redirect_uri', method: 'GET', path: `/auth?client_id=${CLIENTS.confidential.client_id}&response_type=code&scope=openid&redirect_uri=https://evil.example/cb`, status: 400, page: 'invalid_redirect_uri' },
    { name: 'a forged authorization resume', method: 'GET', path: '/auth/forged-uid', status: 400, page: 'invalid_request' },
    { name: 'an interaction without its cookie', method: 'GET', path: '/interaction/forged-uid', status: 400 },
    { name: 'a login post without its cookie', path: '/interaction/forged-uid/login', body: form({ username: 'alice', password: 'x', csrf: 'x' }), headers: FORM, status: 400 },
    { name: 'a login post of 200 KiB', path: '/interaction/forged-uid/login', body: form({ username: huge }), headers: FORM, status: 413 },
    { name: 'a login post with a repeated field', path: '/interaction/forged-uid/login', body: 'username=a&username=b', headers: FORM, status: 400 },
    { name: 'a login post that is not a form', path: '/interaction/forged-uid/login', body: '{}', headers: JSON_TYPE, status: 400 },
    { name: 'a device code post without a browser session', path: '/device', body: form({ user_code: 'BCDF-GHJK' }), headers: FORM, status: 303, location: '/device' },
    { name: 'a device resume without a browser session', method: 'GET', path: '/device/forged-uid', status: 303, location: '/device' },
    { name: 'a logout confirmation without its xsrf token', path: '/session/end/confirm', body: form({ xsrf: 'forged' }), headers: FORM, status: 400 },
  ],
  'anything else': [
    { name: 'an unknown path', method: 'GET', path: '/nothing-here', status: 404, error: 'invalid_request' },
    { name: 'a path with broken percent-encoding', method: 'GET', path: '/interaction/%E0%A4%A', status: 400 },
  ],
});

describe.each(Object.entries(cases()))('%s answers bad input with a 4xx', (_endpoint, table) => {
  it.each(table.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const response = await fetch(`${server.issuer}${c.path}`, {
      method: c.method ?? 'POST',
      headers: c.headers,
      body: c.method === 'GET' ? undefined : c.body,
      redirect: 'manual',
    });
    const text = await response.text();
    expect(response.status, text).toBe(c.status);
    if (c.page) expect(text).toContain(`<code>${c.page}</code>`);
    if (c.location) expect(response.headers.get('location')).toBe(c.location);
    if (c.error) {
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(body.error).toBe(c.error);
      expect(body.error_description).toEqual(expect.any(String));
    }
  });
});

describe('codes and tokens past their expiry', () => {
  /** Ends a record's lifetime the way time would, keeping it in the store so the expiry itself is what is checked. */
  const expire = async (model: string, id: string) => {
    const { store } = server.stagepass;
    const record = await store.findModel(model, id);
    expect(record).toBeDefined();
    await store.upsertModel(model, id, { ...record, exp: Math.floor(Date.now() / 1000) - 1 }, 60);
  };
  const token = (fields: Record<string, string>) => fetch(`${server.issuer}/token`, { method: 'POST', headers: { ...FORM, ...confidential() }, body: form(fields) });

  it('an expired authorization code answers invalid_grant', async () => {
    const config = await relyingParty(server.issuer, 'confidential');
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const code = new URL(await signInAndApprove(new ScriptedUser(), url.href)).searchParams.get('code')!;
    await expire('AuthorizationCode', code);
    const response = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
  });

  it('an expired refresh token answers invalid_grant', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
    await expire('RefreshToken', tokens.refresh_token!);
    const response = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
  });
});

describe('device pages with a live browser session', () => {
  it('a forged resume link shows a page, not a server error', async () => {
    const user = new ScriptedUser();
    await user.visit(`${server.issuer}/device`);
    const page = await user.visit(`${server.issuer}/device/forged-uid`);
    expect(page.status).toBeGreaterThanOrEqual(200);
    expect(page.status).toBeLessThan(500);
    expect(page.html).toContain('stagepass');
  });

  it('a wrong xsrf token re-renders the entry page with an error', async () => {
    const user = new ScriptedUser();
    const entry = await user.visit(`${server.issuer}/device`);
    const page = await user.submit(entry, '/device', { xsrf: 'forged', user_code: 'BCDF-GHJK' });
    expect(page.status).toBe(400);
    expect(page.html).toContain('name="user_code"');
  });
});

describe('after a barrage of bad input', () => {
  it('the server still completes a well-formed flow', async () => {
    const { config, tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toEqual(expect.any(String));
  });
});
