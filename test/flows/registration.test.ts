import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { client, postForm } from '../support/relying-party.js';
import { REDIRECT_URI, startStagepass, type RunningStagepass } from '../support/stagepass.js';

const INITIAL_ACCESS_TOKEN = 'initial-access-token-for-tests-0123456789';

const register = (issuer: string, metadata: Partial<client.ClientMetadata>, initialAccessToken?: string) =>
  client.dynamicClientRegistration(new URL(issuer), metadata, undefined, {
    execute: [client.allowInsecureRequests],
    ...(initialAccessToken ? { initialAccessToken } : {}),
  });

async function registerRaw(issuer: string, metadata: unknown, token?: string) {
  const response = await fetch(`${issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(metadata),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('dynamic client registration without an initial access token configured', () => {
  let server: RunningStagepass;
  beforeAll(async () => {
    server = await startStagepass();
  });
  afterAll(() => server.close());

  it('a registered client can immediately use client_credentials', async () => {
    const config = await register(server.issuer, { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] });
    const metadata = config.clientMetadata();
    expect(metadata.client_secret).toEqual(expect.any(String));
    const tokens = await client.clientCredentialsGrant(config);
    expect(tokens.access_token).toEqual(expect.any(String));
  });

  it('a client cannot grant itself minting rights through registration', async () => {
    const response = await registerRaw(server.issuer, { redirect_uris: [REDIRECT_URI], ivs_stage_arns: ['*'] });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_client_metadata' });
    expect(response.body.error_description).toMatch(/ivs_stage_arns/);
  });

  it('a client cannot choose its id: one asking for the account page\'s own is given another, and the account page\'s client is untouched', async () => {
    const response = await registerRaw(server.issuer, { client_id: 'stagepass-account', redirect_uris: [REDIRECT_URI] });
    expect(response.status).toBe(201);
    expect(response.body.client_id).toEqual(expect.any(String));
    expect(response.body.client_id).not.toBe('stagepass-account');
    const account = await fetch(`${server.issuer}/account`, { redirect: 'manual' });
    const signIn = await fetch(new URL(account.headers.get('location')!), { redirect: 'manual' });
    expect(signIn.status).toBe(303);
    expect(new URL(signIn.headers.get('location')!, server.issuer).pathname).toMatch(/^\/interaction\//);
  });

  it('a public client may not hold client_credentials, registered so or updated to it (RFC 7592)', async () => {
    const machine = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] };
    const refused = await registerRaw(server.issuer, { ...machine, token_endpoint_auth_method: 'none' });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: 'invalid_client_metadata',
      error_description: 'grant_types may not include client_credentials for a public client (token_endpoint_auth_method none): anyone could obtain its tokens',
    });

    const created = await registerRaw(server.issuer, machine);
    expect(created.status).toBe(201);
    const updated = await fetch(String(created.body.registration_client_uri), {
      method: 'PUT',
      headers: { authorization: `Bearer ${created.body.registration_access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...machine, client_id: created.body.client_id, token_endpoint_auth_method: 'none' }),
    });
    expect(updated.status).toBe(400);
    expect(((await updated.json()) as Record<string, unknown>).error).toBe('invalid_client_metadata');
    const token = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', client_id: String(created.body.client_id) });
    expect(token.status).toBe(401);
  });

  it('invalid metadata is refused with invalid_client_metadata or invalid_redirect_uri naming the problem', async () => {
    const badRedirect = await registerRaw(server.issuer, { redirect_uris: ['not a url'] });
    expect(badRedirect.status).toBe(400);
    expect(badRedirect.body.error).toBe('invalid_redirect_uri');
    const badGrant = await registerRaw(server.issuer, { redirect_uris: [REDIRECT_URI], grant_types: ['password'] });
    expect(badGrant.status).toBe(400);
    expect(badGrant.body.error).toBe('invalid_client_metadata');
  });

  it('RFC 7592: the client reads, updates and deletes its own registration', async () => {
    const created = await registerRaw(server.issuer, { redirect_uris: [REDIRECT_URI], client_name: 'before' });
    expect(created.status).toBe(201);
    const uri = String(created.body.registration_client_uri);
    const auth = { authorization: `Bearer ${created.body.registration_access_token}` };

    const read = await fetch(uri, { headers: auth });
    expect(read.status).toBe(200);
    expect(((await read.json()) as Record<string, unknown>).client_name).toBe('before');

    const updated = await fetch(uri, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: created.body.client_id, client_secret: created.body.client_secret, redirect_uris: [REDIRECT_URI], client_name: 'after' }),
    });
    expect(updated.status).toBe(200);
    const updatedBody = (await updated.json()) as Record<string, unknown>;
    expect(updatedBody.client_name).toBe('after');
    // The registration access token rotates on update; the old one stops working.
    expect(updatedBody.registration_access_token).not.toBe(created.body.registration_access_token);
    expect((await fetch(uri, { headers: auth })).status).toBe(401);

    const newAuth = { authorization: `Bearer ${updatedBody.registration_access_token}` };
    expect((await fetch(uri, { method: 'DELETE', headers: newAuth })).status).toBe(204);
    expect((await fetch(uri, { headers: newAuth })).status).toBe(401);
  });
});

describe('dynamic client registration with an initial access token configured', () => {
  let server: RunningStagepass;
  beforeAll(async () => {
    server = await startStagepass({ config: { registration: { initialAccessToken: INITIAL_ACCESS_TOKEN } } });
  });
  afterAll(() => server.close());

  it('registration without the token is refused', async () => {
    const response = await registerRaw(server.issuer, { redirect_uris: [REDIRECT_URI] });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_token');
  });

  it('registration with a wrong token is refused', async () => {
    const response = await registerRaw(server.issuer, { redirect_uris: [REDIRECT_URI] }, 'wrong-initial-access-token-0000');
    expect(response.status).toBe(401);
  });

  it('registration with the configured token succeeds', async () => {
    const config = await register(server.issuer, { redirect_uris: [REDIRECT_URI] }, INITIAL_ACCESS_TOKEN);
    expect(config.clientMetadata().client_id).toEqual(expect.any(String));
  });
});
