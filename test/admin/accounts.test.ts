import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { UpstreamAccounts } from '../../src/accounts/upstream-accounts.js';
import { createLogger } from '../../src/observability/logger.js';
import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { authorizationCodeTokens, passwordTaken } from '../support/flows.js';
import { expectAnswersMatch, validatedDocument, type LoggedAnswer } from '../support/openapi.js';
import { client } from '../support/relying-party.js';
import { CLIENTS, startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';

const logLines: Record<string, unknown>[] = [];
const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) } });

let server: RunningStagepass;
const answers: LoggedAnswer[] = [];
let admin: ReturnType<typeof adminApi>;
let upstreamPeople: UpstreamAccounts;

const CAROL = {
  sub: 'corp:carol-0001', provider: 'corp', claims: { email: 'carol@corp.example', name: 'Carol Upstream' }, groups: ['crew'], lastSignInAt: 1_800_000_000,
};

beforeAll(async () => {
  server = await startStagepass({
    logger,
    config: {
      clients: CLIENTS_WITH_ADMINS,
      // Never reached: the tests here find upstream people as their sign-in left them in the store.
      upstreamProviders: [{ id: 'corp', name: 'Corp', issuer: 'http://127.0.0.1:9', clientId: 'stagepass', clientSecret: 'upstream-secret-0123456789' }],
      trustedIssuers: [{ id: 'ext', issuer: 'https://issuer.example', jwksUri: 'https://issuer.example/jwks', audience: 'stagepass', clients: [CLIENTS.confidential.client_id] }],
      groups: { crew: { video_roles: ['subscriber'] } },
    },
  });
  admin = adminApi(server.issuer, await adminToken(server.issuer), answers);
  upstreamPeople = new UpstreamAccounts(server.stagepass.store, ['corp']);
  await upstreamPeople.save(CAROL);
});
afterAll(() => server.close());

let counter = 0;
/** A fresh username and password for each test, so tests share the server without sharing accounts. */
function newPerson(prefix = 'person') {
  counter += 1;
  return { username: `${prefix}-${counter}`, password: `the password of ${prefix} ${counter}` };
}

