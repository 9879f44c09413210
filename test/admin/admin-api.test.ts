import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/observability/logger.js';
import { ADMIN_CLIENTS, adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { authorizationCodeTokens } from '../support/flows.js';
import {
  ACCESS_TOKEN_TYPE, IVS_GRANT, ivsConfig, JWT_BEARER_GRANT, LICENSE_CLIENTS, LICENSE_GRANT, LICENSES, mint, ROLE, STAGES, VIDEO_PROJECT,
} from '../support/minters.js';
import { expectAnswersMatch, validatedDocument, type LoggedAnswer } from '../support/openapi.js';
import { PEOPLE, PEOPLE_APP, peopleAccounts } from '../support/people.js';
import { basicAuth, postForm } from '../support/relying-party.js';
import { newKeysDir, startStagepass, type RunningStagepass } from '../support/stagepass.js';

describe.each([['memory', false], ['Redis', true]] as const)('the Admin API on the %s store', (_store, redis) => {
  let server: RunningStagepass;
  const log: LoggedAnswer[] = [];
  const lines: Record<string, unknown>[] = [];
  let admin: ReturnType<typeof adminApi>;
  let reader: ReturnType<typeof adminApi>;
  let hostToken: string;

  const API_LICENSE = LICENSES.unconfigured;

  beforeAll(async () => {
    const keysDir = await newKeysDir();
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
    server = await startStagepass({
      redis,
      keysDir,
      logger,
      config: {
        clients: [...CLIENTS_WITH_ADMINS.filter(({ client_id }) => client_id !== PEOPLE_APP.client_id), PEOPLE_APP, LICENSE_CLIENTS.other],
        accounts: await peopleAccounts(),
        ivs: ivsConfig(keysDir),
        video: VIDEO_PROJECT,
        licenses: [{ arn: LICENSES.small, maxTokens: 10 }],
        groups: { hosts: { ivs_stage_arns: ['*'], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'], license_arns: ['*'] } },
      },
    });
    admin = adminApi(server.issuer, await adminToken(server.issuer), log);
    reader = adminApi(server.issuer, await adminToken(server.issuer, 'reader'), log);
    hostToken = (await authorizationCodeTokens(server.issuer, 'native', 'openid groups', PEOPLE.host)).tokens.access_token;
  });
  afterAll(() => server?.close());

  const asHost = () => ({ subject_token: hostToken, subject_token_type: ACCESS_TOKEN_TYPE });

  describe('access', () => {
    it('without a token: 401 invalid_token with WWW-Authenticate: Bearer, on every spelling of the path', async () => {
      for (const path of ['/admin/v1/groups', '/admin/v1/groups/', '/admin/V1/GROUPS', '/admin/v1/groups/hosts', '/admin/v1/bans/anyone']) {
        const response = await fetch(`${server.issuer}${path}`);
        expect(response.status, path).toBe(401);
        expect(response.headers.get('www-authenticate'), path).toMatch(/^Bearer /);
        expect((await response.json()).error, path).toBe('invalid_token');
      }
      const bad = await adminApi(server.issuer, 'not-a-token-of-this-server', log).get('/groups');
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect((await adminApi(server.issuer, undefined, log).put('/groups/x', {})).status).toBe(401);
    });

    it('a read-only token reads but may not change anything: 403 insufficient_scope', async () => {
      expect((await reader.get('/groups')).status).toBe(200);
      const refused = await reader.put('/groups/readers-group', {});
      expect(refused.status).toBe(403);
      expect(refused.body.error).toBe('insufficient_scope');
      expect(refused.headers.get('www-authenticate')).toContain('scope="stagepass:admin"');
      expect((await reader.get('/groups/readers-group')).status).toBe(404);
      // The admin client asking for the read scope alone gets a read-only token too.
      const readOnly = adminApi(server.issuer, await adminToken(server.issuer, 'admin', 'stagepass:admin:read'), log);
      expect((await readOnly.delete('/groups/hosts')).status).toBe(403);
    });

    it('only clients whose configuration lists the scope obtain it; other clients\' tokens are refused', async () => {
      const { client_id, client_secret } = ADMIN_CLIENTS.reader;
      const escalation = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', scope: 'stagepass:admin' }, basicAuth(client_id, client_secret));
      expect(escalation.status).toBe(400);
      expect(escalation.body.error).toBe('invalid_scope');
      const other = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials' }, basicAuth('service', 'service-secret-0123456789abcdef'));
      expect(other.status).toBe(200);
      expect((await adminApi(server.issuer, String(other.body.access_token), log).get('/groups')).status).toBe(403);
    });

    it('dynamic registration may not give itself an admin scope', async () => {
      for (const scope of ['stagepass:admin', 'openid stagepass:admin:read']) {
        const response = await fetch(`${server.issuer}/reg`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: [], response_types: [], grant_types: ['client_credentials'], scope }),
        });
        expect(response.status).toBe(400);
        const body = await response.json();
        expect(body.error).toBe('invalid_client_metadata');
        expect(body.error_description).toMatch(/scope stagepass:admin(:read)? can only be given in the server configuration/);
      }
    });

    it('the OpenAPI document needs no token and is a valid OpenAPI 3.1 document', async () => {
      const document = await validatedDocument(server.issuer);
      expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/groups', '/groups/{name}', '/licenses', '/licenses/{arn}', '/bans', '/bans/{person}']));
    });
  });

  describe('bad input', () => {
    it('is a 400 naming the field by its JSON path, and changes nothing', async () => {
      const cases: [string, unknown, RegExp][] = [
        ['/groups/g1', { ivs_capabilities: 'PUBLISH' }, /^ivs_capabilities must be a list/],
        ['/groups/g1', { video_roles: ['publisher', 'king'] }, /^video_roles\.1 /],
        ['/groups/g1', { ivs_stage_arns: ['*'], colour: ['red'] }, /^colour is not a known field/],
        ['/groups/g1', [], /must be a JSON object/],
        ['/bans/someone', { resources: [] }, /^resources /],
        ['/bans/someone', { resources: ['*'], until: 'next tuesday' }, /^until must be an ISO 8601/],
        ['/bans/someone', { resources: ['*'], reason: 7 }, /^reason must be a string/],
        ['/licenses/x', { maxTokens: 0 }, /^maxTokens /],
      ];
      for (const [path, body, message] of cases) {
        const response = await admin.put(path, body);
        expect(response.status, path).toBe(400);
        expect(response.body.error, path).toBe('invalid_request');
        expect(response.body.error_description, JSON.stringify(body)).toMatch(message);
      }
      expect((await admin.post('/licenses', { arn: 'not-an-arn', maxTokens: 1 })).body.error_description).toMatch(/^arn /);
      expect((await admin.get('/groups/g1')).status).toBe(404);
      expect((await admin.get('/bans/someone')).status).toBe(404);
    });

    it('a body that is not JSON, too large, or of another type; a bad name, cursor or limit; an unknown resource or method', async () => {
      expect((await admin.put('/groups/g1', '{"ivs_stage_arns": [')).body.error_description).toBe('the request body is not valid JSON');
      expect((await admin.put('/groups/g1', '{}', { 'content-type': 'text/plain' })).status).toBe(415);
      const huge = await admin.put('/groups/g1', { ivs_stage_arns: Array.from({ length: 5000 }, (_, i) => `arn:aws:ivs:us-west-2:123456789012:stage/S${i}`) });
      expect(huge.status).toBe(413);
      expect((await admin.put('/groups/-bad name', {})).body.error_description).toMatch(/^the group name must be/);
      for (const query of ['limit=0', 'limit=201', 'limit=ten', 'cursor=!!', 'colour=red', 'limit=1&limit=2']) {
        const response = await admin.get(`/groups?${query}`);
        expect(response.status, query).toBe(400);
        expect(response.body.error, query).toBe('invalid_request');
      }
      expect((await admin.get('/licenses/arn%3Aaws%3Alicense-manager%3A%3A1%3Alicense%3Al-none')).status).toBe(404);
      expect((await admin.delete('/bans/nobody-banned')).status).toBe(404);
      const wrongMethod = await admin.call('PATCH', '/groups/hosts', {});
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.body.error).toBe('invalid_request');
      expect((await admin.get('/nothing-here')).status).toBe(404);
    });
  });

  describe('whatever is sent', () => {
    /** Values of every JSON kind, and of the kinds that trip parsers: deep, long, odd characters, prototypes. */
    const ODD_VALUES: unknown[] = [
      null, true, 0, -1, 1e308, 1.5, '', ' ', 'x'.repeat(3000), '\u0000', '\ud800', '../../etc', '%00', '*', [], [null], [[[[['deep']]]]], {},
      { __proto__: { polluted: true } }, { constructor: { prototype: {} } }, ['PUBLISH', 7], { '': '' },
    ];

    it('every operation of the document answers below 500 to odd bodies, parameters and queries', async () => {
      const document = await validatedDocument(server.issuer);
      const spellings = ['x', '%2F', '%00', '..', '*', encodeURIComponent('a'.repeat(300)), '%E0%A4%A', 'corp%3Asomeone'];
      const calls: { method: string; path: string; body?: string }[] = [];
      for (const [template, operations] of Object.entries(document.paths)) {
        for (const method of Object.keys(operations).map((name) => name.toUpperCase())) {
          const withBody = method === 'PUT' || method === 'POST';
          for (const spelling of spellings) {
            calls.push({ method, path: `${template.replace(/\{[^}]+\}/g, spelling)}?limit=${spelling}`, ...(withBody ? { body: '{}' } : {}) });
          }
          if (withBody) for (const value of ODD_VALUES) calls.push({ method, path: template.replace(/\{[^}]+\}/g, 'x'), body: JSON.stringify(value) });
        }
      }
      // A few at a time, as concurrent operators would send them.
      for (let next = 0; next < calls.length; next += 16) {
        await Promise.all(calls.slice(next, next + 16).map(async ({ method, path, body }) => {
          const answer = await admin.call(method, path, body);
          expect(answer.status, `${method} ${path} ${body?.slice(0, 40)}`).toBeLessThan(500);
          expect(answer.status === 204 || answer.status < 300 || typeof answer.body?.error === 'string', `${method} ${path}`).toBe(true);
        }));
      }
      expect(calls.length).toBeGreaterThan(150);
      // Nothing was polluted, and the configured group is as it was.
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((await admin.get('/groups/hosts')).body.source).toBe('config');
    });
  });

  describe('licenses', () => {
    it('a license\'s entitlements and consumption are set, read and refused as written', async () => {
      const arn = `${LICENSES.unconfigured.slice(0, -4)}ent1`;
      const entitlements = [{ name: 'seats', unit: 'Count', maxCount: 3, maxCountPerPerson: 1, allowCheckIn: true }];
      const consumption = { provisional: { maxTimeToLiveInMinutes: 15 }, borrow: { allowEarlyCheckIn: true, maxTimeToLiveInMinutes: 120 } };
      const created = await admin.post('/licenses', { arn, maxTokens: 5, productSku: 'studio-pro', issuer: { name: 'Studio Inc.', keyFingerprint: 'studio-key' }, entitlements, consumption });
      expect(created.status).toBe(201);
      expect((await admin.get(`/licenses/${encodeURIComponent(arn)}`)).body).toEqual({
        arn, maxTokens: 5, productSku: 'studio-pro', issuer: { name: 'Studio Inc.', keyFingerprint: 'studio-key' }, entitlements, consumption, maxCheckoutsPerPersonPerMinute: 60, source: 'api',
      });
      const twice = await admin.post('/licenses', { arn: `${arn}x`, maxTokens: 5, entitlements: [...entitlements, ...entitlements] });
      expect(twice).toMatchObject({ status: 400, body: { error_description: expect.stringMatching(/^entitlements must not name an entitlement twice/) } });
      const badUnit = await admin.post('/licenses', { arn: `${arn}y`, maxTokens: 5, entitlements: [{ name: 'seats', unit: 'Seats', maxCount: 1 }] });
      expect(badUnit).toMatchObject({ status: 400, body: { error_description: expect.stringMatching(/^entitlements\.0\.unit /) } });
      expect((await admin.delete(`/licenses/${encodeURIComponent(arn)}`)).status).toBe(204);
    });

    it('a license added at runtime mints within its limit, and once deleted mints and exchanges no more', async () => {
      const encoded = encodeURIComponent(API_LICENSE);
      const created = await admin.post('/licenses', { arn: API_LICENSE, maxTokens: 1 });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ arn: API_LICENSE, maxTokens: 1, entitlements: [], consumption: { provisional: { maxTimeToLiveInMinutes: 60 } }, maxCheckoutsPerPersonPerMinute: 60, source: 'api' });
      expect((await admin.post('/licenses', { arn: API_LICENSE, maxTokens: 5 })).status).toBe(409);
      expect((await admin.post('/licenses', { arn: LICENSES.small, maxTokens: 5 })).status).toBe(409);

      const client = LICENSE_CLIENTS.other;
      const first = await mint(server.issuer, client, LICENSE_GRANT, { license_arn: API_LICENSE, client_token: 'install-1', role_arns: ROLE });
      expect(first.status).toBe(200);
      const second = await mint(server.issuer, client, LICENSE_GRANT, { license_arn: API_LICENSE, client_token: 'install-2', role_arns: ROLE });
      expect(second.status).toBe(403);
      expect(second.body.error).toBe('resource_limit_exceeded');

      const read = await admin.get(`/licenses/${encoded}`);
      const raised = await admin.put(`/licenses/${encoded}`, { maxTokens: 2 }, { 'if-match': read.headers.get('etag')! });
      expect(raised.status).toBe(200);
      expect((await admin.put(`/licenses/${encoded}`, { maxTokens: 3 }, { 'if-match': read.headers.get('etag')! })).status).toBe(412);
      const third = await mint(server.issuer, client, LICENSE_GRANT, { license_arn: API_LICENSE, client_token: 'install-3', role_arns: ROLE });
      expect(third.status).toBe(200);

      const list = await admin.get('/licenses?limit=1');
      expect(list.body.items).toEqual([{ arn: LICENSES.small, maxTokens: 10, entitlements: [], consumption: { provisional: { maxTimeToLiveInMinutes: 60 } }, maxCheckoutsPerPersonPerMinute: 60, source: 'config' }]);
      expect((await admin.get(`/licenses?cursor=${list.body.next_cursor}`)).body.items.map((l: { arn: string }) => l.arn)).toEqual([API_LICENSE]);
      expect((await admin.delete(`/licenses/${encodeURIComponent(LICENSES.small)}`)).status).toBe(409);

      expect((await admin.delete(`/licenses/${encoded}`)).status).toBe(204);
      const exchange = await mint(server.issuer, client, JWT_BEARER_GRANT, { assertion: String(first.body.access_token) });
      expect(exchange.status).toBe(400);
      expect(exchange.body.error_description).toBe('the license token was deleted or has expired');
      const after = await mint(server.issuer, client, LICENSE_GRANT, { license_arn: API_LICENSE, client_token: 'install-4', role_arns: ROLE });
      expect(after.body.error).toBe('invalid_target');
    });
  });

  describe('bans', () => {
    const ivs = () => mint(server.issuer, PEOPLE_APP, IVS_GRANT, { stage_arn: STAGES.main.arn, ...asHost() });

    it('a ban refuses that person the resource, names itself, is audited, and is lifted again', async () => {
      expect((await ivs()).status).toBe(200);
      const set = await admin.put(`/bans/${PEOPLE.host.sub}`, { resources: [STAGES.main.arn], until: null, reason: 'spamming the chat' });
      expect(set.status).toBe(201);
      expect(set.body).toMatchObject({ person: PEOPLE.host.sub, holds: true, until: null });
      const refused = await ivs();
      expect(refused.status).toBe(403);
      expect(refused.body.error).toBe('access_denied');
      expect(refused.body.error_description).toBe(`this person is banned from ${STAGES.main.arn} until the ban is lifted: spamming the chat`);
      expect(lines.some((line) => line.audit === 'denied' && line.userId === PEOPLE.host.sub && String(line.description).includes('banned'))).toBe(true);
      // Other resources are not banned.
      expect((await mint(server.issuer, PEOPLE_APP, LICENSE_GRANT, { license_arn: LICENSES.small, client_token: 'ban-other', role_arns: ROLE, ...asHost() })).status).toBe(200);

      const read = await admin.get(`/bans/${PEOPLE.host.sub}`);
      expect((await admin.delete(`/bans/${PEOPLE.host.sub}`, { 'if-match': '"stale"' })).status).toBe(412);
      expect((await admin.delete(`/bans/${PEOPLE.host.sub}`, { 'if-match': read.headers.get('etag')! })).status).toBe(204);
      const minted = await ivs();
      expect(minted.status).toBe(200);
      expect(decodeJwt(String(minted.body.access_token)).user_id).toBe(PEOPLE.host.sub);
    });

    it('any person who can exist can be banned, whatever their subject holds; what no subject can be is refused', async () => {
      for (const person of ['Zoë Müller', 'corp:' + 'ñ'.repeat(250) + ' 😀😀', 'ext:' + 'x'.repeat(255)]) {
        const set = await admin.put(`/bans/${encodeURIComponent(person)}`, { resources: ['*'] });
        expect(set.status, person).toBe(201);
        expect(set.body.person).toBe(person);
        expect((await admin.get(`/bans/${encodeURIComponent(person)}`)).body.person).toBe(person);
        expect((await admin.delete(`/bans/${encodeURIComponent(person)}`)).status).toBe(204);
      }
      for (const person of ['ext:' + 'x'.repeat(256), 'rings a \u0007 bell']) {
        const refused = await admin.put(`/bans/${encodeURIComponent(person)}`, { resources: ['*'] });
        expect(refused.status, person).toBe(400);
        expect(refused.body.error_description).toMatch(/^the person must be a subject, or <id>:<subject>, with 1 to 255 characters/);
      }
    });

    it('a ban on "*" refuses everything; one whose time has passed refuses nothing', async () => {
      await admin.put(`/bans/${PEOPLE.host.sub}`, { resources: ['*'] });
      expect((await mint(server.issuer, PEOPLE_APP, LICENSE_GRANT, { license_arn: LICENSES.small, client_token: 'ban-all', role_arns: ROLE, ...asHost() })).status).toBe(403);
      const past = await admin.put(`/bans/${PEOPLE.host.sub}`, { resources: ['*'], until: new Date(server.clock.now() - 1000).toISOString() });
      expect(past.status).toBe(200);
      expect(past.body.holds).toBe(false);
      expect((await ivs()).status).toBe(200);
      const page = await admin.get('/bans');
      expect(page.body).toMatchObject({ items: [{ person: PEOPLE.host.sub, holds: false }], next_cursor: null });
      await admin.delete(`/bans/${PEOPLE.host.sub}`);
    });
  });

  describe('what GET answers, PUT takes back', () => {
    /** Reads the item, changes one field of its answer, and sends the whole answer back with its ETag. */
    const editInPlace = async (path: string, edit: (answer: Record<string, unknown>) => void) => {
      const read = await admin.get(path);
      expect(read.status, path).toBe(200);
      const body = structuredClone(read.body) as Record<string, unknown>;
      edit(body);
      return admin.put(path, body, { 'if-match': read.headers.get('etag')! });
    };

    it('a group, a license, a client, an account and a ban read, edited and sent back as read are taken whole', async () => {
      expect((await admin.put('/groups/editors', { video_roles: ['subscriber'] })).status).toBe(201);
      const group = await editInPlace('/groups/editors', (answer) => { (answer.rights as Record<string, unknown>).video_roles = ['publisher']; });
      expect(group.status).toBe(200);
      expect(group.body).toEqual({ name: 'editors', source: 'api', rights: { video_roles: ['publisher'] } });

      const arn = LICENSES.large;
      expect((await admin.post('/licenses', { arn, maxTokens: 1 })).status).toBe(201);
      const license = await editInPlace(`/licenses/${encodeURIComponent(arn)}`, (answer) => { answer.maxTokens = 7; });
      expect(license.body).toEqual({ arn, maxTokens: 7, entitlements: [], consumption: { provisional: { maxTimeToLiveInMinutes: 60 } }, maxCheckoutsPerPersonPerMinute: 60, source: 'api' });

      expect((await admin.post('/clients', { client_id: 'round-trip', grant_types: ['client_credentials'], response_types: [], redirect_uris: [] })).status).toBe(201);
      const client = await editInPlace('/clients/round-trip', (answer) => { answer.client_name = 'Round trip'; });
      expect(client.status).toBe(200);
      expect(client.body).toMatchObject({ client_id: 'round-trip', source: 'api', client_name: 'Round trip' });

      const made = await admin.post('/accounts', { username: 'round-trip', password: 'long enough password' });
      const account = await editInPlace(`/accounts/${encodeURIComponent(made.body.sub)}`, (answer) => { answer.groups = ['hosts']; });
      expect(account.status).toBe(200);
      expect(account.body).toMatchObject({ sub: made.body.sub, source: 'api', username: 'round-trip', groups: ['hosts'] });

      expect((await admin.put('/bans/someone', { resources: ['*'] })).status).toBe(201);
      const ban = await editInPlace('/bans/someone', (answer) => { answer.reason = 'sent back'; });
      expect(ban.status).toBe(200);
      expect(ban.body).toMatchObject({ person: 'someone', resources: ['*'], reason: 'sent back', holds: true });

      for (const path of ['/groups/editors', `/licenses/${encodeURIComponent(arn)}`, '/clients/round-trip', `/accounts/${encodeURIComponent(made.body.sub)}`, '/bans/someone']) {
        expect((await admin.delete(path)).status, path).toBe(204);
      }
    });

    it('a read-only field sent back changed is refused, naming it', async () => {
      expect((await admin.put('/groups/renamed', { video_roles: ['subscriber'] })).status).toBe(201);
      const moved = await editInPlace('/groups/renamed', (answer) => { answer.source = 'config'; });
      expect(moved.status).toBe(400);
      expect(moved.body.error_description).toBe('source is read-only: it is "api" here');
      const renamed = await editInPlace('/groups/renamed', (answer) => { answer.name = 'another'; });
      expect(renamed.body.error_description).toBe('name must be the path\'s, renamed');
      const both = await admin.put('/groups/renamed', { rights: { video_roles: ['publisher'] }, video_roles: ['subscriber'] });
      expect(both.body.error_description).toMatch(/^rights must not be given beside video_roles/);
      expect((await admin.delete('/groups/renamed')).status).toBe(204);
    });
  });

  describe('audit and document', () => {
    it('every change is one admin_change event naming the client, resource, id and action, never the body', async () => {
      await admin.put('/groups/audited', { video_roles: ['subscriber'] });
      await admin.delete('/groups/audited');
      const events = lines.filter((line) => line.audit === 'admin_change' && line.id === 'audited');
      expect(events.map(({ clientId, resource, action }) => ({ clientId, resource, action }))).toEqual([
        { clientId: ADMIN_CLIENTS.admin.client_id, resource: 'groups', action: 'create' },
        { clientId: ADMIN_CLIENTS.admin.client_id, resource: 'groups', action: 'delete' },
      ]);
      expect(JSON.stringify(events)).not.toContain('subscriber');
    });

    it('every answer the tests received matches the OpenAPI document', async () => {
      expectAnswersMatch(await validatedDocument(server.issuer), log);
    });
  });
});
