import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/observability/logger.js';
import {
  adminApi, adminToken, clientCredentialsToken, CLIENTS_WITH_ADMINS, RESOURCE_SERVER, relyingPartyOf, seenWithinPropagation, SERVICE_METADATA, signedInTokens, WEB_APP_METADATA,
} from '../support/admin.js';
import { IVS_GRANT, ivsConfig, mint, STAGES } from '../support/minters.js';
import { expectAnswersMatch, validatedDocument, type LoggedAnswer } from '../support/openapi.js';
import { basicAuth, client, postForm } from '../support/relying-party.js';
import { ScriptedUser } from '../support/scripted-user.js';
import { CLIENTS, newKeysDir, REDIRECT_URI, startStagepass, uniqueRedisPrefix, USERS, type RunningStagepass } from '../support/stagepass.js';

const introspector = (issuer: string) => async (token: string) =>
  (await postForm(`${issuer}/token/introspection`, { token }, basicAuth(RESOURCE_SERVER.client_id, RESOURCE_SERVER.client_secret))).body.active;

describe('clients made through the Admin API (memory store)', () => {
  const logLines: Record<string, unknown>[] = [];
  const answers: LoggedAnswer[] = [];
  let server: RunningStagepass;
  let admin: ReturnType<typeof adminApi>;
  let active: (token: string) => Promise<unknown>;

  beforeAll(async () => {
    server = await startStagepass({
      config: { clients: [...CLIENTS_WITH_ADMINS, RESOURCE_SERVER] },
      logger: createLogger({ level: 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) } }),
    });
    admin = adminApi(server.issuer, await adminToken(server.issuer), answers);
    active = introspector(server.issuer);
  });
  afterAll(() => server.close());

  it('a confidential client made without a secret gets a generated one, answered once, that authenticates it', async () => {
    const created = await admin.post('/clients', { ...SERVICE_METADATA, client_name: 'Nightly job' });
    expect(created.status).toBe(201);
    const { client_id: id, client_secret: secret } = created.body;
    expect(created.body).toMatchObject({ source: 'api', client_name: 'Nightly job' });
    expect(Buffer.from(secret, 'base64url').length).toBeGreaterThanOrEqual(32);
    expect(created.headers.get('location')).toBe(`/admin/v1/clients/${id}`);

    const read = await admin.get(`/clients/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ client_id: id, source: 'api', client_name: 'Nightly job', ...SERVICE_METADATA });
    expect(read.headers.get('etag')).toBe(created.headers.get('etag'));
    expect(JSON.stringify((await admin.get('/clients?limit=200')).body)).not.toContain(secret);

    expect(await active(await clientCredentialsToken(server.issuer, { client_id: id, client_secret: secret }))).toBe(true);
  });

  it('a client made with its own id and secret answers neither secret back, and authenticates with it', async () => {
    const credentials = { client_id: 'own-secret', client_secret: 'own-secret-0123456789abcdef0123456789' };
    const created = await admin.post('/clients', { ...credentials, ...SERVICE_METADATA });
    expect(created.status).toBe(201);
    expect(created.body.client_secret).toBeUndefined();
    expect(await active(await clientCredentialsToken(server.issuer, credentials))).toBe(true);
    expect((await admin.post('/clients', { ...credentials, ...SERVICE_METADATA })).status).toBe(409);
  });

  it('an id a client registered itself under (RFC 7591) is refused with 409', async () => {
    const registered = await fetch(`${server.issuer}/reg`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SERVICE_METADATA),
    });
    const { client_id: taken } = await registered.json() as { client_id: string };
    const refused = await admin.post('/clients', { ...SERVICE_METADATA, client_id: taken });
    expect(refused.status).toBe(409);
    expect(refused.body.error_description).toContain(taken);
  });

  it('a client made here is not managed through RFC 7592, even with a registration access token left for its id', async () => {
    const registered = await (await fetch(`${server.issuer}/reg`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SERVICE_METADATA),
    })).json() as { client_id: string; registration_access_token: string; registration_client_uri: string };
    // The registered client is forgotten (as an unused one is) while its registration access token is not.
    await server.stagepass.store.destroyModel('Client', registered.client_id);
    const made = await admin.post('/clients', { ...SERVICE_METADATA, client_id: registered.client_id });
    expect(made.status).toBe(201);
    const management = { authorization: `Bearer ${registered.registration_access_token}` };
    const read = await fetch(registered.registration_client_uri, { headers: management });
    expect(read.status).toBe(401);
    expect(await read.text()).not.toContain(made.body.client_secret);
    const deleted = await fetch(registered.registration_client_uri, { method: 'DELETE', headers: management });
    expect(deleted.status).toBe(401);
    expect((await admin.get(`/clients/${registered.client_id}`)).status).toBe(200);
  });

  it('a public client gets no secret', async () => {
    const created = await admin.post('/clients', {
      client_id: 'runtime-tv', application_type: 'native', token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [], redirect_uris: [],
    });
    expect(created.status).toBe(201);
    expect(created.body.client_secret).toBeUndefined();
    expect((await admin.post('/clients/runtime-tv/secret')).status).toBe(409);

    // Made confidential, it gets a secret, answered this once.
    const confidential = await admin.put('/clients/runtime-tv', SERVICE_METADATA);
    expect(confidential.status).toBe(200);
    const secret = confidential.body.client_secret as string;
    expect(await active(await clientCredentialsToken(server.issuer, { client_id: 'runtime-tv', client_secret: secret }))).toBe(true);
    expect((await admin.put('/clients/runtime-tv', SERVICE_METADATA)).body.client_secret).toBeUndefined();
  });

  it('replacing the secret answers the new one once; the old one stops authenticating at once', async () => {
    const { client_id: id, client_secret: old } = (await admin.post('/clients', SERVICE_METADATA)).body;
    const replaced = await admin.post(`/clients/${id}/secret`);
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({ client_id: id, client_secret: expect.any(String) });
    expect(replaced.body.client_secret).not.toBe(old);
    expect(replaced.headers.get('etag')).toBe((await admin.get(`/clients/${id}`)).headers.get('etag'));
    await expect(clientCredentialsToken(server.issuer, { client_id: id, client_secret: old })).rejects.toMatchObject({ status: 401 });
    expect(await active(await clientCredentialsToken(server.issuer, { client_id: id, client_secret: replaced.body.client_secret }))).toBe(true);
  });

  it('PUT replaces the metadata and keeps the secret; a stale If-Match is refused with 412', async () => {
    const created = await admin.post('/clients', SERVICE_METADATA);
    const { client_id: id, client_secret: secret } = created.body;
    const etag = created.headers.get('etag')!;
    const replaced = await admin.put(`/clients/${id}`, { ...SERVICE_METADATA, client_name: 'Renamed' }, { 'if-match': etag });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({ client_id: id, source: 'api', client_name: 'Renamed', ...SERVICE_METADATA });
    expect(replaced.headers.get('etag')).not.toBe(etag);
    expect((await admin.put(`/clients/${id}`, SERVICE_METADATA, { 'if-match': etag })).status).toBe(412);
    expect((await admin.delete(`/clients/${id}`, { 'if-match': etag })).status).toBe(412);
    expect((await admin.post(`/clients/${id}/secret`, undefined, { 'if-match': etag })).status).toBe(412);
    expect((await admin.get(`/clients/${id}`)).body.client_name).toBe('Renamed');
    expect(await active(await clientCredentialsToken(server.issuer, { client_id: id, client_secret: secret }))).toBe(true);
    expect((await admin.put(`/clients/${id}`, { ...SERVICE_METADATA, client_id: 'another' })).body.error_description).toMatch(/^client_id /);
  });

  it('the configuration\'s clients are listed with source config, without their secret, and cannot be changed here', async () => {
    const read = await admin.get(`/clients/${CLIENTS.service.client_id}`);
    expect(read.status).toBe(200);
    const { client_secret: _secret, ...shown } = CLIENTS.service;
    expect(read.body).toEqual({ ...shown, source: 'config' });
    expect(read.headers.get('etag')).toMatch(/^"/);
    for (const answer of [
      await admin.put(`/clients/${CLIENTS.service.client_id}`, SERVICE_METADATA),
      await admin.delete(`/clients/${CLIENTS.service.client_id}`),
      await admin.post(`/clients/${CLIENTS.service.client_id}/secret`),
      await admin.post('/clients', { ...SERVICE_METADATA, client_id: CLIENTS.service.client_id }),
    ]) {
      expect(answer.status).toBe(409);
      expect(answer.body.error).toBe('conflict');
    }
  });

  it('lists every client once, page by page: the configuration\'s first, then the others by id', async () => {
    for (const id of ['page-c', 'page-a', 'page-b']) expect((await admin.post('/clients', { ...SERVICE_METADATA, client_id: id })).status).toBe(201);
    const everything = (await admin.get('/clients?limit=200')).body;
    expect(everything.next_cursor).toBeNull();
    const ids = everything.items.map((item: { client_id: string }) => item.client_id);
    const configured = [...CLIENTS_WITH_ADMINS.map(({ client_id }) => client_id), RESOURCE_SERVER.client_id].sort();
    expect(ids.slice(0, configured.length)).toEqual(configured);
    const made = ids.slice(configured.length);
    expect(made).toEqual([...made].sort());
    expect(made).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']));
    expect(everything.items.map((item: { source: string }) => item.source)).toEqual([...configured.map(() => 'config'), ...made.map(() => 'api')]);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await admin.get(`/clients?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      paged.push(...page.body.items.map((item: { client_id: string }) => item.client_id));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(paged).toEqual(ids);
    expect((await admin.get('/clients')).body.items).toHaveLength(Math.min(50, ids.length));

    for (const query of ['limit=0', 'limit=201', 'limit=two', 'cursor=%25%25', 'order=id']) {
      const refused = await admin.get(`/clients?${query}`);
      expect(refused.status, query).toBe(400);
      expect(refused.body.error).toBe('invalid_request');
      expect(refused.body.error_description).toMatch(/limit|cursor|order/);
    }
  });

  it('deleting a client ends its grants and tokens at once; one made again with its id does not bring them back', async () => {
    const credentials = { client_id: 'short-lived-app', client_secret: 'short-lived-app-secret-0123456789ab' };
    expect((await admin.post('/clients', { ...credentials, ...WEB_APP_METADATA })).status).toBe(201);
    const { config, tokens } = await signedInTokens(server.issuer, credentials);
    const own = await clientCredentialsToken(server.issuer, credentials);
    expect(await active(tokens.access_token)).toBe(true);

    const deleted = await admin.delete(`/clients/${credentials.client_id}`, { 'if-match': (await admin.get(`/clients/${credentials.client_id}`)).headers.get('etag')! });
    expect(deleted.status).toBe(204);
    expect((await admin.get(`/clients/${credentials.client_id}`)).status).toBe(404);
    expect((await admin.delete(`/clients/${credentials.client_id}`)).status).toBe(404);
    expect(await active(tokens.access_token)).toBe(false);
    expect(await active(own)).toBe(false);

    expect((await admin.post('/clients', { ...credentials, ...WEB_APP_METADATA })).status).toBe(201);
    expect(await active(tokens.access_token)).toBe(false);
    expect(await active(own)).toBe(false);
    await expect(client.fetchUserInfo(config, tokens.access_token, USERS.alice.sub)).rejects.toMatchObject({ status: 401 });
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const again = await signedInTokens(server.issuer, credentials);
    expect((await client.fetchUserInfo(again.config, again.tokens.access_token, USERS.alice.sub)).sub).toBe(USERS.alice.sub);
  });

  it('the sign-in page names a client made here as the operator\'s, not as one that registered itself', async () => {
    const credentials = { client_id: 'operators-app', client_secret: 'operators-app-secret-0123456789abcd' };
    expect((await admin.post('/clients', { ...credentials, ...WEB_APP_METADATA, client_name: 'Operators App' })).status).toBe(201);
    const config = await relyingPartyOf(server.issuer, credentials);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    const page = await new ScriptedUser().visit(url.href);
    expect(page.html).toContain('Operators App');
    expect(page.html).not.toMatch(/unverified/i);
  });

  it('bad input is refused with 400 invalid_request naming the field by its JSON path', async () => {
    const { client_id: id } = (await admin.post('/clients', SERVICE_METADATA)).body;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ client_id: 'has space' }, /^client_id must be/],
      [{ client_secret: 'short' }, /^client_secret must be at least 32/],
      [{ redirect_uris: 'https://app.example/cb' }, /^redirect_uris must be a list/],
      [{ redirect_uris: [7] }, /^redirect_uris\.0 must be a string/],
      [{ redirect_uris: ['not a uri'], response_types: ['code'], grant_types: ['authorization_code'] }, /^redirect_uris /],
      [{ grant_types: ['telepathy'] }, /^grant_types /],
      [{ token_endpoint_auth_method: 'magic' }, /^token_endpoint_auth_method /],
      [{ application_type: 'tv' }, /^application_type /],
      [{ default_max_age: -1 }, /^default_max_age /],
      [{ require_auth_time: 'yes' }, /^require_auth_time must be true or false/],
      [{ jwks: { keys: 'none' } }, /^jwks\.keys must be a list/],
      [{ contacts: [{}] }, /^contacts\.0 must be a string/],
      [{ jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, /^jwks\.keys\.0 must not contain symmetric keys/],
      [{ jwks_uri: 'not a uri' }, /^jwks_uri /],
      [{ subject_type: 'pairwise' }, /^subject_type is not a known field/],
      [{ ivs_capabilities: ['FLY'] }, /^ivs_capabilities\.0 /],
      [{ video_roles: 'publisher' }, /^video_roles must be a list/],
      [{ introspection_allowed: 'yes' }, /^introspection_allowed must be true or false/],
      [{ colour: 'blue' }, /^colour is not a known field/],
      [{ scope: 'openid stagepass:admin' }, /^scope stagepass:admin can only be given in the server configuration/],
      [{ scope: 'stagepass:admin:read' }, /^scope stagepass:admin:read /],
      [{ token_endpoint_auth_method: 'none' }, /^grant_types may not include client_credentials for a public client/],
    ];
    for (const [fields, expected] of cases) {
      for (const answer of [
        await admin.post('/clients', { ...SERVICE_METADATA, ...fields }),
        await admin.put(`/clients/${id}`, { ...SERVICE_METADATA, ...fields }),
      ]) {
        expect(answer.status, JSON.stringify(fields)).toBe(400);
        expect(answer.body.error).toBe('invalid_request');
        expect(answer.body.error_description, JSON.stringify(fields)).toMatch(expected);
      }
    }
    for (const body of ['{"redirect_uris": [', '[]', '"client"']) {
      const answer = await admin.post('/clients', body);
      expect(answer.status, body).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
    }
  });

  it('the account page\'s own client id is refused as a new client\'s, naming the field', async () => {
    const answer = await admin.post('/clients', { ...SERVICE_METADATA, client_id: 'stagepass-account' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_request', error_description: 'client_id "stagepass-account" is the account page\'s own client; choose another id' });
  });

  it('an unknown client is 404 to every call about it', async () => {
    for (const answer of [
      await admin.get('/clients/nobody'),
      await admin.put('/clients/nobody', SERVICE_METADATA),
      await admin.delete('/clients/nobody'),
      await admin.post('/clients/nobody/secret'),
    ]) {
      expect(answer.status).toBe(404);
      expect(answer.body.error).toBe('not_found');
    }
  });

  it('a body over limits.maxBodyBytes is refused with 413', async () => {
    const huge = { ...SERVICE_METADATA, client_name: 'x'.repeat(server.stagepass.config.limits.maxBodyBytes) };
    expect((await admin.post('/clients', huge)).status).toBe(413);
    expect((await admin.put(`/clients/${CLIENTS.service.client_id}`, huge)).status).toBe(413);
  });

  it('a client made here never holds an admin scope, and its token does not open the Admin API', async () => {
    const { client_id, client_secret } = (await admin.post('/clients', SERVICE_METADATA)).body;
    const auth = basicAuth(client_id, client_secret);
    const asked = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', scope: 'stagepass:admin' }, auth);
    expect(asked.body.error).toBe('invalid_scope');
    const token = (await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials' }, auth)).body.access_token as string;
    expect((await adminApi(server.issuer, token).get('/clients')).status).toBe(403);
  });

  it('a reader may list and read clients but not change them', async () => {
    const reader = adminApi(server.issuer, await adminToken(server.issuer, 'reader'), answers);
    expect((await reader.get('/clients')).status).toBe(200);
    expect((await reader.get(`/clients/${CLIENTS.service.client_id}`)).status).toBe(200);
    expect((await reader.post('/clients', SERVICE_METADATA)).status).toBe(403);
    expect((await reader.post(`/clients/${CLIENTS.service.client_id}/secret`)).status).toBe(403);
  });

  it('every change is one admin_change audit event, and no log line holds a secret', async () => {
    const before = logLines.length;
    const created = await admin.post('/clients', SERVICE_METADATA);
    const id = created.body.client_id;
    const replaced = await admin.post(`/clients/${id}/secret`);
    await admin.put(`/clients/${id}`, { ...SERVICE_METADATA, client_secret: 'chosen-secret-0123456789abcdef0123456789' });
    await admin.delete(`/clients/${id}`);
    const changes = logLines.slice(before).filter((line) => line.audit === 'admin_change');
    expect(changes.map(({ resource, id: changed, action, clientId }) => ({ resource, id: changed, action, clientId }))).toEqual(
      ['create', 'replace_secret', 'update', 'delete'].map((action) => ({ resource: 'clients', id, action, clientId: 'admin-cli' })),
    );
    const logged = JSON.stringify(logLines);
    for (const secret of [created.body.client_secret, replaced.body.client_secret, 'chosen-secret-0123456789abcdef0123456789']) {
      expect(logged).not.toContain(secret);
    }
  });

  it('every answer matches the OpenAPI document', async () => {
    expectAnswersMatch(await validatedDocument(server.issuer), answers);
  });
});