describe('accounts made through the Admin API', () => {
  it('a created account gets a generated subject, signs in on the pages, and its password is never answered', async () => {
    const person = newPerson();
    const created = await admin.post('/accounts', { ...person, claims: { name: 'Pat Example' }, groups: ['crew'] });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      sub: expect.stringMatching(/^[0-9a-f-]{36}$/), source: 'api', username: person.username, claims: { name: 'Pat Example' }, groups: ['crew'], disabled: false,
    });
    expect(created.headers.get('etag')).toMatch(/^"[\w-]+"$/);
    expect(created.headers.get('location')).toBe(`/admin/v1/accounts/${created.body.sub}`);
    const read = await admin.get(`/accounts/${created.body.sub}`);
    expect(read.body).toEqual(created.body);
    expect(read.headers.get('etag')).toBe(created.headers.get('etag'));

    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential', 'openid profile groups', person);
    expect(tokens.claims()).toMatchObject({ sub: created.body.sub, name: 'Pat Example', preferred_username: person.username, groups: ['crew'] });
    expect(JSON.stringify(logLines)).not.toContain(person.password);
    expect(JSON.stringify(logLines)).not.toContain('scrypt$');
  });

  it('takes a subject when given one, and refuses one taken, a configured one, or one of an upstream provider or trusted issuer', async () => {
    const created = await admin.post('/accounts', { sub: 'member-0001', ...newPerson() });
    expect(created.status).toBe(201);
    expect(created.body.sub).toBe('member-0001');
    const again = await admin.post('/accounts', { sub: 'member-0001', ...newPerson() });
    expect(again.status).toBe(409);
    expect(again.body.error_description).toBe('account member-0001 exists already');
    expect((await admin.post('/accounts', { sub: USERS.alice.sub, ...newPerson() })).status).toBe(409);
    const awkward = await admin.post('/accounts', { sub: 'team/one?x=1#2%', ...newPerson() });
    expect(awkward.headers.get('location')).toBe('/admin/v1/accounts/team%2Fone%3Fx%3D1%232%25');
    expect((await admin.get('/accounts/team%2Fone%3Fx%3D1%232%25')).body.sub).toBe('team/one?x=1#2%');
    const upstream = await admin.post('/accounts', { sub: 'corp:someone', ...newPerson() });
    expect(upstream.status).toBe(400);
    expect(upstream.body.error_description).toBe('sub must not start with "corp:", the subjects of upstream provider corp');
    expect((await admin.post('/accounts', { sub: 'ext:someone', ...newPerson() })).body.error_description).toContain('trusted issuer ext');
  });

  it('a subject with spaces and letters beyond ASCII, up to 255 characters, is an account\'s like any other', async () => {
    for (const sub of ['Zoë Müller', `${'ñ'.repeat(250)} 😀😀`]) {
      const created = await admin.post('/accounts', { sub, ...newPerson() });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`/admin/v1/accounts/${encodeURIComponent(sub)}`);
      expect((await admin.get(`/accounts/${encodeURIComponent(sub)}`)).body.sub).toBe(sub);
      expect((await admin.delete(`/accounts/${encodeURIComponent(sub)}`)).status).toBe(204);
    }
  });

  it('a username is one account\'s: a second account with it, or with a configured account\'s, is refused with 409', async () => {
    const person = newPerson();
    expect((await admin.post('/accounts', person)).status).toBe(201);
    const twice = await admin.post('/accounts', { ...newPerson(), username: person.username });
    expect(twice.status).toBe(409);
    expect(twice.body).toEqual({ error: 'conflict', error_description: `username ${person.username} is taken by another account` });
    const configured = await admin.post('/accounts', { ...newPerson(), username: USERS.alice.username });
    expect(configured.status).toBe(409);
    expect(configured.body.error_description).toContain('configuration file');
  });

  it('of two creations of one username at once, exactly one succeeds', async () => {
    const username = newPerson().username;
    const answers = await Promise.all(Array.from({ length: 6 }, () => admin.post('/accounts', { ...newPerson(), username })));
    expect(answers.map(({ status }) => status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
  });

  it('a username held by a creation that failed midway is taken once that creation is a minute old, not before', async () => {
    const claimOf = (sub: string, at: number) => JSON.stringify({ sub, at });
    const [abandoned, inFlight] = [newPerson(), newPerson()];
    // What an instance that claimed the username and then failed to write the account leaves behind.
    await server.stagepass.store.setValue(`account-username:${abandoned.username}`, claimOf('never-written', Date.now() - 61_000), 3600);
    await server.stagepass.store.setValue(`account-username:${inFlight.username}`, claimOf('being-written', Date.now()), 3600);
    expect((await admin.post('/accounts', abandoned)).status).toBe(201);
    expect(await passwordTaken(server.issuer, abandoned.username, abandoned.password)).toBe(true);
    expect((await admin.post('/accounts', inFlight)).status).toBe(409);
  });

  it('a creation that failed midway is a minute old by the server\'s clock, whatever the machine\'s says', async () => {
    const person = newPerson();
    const claim = JSON.stringify({ sub: 'never-written', at: server.clock.now() });
    await server.stagepass.store.setValue(`account-username:${person.username}`, claim, 3600);
    expect((await admin.post('/accounts', person)).status).toBe(409);
    server.clock.advance(61_000);
    expect((await admin.post('/accounts', person)).status).toBe(201);
    expect(await passwordTaken(server.issuer, person.username, person.password)).toBe(true);
  });

  it('a PUT without a password keeps the current one; with one, the new one signs in and the old one no longer does', async () => {
    const person = newPerson();
    const { body: { sub } } = await admin.post('/accounts', person);
    const renamed = { ...newPerson(), password: undefined };
    const kept = await admin.put(`/accounts/${sub}`, { username: renamed.username, claims: { email: 'p@example.test' } });
    expect(kept.status).toBe(200);
    expect(kept.body).toEqual({ sub, source: 'api', username: renamed.username, claims: { email: 'p@example.test' }, groups: [], disabled: false });
    expect(await passwordTaken(server.issuer, renamed.username, person.password)).toBe(true);
    expect(await passwordTaken(server.issuer, person.username, person.password)).toBe(false);
    // The old username is free again.
    expect((await admin.post('/accounts', { ...newPerson(), username: person.username })).status).toBe(201);

    const changed = await admin.put(`/accounts/${sub}`, { username: renamed.username, password: 'a new password for this one' });
    expect(changed.status).toBe(200);
    expect(changed.body).not.toHaveProperty('password');
    expect(await passwordTaken(server.issuer, renamed.username, 'a new password for this one')).toBe(true);
    expect(await passwordTaken(server.issuer, renamed.username, person.password)).toBe(false);
  });

  it('PUT and DELETE honour If-Match: a stale ETag answers 412 and changes nothing', async () => {
    const created = await admin.post('/accounts', newPerson());
    const path = `/accounts/${created.body.sub}`;
    const first = created.headers.get('etag')!;
    const updated = await admin.put(path, { username: created.body.username, groups: ['crew'] }, { 'if-match': first });
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).not.toBe(first);
    const stale = await admin.put(path, { username: created.body.username }, { 'if-match': first });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toBe('precondition_failed');
    expect((await admin.delete(path, { 'if-match': first })).status).toBe(412);
    expect((await admin.delete(path, { 'if-match': `W/${updated.headers.get('etag')}` })).status).toBe(412);
    expect((await admin.get(path)).body.groups).toEqual(['crew']);
    expect((await admin.delete(path, { 'if-match': updated.headers.get('etag')! })).status).toBe(204);
  });

  it('a deleted account is gone: 404 to read, change or delete again, its tokens are dead and it cannot sign in', async () => {
    const person = newPerson();
    const { body: { sub } } = await admin.post('/accounts', person);
    const { config, tokens } = await authorizationCodeTokens(server.issuer, 'confidential', 'openid offline_access', person);
    expect((await admin.delete(`/accounts/${sub}`)).status).toBe(204);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await admin.get(`/accounts/${sub}`)).body).toEqual({ error: 'not_found', error_description: `account ${sub} does not exist` });
    expect((await admin.put(`/accounts/${sub}`, { username: person.username })).status).toBe(404);
    expect((await admin.delete(`/accounts/${sub}`)).status).toBe(404);
    expect(await passwordTaken(server.issuer, person.username, person.password)).toBe(false);
  });

  it('a disabled account cannot sign in, its access and refresh tokens are dead, and enabled again it signs in', async () => {
    const person = newPerson();
    const { body: { sub, username } } = await admin.post('/accounts', person);
    const { config, tokens } = await authorizationCodeTokens(server.issuer, 'confidential', 'openid offline_access', person);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
    const disabled = await admin.put(`/accounts/${sub}`, { username, disabled: true });
    expect(disabled.body.disabled).toBe(true);
    expect(await passwordTaken(server.issuer, person.username, person.password)).toBe(false);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.fetchUserInfo(config, tokens.access_token, sub)).rejects.toThrow();
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    expect((await client.tokenIntrospection(config, tokens.refresh_token!)).active).toBe(false);
    await admin.put(`/accounts/${sub}`, { username, disabled: false });
    expect(await passwordTaken(server.issuer, person.username, person.password)).toBe(true);
  });
});

