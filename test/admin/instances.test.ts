import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminApi, adminToken, CLIENTS_WITH_ADMINS, seenWithinPropagation } from '../support/admin.js';
import { authorizationCodeTokens } from '../support/flows.js';
import {
  ACCESS_TOKEN_TYPE, IVS_GRANT, ivsConfig, JWT_BEARER_GRANT, LICENSE_CLIENTS, LICENSE_GRANT, LICENSES, mint, ROLE, STAGES, VIDEO_GRANT, VIDEO_PROJECT,
} from '../support/minters.js';
import { PEOPLE, PEOPLE_APP, peopleAccounts, VIDEO_SESSION } from '../support/people.js';
import { client } from '../support/relying-party.js';
import { newKeysDir, startStagepass, uniqueRedisPrefix, type RunningStagepass } from '../support/stagepass.js';

let a: RunningStagepass;
let b: RunningStagepass;
let adminOnA: ReturnType<typeof adminApi>;
let viewerToken: string;

beforeAll(async () => {
  const keysDir = await newKeysDir();
  const redis = { keyPrefix: uniqueRedisPrefix() };
  const config = {
    clients: [...CLIENTS_WITH_ADMINS.filter(({ client_id }) => client_id !== PEOPLE_APP.client_id), PEOPLE_APP, LICENSE_CLIENTS.other],
    accounts: await peopleAccounts(),
    ivs: ivsConfig(keysDir),
    video: VIDEO_PROJECT,
  };
  a = await startStagepass({ redis, keysDir, config });
  b = await startStagepass({ redis, keysDir, config });
  adminOnA = adminApi(a.issuer, await adminToken(a.issuer));
  viewerToken = (await authorizationCodeTokens(b.issuer, 'native', 'openid groups', PEOPLE.viewer)).tokens.access_token;
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const asViewer = () => ({ subject_token: viewerToken, subject_token_type: ACCESS_TOKEN_TYPE });
const videoOnB = () => mint(b.issuer, PEOPLE_APP, VIDEO_GRANT, { session_id: VIDEO_SESSION, ...asViewer() });
const ivsOnB = (capabilities: string) => mint(b.issuer, PEOPLE_APP, IVS_GRANT, { stage_arn: STAGES.main.arn, capabilities, ...asViewer() });

describe('changes made on one instance apply on the other within a second', () => {
  it('a group made on A gives its rights on B, and once deleted takes them away', async () => {
    // Without any group, a person may mint what the client may.
    expect((await ivsOnB('PUBLISH')).status).toBe(200);
    expect((await adminOnA.put('/groups/*', { ivs_stage_arns: [STAGES.main.arn], ivs_capabilities: ['SUBSCRIBE'] })).status).toBe(201);
    const refused = await seenWithinPropagation(() => ivsOnB('PUBLISH'), ({ status }) => status === 403);
    expect(refused.status).toBe(403);
    expect(refused.body.error_description).toContain('this person');
    expect((await ivsOnB('SUBSCRIBE')).status).toBe(200);

    expect((await adminOnA.put('/groups/*', { ivs_stage_arns: [STAGES.main.arn], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'] })).status).toBe(200);
    expect((await seenWithinPropagation(() => ivsOnB('PUBLISH'), ({ status }) => status === 200)).status).toBe(200);
    // The group gives no video role; deleted, no group is left and the client's rights decide again.
    expect((await videoOnB()).status).toBe(403);
    expect((await adminOnA.delete('/groups/*')).status).toBe(204);
    expect((await seenWithinPropagation(videoOnB, ({ status }) => status === 200)).status).toBe(200);
  });

  it('a ban set on A refuses that person on B, and lifted on A lets them mint on B again', async () => {
    const video = videoOnB;
    expect((await video()).status).toBe(200);
    expect((await adminOnA.put(`/bans/${PEOPLE.viewer.sub}`, { resources: [VIDEO_SESSION], reason: 'heckling' })).status).toBe(201);
    const refused = await seenWithinPropagation(video, ({ status }) => status === 403);
    expect(refused.body).toEqual({ error: 'access_denied', error_description: `this person is banned from ${VIDEO_SESSION} until the ban is lifted: heckling` });
    expect((await ivsOnB('SUBSCRIBE')).status).toBe(200);
    expect((await adminOnA.delete(`/bans/${PEOPLE.viewer.sub}`)).status).toBe(204);
    expect((await seenWithinPropagation(video, ({ status }) => status === 200)).status).toBe(200);
  });

  it('a license added on A mints on B; removed on A, its tokens stop exchanging on B', async () => {
    const arn = LICENSES.large;
    expect((await adminOnA.post('/licenses', { arn, maxTokens: 5 })).status).toBe(201);
    const minted = await seenWithinPropagation(
      () => mint(b.issuer, LICENSE_CLIENTS.other, LICENSE_GRANT, { license_arn: arn, client_token: 'on-b', role_arns: ROLE }),
      ({ status }) => status === 200,
    );
    expect(minted.status).toBe(200);
    const exchange = () => mint(b.issuer, LICENSE_CLIENTS.other, JWT_BEARER_GRANT, { assertion: String(minted.body.access_token) });
    expect((await exchange()).status).toBe(200);
    expect((await adminOnA.delete(`/licenses/${encodeURIComponent(arn)}`)).status).toBe(204);
    const refused = await seenWithinPropagation(exchange, ({ status }) => status === 400);
    expect(refused.body.error).toBe('invalid_grant');
    expect(refused.body.error_description).toContain('no longer exists');
  });

  it('an account created on A signs in on B; disabled on A, B refuses its tokens and its sign-in', async () => {
    const person = { username: 'made-on-a', password: 'made on instance a, used on b' };
    const created = await adminOnA.post('/accounts', person);
    expect(created.status).toBe(201);
    const { config, tokens } = await authorizationCodeTokens(b.issuer, 'native', 'openid offline_access', person);
    expect(tokens.claims()?.sub).toBe(created.body.sub);
    const mintOnB = () => mint(b.issuer, PEOPLE_APP, VIDEO_GRANT, { session_id: VIDEO_SESSION, subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN_TYPE });
    expect((await mintOnB()).status).toBe(200);

    expect((await adminOnA.put(`/accounts/${created.body.sub}`, { username: person.username, disabled: true })).status).toBe(200);
    const refused = await seenWithinPropagation(mintOnB, ({ status }) => status === 400);
    expect(refused.body.error).toBe('invalid_grant');
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The sign-in page answers again, refusing the password, where it would have gone on to consent.
    await expect(authorizationCodeTokens(b.issuer, 'native', 'openid', person)).rejects.toThrow('no form posting to …/confirm');
  });

  it('two operators creating one username on two instances at once: exactly one account is made', async () => {
    const adminOnB = adminApi(b.issuer, await adminToken(b.issuer));
    const account = { username: 'wanted-by-two', password: 'either of the two operators' };
    const answers = await Promise.all([adminOnA.post('/accounts', account), adminOnB.post('/accounts', account)]);
    expect(answers.map(({ status }) => status).sort()).toEqual([201, 409]);
  });

  it('two operators changing one group from the same ETag on two instances: one wins, the other is told 412', async () => {
    const adminOnB = adminApi(b.issuer, await adminToken(b.issuer));
    const created = await adminOnA.put('/groups/racers', { video_roles: ['subscriber'] });
    const etag = created.headers.get('etag')!;
    const answers = await Promise.all([
      adminOnA.put('/groups/racers', { video_roles: ['publisher'] }, { 'if-match': etag }),
      adminOnB.put('/groups/racers', { video_roles: ['moderator'] }, { 'if-match': etag }),
    ]);
    expect(answers.map(({ status }) => status).sort()).toEqual([200, 412]);
    const winner = answers.find(({ status }) => status === 200)!;
    expect((await adminOnB.get('/groups/racers')).body.rights).toEqual(winner.body.rights);
  });
});
