import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { startStagepass, type RunningStagepass } from '../support/stagepass.js';

let server: RunningStagepass;
let admin: ReturnType<typeof adminApi>;

beforeAll(async () => {
  server = await startStagepass({ config: { clients: CLIENTS_WITH_ADMINS, groups: { staff: { video_roles: ['subscriber'] } } } });
  admin = adminApi(server.issuer, await adminToken(server.issuer));
});
afterAll(() => server.close());

describe('groups', () => {
  it('creates, reads, replaces and deletes a group', async () => {
    const created = await admin.put('/groups/hosts', { ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'], ivs_stage_arns: ['*'] });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ name: 'hosts', source: 'api', rights: { ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'], ivs_stage_arns: ['*'] } });
    const read = await admin.get('/groups/hosts');
    expect(read.headers.get('etag')).toBe(created.headers.get('etag'));
    const replaced = await admin.put('/groups/hosts', { ivs_capabilities: ['SUBSCRIBE'] }, { 'if-match': read.headers.get('etag')! });
    expect(replaced.status).toBe(200);
    const stale = await admin.put('/groups/hosts', { ivs_capabilities: [] }, { 'if-match': read.headers.get('etag')! });
    expect(stale.status).toBe(412);
    const list = await admin.get('/groups');
    expect(list.body.items.map((group: { name: string; source: string }) => `${group.name}:${group.source}`)).toEqual(['staff:config', 'hosts:api']);
    expect((await admin.delete('/groups/hosts')).status).toBe(204);
    expect((await admin.get('/groups/hosts')).status).toBe(404);
    expect((await admin.put('/groups/staff', {})).status).toBe(409);
    expect((await admin.put('/groups/hosts', { ivs_capabilities: ['FLY'] })).body.error_description).toMatch(/^ivs_capabilities\.0 /);
  });

  it('a group\'s rights may require a strong, recent sign-in: kept beside the rights, sent back as read, and checked', async () => {
    const requires = { acr: 'urn:stagepass:acr:mfa', maxAgeSeconds: 900 };
    const created = await admin.put('/groups/publishers', { ivs_capabilities: ['PUBLISH'], requires });
    expect(created.body).toEqual({ name: 'publishers', source: 'api', rights: { ivs_capabilities: ['PUBLISH'] }, requires });
    const read = await admin.get('/groups/publishers');
    expect((await admin.put('/groups/publishers', read.body, { 'if-match': read.headers.get('etag')! })).status).toBe(200);
    const refused = await admin.put('/groups/publishers', { ivs_capabilities: ['PUBLISH'], requires: { acr: 'urn:other:acr:strong' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error_description).toMatch(/^requires\.acr /);
  });
});