describe('accounts of the configuration file and upstream people', () => {
  it('configured accounts are listed as config and answer 409 to a change or a deletion', async () => {
    const read = await admin.get(`/accounts/${USERS.alice.sub}`);
    expect(read.body).toEqual({ sub: USERS.alice.sub, source: 'config', username: 'alice', claims: USERS.alice.claims, groups: [], disabled: false });
    expect(read.headers.get('etag')).toMatch(/^"/);
    const changed = await admin.put(`/accounts/${USERS.alice.sub}`, { username: 'alice', disabled: true });
    expect(changed.status).toBe(409);
    expect(changed.body.error_description).toBe(`account ${USERS.alice.sub} is defined in the configuration file and can only be changed there`);
    expect((await admin.delete(`/accounts/${USERS.alice.sub}`)).status).toBe(409);
    expect(await passwordTaken(server.issuer, USERS.alice.username, USERS.alice.password)).toBe(true);
  });

  it('upstream people are listed as upstream:<id>, can be disabled and enabled, not given claims or groups, and deleted', async () => {
    const path = `/accounts/${encodeURIComponent(CAROL.sub)}`;
    const read = await admin.get(path);
    expect(read.body).toEqual({ sub: CAROL.sub, source: 'upstream:corp', username: 'carol@corp.example', claims: CAROL.claims, groups: ['crew'], disabled: false });
    const claims = await admin.put(path, { claims: { name: 'Someone Else' } });
    expect(claims.status).toBe(409);
    expect(claims.body.error_description).toBe(`claims of ${CAROL.sub} comes from upstream provider corp; only disabled is set here`);
    const disabled = await admin.put(path, { disabled: true }, { 'if-match': read.headers.get('etag')! });
    expect(disabled.status).toBe(200);
    expect(disabled.body.disabled).toBe(true);
    // Signing in again through the provider is refused while disabled, and leaves the record as it was.
    expect(await upstreamPeople.save({ ...CAROL, groups: [] })).toBe(false);
    expect((await admin.get(path)).body).toMatchObject({ groups: ['crew'], disabled: true });
    expect((await admin.put(path, { disabled: false })).body.disabled).toBe(false);
    expect(await upstreamPeople.save(CAROL)).toBe(true);
    expect((await admin.delete(path)).status).toBe(204);
    expect((await admin.get(path)).status).toBe(404);
    await upstreamPeople.save(CAROL);
  });
});

describe('listing accounts', () => {
  it('pages through the configured accounts, those made here, then upstream people, each once, with limit and cursor', async () => {
    for (let i = 0; i < 3; i += 1) await admin.post('/accounts', newPerson('listed'));
    const all = await admin.get('/accounts?limit=200');
    expect(all.body.next_cursor).toBeNull();
    const sources: string[] = all.body.items.map(({ source }: { source: string }) => source);
    expect(sources[0]).toBe('config');
    expect(sources.at(-1)).toBe('upstream:corp');
    expect(sources.filter((source) => source === 'api').length).toBeGreaterThanOrEqual(3);
    expect(sources).toEqual([...sources].sort((a, b) => ['config', 'api', 'upstream:corp'].indexOf(a) - ['config', 'api', 'upstream:corp'].indexOf(b)));

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await admin.get(`/accounts?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.body.items.map(({ sub }: { sub: string }) => sub));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(paged).toEqual(all.body.items.map(({ sub }: { sub: string }) => sub));
    expect(new Set(paged).size).toBe(paged.length);
  });

  it('refuses a limit out of range and a cursor it did not give', async () => {
    expect((await admin.get('/accounts?limit=0')).body.error_description).toBe('query parameter limit must be a whole number from 1 to 200');
    expect((await admin.get('/accounts?cursor=bm9wZQ')).body).toEqual({ error: 'invalid_request', error_description: 'cursor is not one this API gave' });
  });
});

describe('bad input', () => {
  it.each([
    [{ password: 'long enough password' }, 'username is required'],
    [{ username: 'x' }, 'password is required'],
    [{ username: 'x', password: 'short' }, 'password must be at least 8 characters'],
    [{ username: ' x', password: 'long enough password' }, 'username must not begin or end with a space'],
    [{ username: 'x\u0007', password: 'long enough password' }, 'username must not contain control characters'],
    [{ username: 'x', password: 'long enough password', groups: ['crew', 'no spaces allowed'] }, 'groups.1 must be'],
    [{ username: 'x', password: 'long enough password', groups: ['*'] }, 'groups.0 is every person\'s group already'],
    [{ username: 'x', password: 'long enough password', claims: ['name'] }, 'claims must be an object'],
    [{ username: 'x', password: 'long enough password', disabled: 'yes' }, 'disabled must be true or false'],
    [{ username: 'x', password: 'long enough password', sub: 'rings a \u0007 bell' }, 'sub must not contain control characters'],
    [{ username: 'x', password: 'long enough password', sub: 'x'.repeat(256) }, 'sub must be 1 to 255 characters'],
    [{ username: 'x', password: 'long enough password', sub: 'half \ud800 a pair' }, 'sub must be well-formed Unicode'],
    [{ username: 'x', password: 'long enough password', role: 'admin' }, 'role is not a known field'],
  ])('POST %j is refused: %s', async (body, message) => {
    const answer = await admin.post('/accounts', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
    expect(answer.body.error_description).toContain(message);
  });

  it('a PUT names its bad field too, and a sub other than the path\'s', async () => {
    const { body: { sub, username } } = await admin.post('/accounts', newPerson());
    expect((await admin.put(`/accounts/${sub}`, { claims: {} })).body.error_description).toBe('username is required');
    expect((await admin.put(`/accounts/${sub}`, { username, groups: [7] })).body.error_description).toBe('groups.0 must be a string');
    expect((await admin.put(`/accounts/${sub}`, { username, sub: 'another' })).body.error_description).toBe(`sub must be the path's, ${sub}`);
    expect((await admin.put(`/accounts/${sub}`, 'not json')).body.error_description).toBe('the request body is not valid JSON');
  });

  it('a body nesting deeper than 32 levels answers 400 naming the field, however deep; 32 levels are kept', async () => {
    const withClaimNested = (lists: number) =>
      JSON.stringify({ ...newPerson(), claims: { x: 'here' } }).replace('"here"', `${'['.repeat(lists)}"core"${']'.repeat(lists)}`);
    // The body, claims and 30 lists: 32 levels.
    const kept = await admin.post('/accounts', withClaimNested(30));
    expect(kept.status).toBe(201);
    expect(JSON.stringify(kept.body.claims.x)).toContain('[[["core"]]]');
    for (const lists of [20_000, 31]) {
      const answer = await admin.post('/accounts', withClaimNested(lists));
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: 'invalid_request', error_description: 'the request body nests deeper than 32 levels (in claims)' });
    }
  });

  it('a body over limits.maxBodyBytes answers 413', async () => {
    const answer = await admin.post('/accounts', { ...newPerson(), claims: { note: 'x'.repeat(70 * 1024) } });
    expect(answer.status).toBe(413);
    expect(answer.body.error).toBe('invalid_request');
  });

  it('a token with only the read scope lists accounts but cannot create one', async () => {
    const reader = adminApi(server.issuer, await adminToken(server.issuer, 'reader'), answers);
    expect((await reader.get('/accounts')).status).toBe(200);
    expect((await reader.post('/accounts', newPerson())).status).toBe(403);
  });
});

describe('audit', () => {
  it('each change is one admin_change event, without the password', async () => {
    const person = newPerson('audited');
    const { body: { sub } } = await admin.post('/accounts', person);
    await admin.put(`/accounts/${sub}`, { username: person.username, password: 'another password for it' });
    await admin.delete(`/accounts/${sub}`);
    const events = logLines.filter((line) => line.audit === 'admin_change' && line.id === sub);
    expect(events.map(({ action, resource, clientId }) => `${resource} ${action} by ${clientId}`)).toEqual([
      'accounts create by admin-cli', 'accounts update by admin-cli', 'accounts delete by admin-cli',
    ]);
    const logged = JSON.stringify(logLines);
    expect(logged).not.toContain(person.password);
    expect(logged).not.toContain('another password for it');
  });
});

describe('the OpenAPI document', () => {
  it('describes the accounts calls, and every answer above matches it', async () => {
    const document = await validatedDocument(server.issuer);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/accounts', '/accounts/{sub}']));
    expectAnswersMatch(document, answers);
  });
});