describe('clients made on one instance, used on another sharing its Redis', () => {
  let a: RunningStagepass;
  let b: RunningStagepass;
  let adminOnA: ReturnType<typeof adminApi>;

  beforeAll(async () => {
    const keysDir = await newKeysDir();
    const redis = { keyPrefix: uniqueRedisPrefix() };
    const config = { clients: [...CLIENTS_WITH_ADMINS, RESOURCE_SERVER], ivs: ivsConfig(keysDir) };
    a = await startStagepass({ redis, keysDir, config });
    b = await startStagepass({ redis, keysDir, config });
    adminOnA = adminApi(a.issuer, await adminToken(a.issuer));
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('a client made on A mints on B within a second, its rights change live, and once deleted its tokens are dead on B', async () => {
    const created = await adminOnA.post('/clients', {
      client_id: 'stage-app', ...SERVICE_METADATA, grant_types: [IVS_GRANT, 'client_credentials'],
      ivs_stage_arns: [STAGES.main.arn], ivs_capabilities: ['SUBSCRIBE'],
    });
    expect(created.status).toBe(201);
    const credentials = { client_id: 'stage-app', client_secret: created.body.client_secret as string };
    const mintOnB = (capabilities: string) => mint(b.issuer, credentials, IVS_GRANT, { stage_arn: STAGES.main.arn, capabilities });

    expect((await seenWithinPropagation(() => mintOnB('SUBSCRIBE'), ({ status }) => status === 200)).status).toBe(200);
    expect((await mintOnB('PUBLISH')).body.error).toBe('access_denied');

    const changed = await adminOnA.put('/clients/stage-app', {
      ...SERVICE_METADATA, grant_types: [IVS_GRANT, 'client_credentials'], ivs_stage_arns: [STAGES.main.arn], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'],
    }, { 'if-match': created.headers.get('etag')! });
    expect(changed.status).toBe(200);
    expect((await seenWithinPropagation(() => mintOnB('PUBLISH'), ({ status }) => status === 200)).status).toBe(200);

    const tokenFromB = await clientCredentialsToken(b.issuer, credentials);
    const activeOnB = introspector(b.issuer);
    expect(await activeOnB(tokenFromB)).toBe(true);
    expect((await adminOnA.delete('/clients/stage-app')).status).toBe(204);
    expect(await activeOnB(tokenFromB)).toBe(false);
    expect((await seenWithinPropagation(() => mintOnB('SUBSCRIBE'), ({ status }) => status === 401)).body.error).toBe('invalid_client');
  });

  it('a person signed in on B at a client made on A: deleted on A, the grant is dead on B, and a client made again under its id does not revive it', async () => {
    const credentials = { client_id: 'shared-app', client_secret: 'shared-app-secret-0123456789abcdefgh' };
    expect((await adminOnA.post('/clients', { ...credentials, ...WEB_APP_METADATA })).status).toBe(201);
    const { config, tokens } = await signedInTokens(b.issuer, credentials);
    const activeOnB = introspector(b.issuer);
    expect(await activeOnB(tokens.access_token)).toBe(true);

    expect((await adminOnA.delete('/clients/shared-app')).status).toBe(204);
    expect((await adminOnA.post('/clients', { ...credentials, ...WEB_APP_METADATA })).status).toBe(201);
    expect(await activeOnB(tokens.access_token)).toBe(false);
    await expect(client.fetchUserInfo(config, tokens.access_token, USERS.alice.sub)).rejects.toMatchObject({ status: 401 });
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
