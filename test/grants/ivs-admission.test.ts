import { CreateParticipantTokenCommand, IVSRealTimeClient, ServiceQuotaExceededException } from '@aws-sdk/client-ivs-realtime';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sdkConfig, signedPost } from '../support/aws.js';
import { IVS_GRANT, ivsConfig, mint, STAGES } from '../support/minters.js';
import { expectAnswersMatch, validatedDocument } from '../support/openapi.js';
import { basicAuth } from '../support/relying-party.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { participantIdOf, STAGE_APP, stagesConfig, withPeople } from '../support/stages.js';
import { newKeysDir, startStagepass, uniqueRedisPrefix, type RunningStagepass } from '../support/stagepass.js';

const stage = (id: string, admission: Record<string, unknown>) => ({
  ...STAGES.main, arn: `arn:aws:ivs:us-west-2:123456789012:stage/${id}`, ...admission,
});
/** Two publishers at most, five participants in all. */
const CAPPED = stage('Capped01', { maxPublishers: 2, maxParticipants: 5 });
const ONE_EACH = stage('OneEach01', { onePerPerson: 'reject' });
const NEWEST = stage('Newest01', { onePerPerson: 'replace' });

/** A backend that mints for any stage, as fast as these tests ask. */
const BACKEND = {
  client_id: 'admission-backend', client_secret: 'admission-backend-secret-0123456789',
  grant_types: [IVS_GRANT], response_types: [], redirect_uris: [],
  ivs_stage_arns: ['*'], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'], ivs_moderated_stage_arns: ['*'],
};
const OTHER = { ...BACKEND, client_id: 'other-admission-backend', client_secret: 'other-admission-backend-secret-0123' };

async function configFor(keysDir: string) {
  const config = await stagesConfig(keysDir, { clients: [BACKEND, OTHER], ivs: { stages: [...Object.values(STAGES), CAPPED, ONE_EACH, NEWEST] } });
  return { ...config, groups: { ...config.groups, '*': { ivs_stage_arns: ['*'], ivs_capabilities: ['SUBSCRIBE'] } }, limits: { tokensPerSecond: { [IVS_GRANT]: 10_000 } } };
}

const mintFor = (issuer: string, stageArn: string, params: Record<string, string> = {}) => mint(issuer, BACKEND, IVS_GRANT, { stage_arn: stageArn, ...params });

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(() => cluster?.stop());

/** Where the servers of a backend keep their state: one process's memory, or a store two instances share. */
const BACKENDS = [
  ['memory', 1, () => ({})],
  ['Redis, two instances', 2, () => ({})],
  ['a 3-master Redis Cluster, two instances', 2, () => ({ redisUrl: cluster.seedUrl, redisCluster: true })],
] as const;

describe.each(BACKENDS)('admission counted at once, on %s', (_store, instances, where) => {
  let servers: RunningStagepass[];
  beforeAll(async () => {
    const keysDir = await newKeysDir();
    const keyPrefix = uniqueRedisPrefix();
    const config = await configFor(keysDir);
    const onCluster = where();
    const store = instances === 1 ? {} : 'redisCluster' in onCluster ? { config: { ...config, ...onCluster, redisKeyPrefix: keyPrefix } } : { redis: { keyPrefix } };
    // One after the other: the first sets up the store the second joins.
    servers = [];
    for (let i = 0; i < instances; i += 1) servers.push(await startStagepass({ keysDir, config, ...store }));
  });
  afterAll(() => Promise.all(servers?.map((server) => server.close()) ?? []));

  it('50 concurrent PUBLISH requests for a stage of 2 publishers, spread over the instances, give exactly 2 tokens that can publish', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      mintFor(servers[i % servers.length]!.issuer, CAPPED.arn, { capabilities: 'PUBLISH', user_id: `racer-${i}` })));
    const admitted = answers.filter(({ status }) => status === 200);
    expect(admitted).toHaveLength(2);
    for (const answer of admitted) expect(decodeJwt(String(answer.body.access_token)).capabilities).toEqual({ allow_publish: true });
    const refused = answers.filter(({ status }) => status !== 200);
    expect(new Set(refused.map(({ status, body }) => `${status} ${body.error}`))).toEqual(new Set(['403 resource_limit_exceeded']));
    expect(refused[0]!.body.error_description).toBe(`stage ${CAPPED.arn} has its 2 publishers already (maxPublishers)`);
  });
});

describe('admission per stage', () => {
  let stages: Awaited<ReturnType<typeof withPeople>>;
  beforeAll(async () => {
    const keysDir = await newKeysDir();
    stages = await withPeople(await startStagepass({ redis: true, keysDir, config: await configFor(keysDir) }));
  });
  afterAll(() => stages?.server.close());
  const issuer = () => stages.server.issuer;
  const leave = (id: string, who: { client_id: string; client_secret?: string }, form: Record<string, string> = {}) => fetch(`${issuer()}/ivs/participants/${id}`, {
    method: 'DELETE',
    headers: { ...(who.client_secret ? basicAuth(who.client_id, who.client_secret) : {}), ...(Object.keys(form).length > 0 ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    ...(Object.keys(form).length > 0 ? { body: new URLSearchParams(form) } : {}),
  }).then(async (response) => ({ status: response.status, body: response.status === 204 ? undefined : await response.json() as any }));

  it('subscribers leave publishers\' places free; an exchange adding PUBLISH gets one only once a publisher leaves', async () => {
    const viewer = await mintFor(issuer(), CAPPED.arn, { capabilities: 'SUBSCRIBE' });
    expect(viewer.status).toBe(200);
    // This server's store is its own: the stage starts empty here.
    const hosts = [await mintFor(issuer(), CAPPED.arn, { capabilities: 'PUBLISH' }), await mintFor(issuer(), CAPPED.arn, { capabilities: 'PUBLISH' })];
    expect(hosts.map(({ status }) => status)).toEqual([200, 200]);
    const refused = await mint(issuer(), BACKEND, IVS_GRANT, { participant_token: String(viewer.body.access_token), capabilities: 'PUBLISH SUBSCRIBE' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('resource_limit_exceeded');

    expect((await leave(participantIdOf(hosts[0]!), BACKEND)).status).toBe(204);
    const promoted = await mint(issuer(), BACKEND, IVS_GRANT, { participant_token: String(viewer.body.access_token), capabilities: 'PUBLISH SUBSCRIBE' });
    expect(promoted.status).toBe(200);
    expect((await stages.admin.get(`/participants/${participantIdOf(hosts[0]!)}`)).body).toMatchObject({ live: false, ended: { how: 'left', by: BACKEND.client_id } });
  });

  it('a stage full of participants admits the next once one is disconnected or its token expires', async () => {
    // The SDKs know nothing of stagepass's own fields: a signed request sends them, and reads them back.
    const configured = await signedPost(`${issuer()}/aws/ivs-realtime/GetStage`, JSON.stringify({ arn: CAPPED.arn }), { service: 'ivs', client: BACKEND });
    expect(configured.body.stage).toMatchObject({ maxPublishers: 2, maxParticipants: 5 });
    const made = await signedPost(`${issuer()}/aws/ivs-realtime/CreateStage`, JSON.stringify({ name: 'full', maxParticipants: 2 }), { service: 'ivs', client: BACKEND });
    expect(made.status).toBe(200);
    const arn = String((made.body.stage as { arn: string }).arn);
    expect(made.body.stage).toMatchObject({ maxParticipants: 2 });
    const ivs = new IVSRealTimeClient(sdkConfig(issuer(), 'ivs-realtime', BACKEND));
    const first = await ivs.send(new CreateParticipantTokenCommand({ stageArn: arn, duration: 1 }));
    await ivs.send(new CreateParticipantTokenCommand({ stageArn: arn, duration: 60 }));
    const third = ivs.send(new CreateParticipantTokenCommand({ stageArn: arn }));
    await expect(third).rejects.toBeInstanceOf(ServiceQuotaExceededException);
    await expect(third).rejects.toThrow(`stage ${arn} is full: it admits 2 participants at once (maxParticipants)`);

    stages.server.clock.advance(61_000);
    const afterExpiry = await ivs.send(new CreateParticipantTokenCommand({ stageArn: arn }));
    await expect(ivs.send(new CreateParticipantTokenCommand({ stageArn: arn }))).rejects.toBeInstanceOf(ServiceQuotaExceededException);
    await stages.admin.post(`/participants/${afterExpiry.participantToken!.participantId}/disconnect`, { keep_out_seconds: 0 });
    expect((await ivs.send(new CreateParticipantTokenCommand({ stageArn: arn }))).participantToken!.participantId).not.toBe(first.participantToken!.participantId);
  });

  it('onePerPerson reject: a person\'s second live participant is refused, naming the rule; others are not', async () => {
    expect((await mintFor(issuer(), ONE_EACH.arn, { user_id: 'pat' })).status).toBe(200);
    const second = await mintFor(issuer(), ONE_EACH.arn, { user_id: 'pat' });
    expect(second.status).toBe(403);
    expect(second.body).toEqual({ error: 'resource_limit_exceeded', error_description: `this person is on stage ${ONE_EACH.arn} already, in another participant (onePerPerson: reject)` });
    expect((await mintFor(issuer(), ONE_EACH.arn, { user_id: 'sam' })).status).toBe(200);
  });

  it('onePerPerson replace: the newer participant is admitted and the older disconnected, its token exchanging no more', async () => {
    const older = await stages.join('viewer', { stage_arn: NEWEST.arn });
    const newer = await stages.join('viewer', { stage_arn: NEWEST.arn });
    expect([older.status, newer.status]).toEqual([200, 200]);
    const olderId = participantIdOf(older);
    expect((await stages.admin.get(`/participants/${olderId}`)).body).toMatchObject({
      live: false, ended: { how: 'replaced', by: STAGE_APP.client_id, reason: `replaced by participant ${participantIdOf(newer)}` },
    });
    const exchanged = await mint(issuer(), STAGE_APP, IVS_GRANT, { participant_token: String(older.body.access_token), ...stages.asPerson('viewer') });
    expect(exchanged.body.error_description).toMatch(/^the participant was replaced by native-app at .*: replaced by participant/);
  });

  it('a client minting for itself under a person\'s user id neither replaces, blocks nor keeps out that person', async () => {
    const host = await stages.join('host', { stage_arn: NEWEST.arn });
    const hostId = participantIdOf(host);
    const person = String(decodeJwt(String(host.body.access_token)).user_id);
    const posing = await mintFor(issuer(), NEWEST.arn, { user_id: person, capabilities: 'SUBSCRIBE' });
    expect(posing.status).toBe(200);
    expect((await stages.admin.get(`/participants/${hostId}`)).body).toMatchObject({ live: true });

    const squatting = await mintFor(issuer(), ONE_EACH.arn, { user_id: person, capabilities: 'SUBSCRIBE' });
    expect(squatting.status).toBe(200);
    expect((await stages.join('host', { stage_arn: ONE_EACH.arn })).status).toBe(200);

    await stages.admin.post(`/participants/${participantIdOf(posing)}/disconnect`, { keep_out_seconds: 600 });
    expect((await mint(issuer(), STAGE_APP, IVS_GRANT, { participant_token: String(host.body.access_token), ...stages.asPerson('host') })).status).toBe(200);
    expect((await mintFor(issuer(), NEWEST.arn, { user_id: person, capabilities: 'SUBSCRIBE' })).body.error).toBe('access_denied');
  });

  it('only the participant\'s own app may make it leave', async () => {
    const joined = await stages.join('host');
    const id = participantIdOf(joined);
    expect((await leave(id, OTHER)).body).toEqual({ error: 'access_denied', error_description: `participant ${id} was minted by another client` });
    expect((await leave(id, STAGE_APP, stages.asPerson('viewer'))).body).toEqual({ error: 'access_denied', error_description: `participant ${id} was minted for another person` });
    expect((await leave(id, STAGE_APP, { ...stages.asPerson('host'), capabilities: 'PUBLISH' })).body).toEqual({ error: 'invalid_request', error_description: 'capabilities is not a field of this call' });
    expect((await leave(id, STAGE_APP, stages.asPerson('host'))).status).toBe(204);
    expect((await stages.admin.get(`/participants/${id}`)).body).toMatchObject({ live: false, ended: { how: 'left' } });
    expect((await leave('Nobody000000', BACKEND)).body.error).toBe('invalid_target');
  });

  it('operators set a stage\'s admission through the Admin API while it is live; configured stages change only in the file', async () => {
    const arn = 'arn:aws:ivs:us-west-2:123456789012:stage/Operated01';
    const path = `/stages/${encodeURIComponent(arn)}`;
    const created = await stages.admin.put(path, { eventsUrl: STAGES.main.eventsUrl, whipUrl: STAGES.main.whipUrl, maxPublishers: 1 });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ arn, name: '', tags: {}, eventsUrl: STAGES.main.eventsUrl, whipUrl: STAGES.main.whipUrl, maxPublishers: 1, source: 'api' });
    expect((await mintFor(issuer(), arn, { capabilities: 'PUBLISH' })).status).toBe(200);
    expect((await mintFor(issuer(), arn, { capabilities: 'PUBLISH' })).body.error).toBe('resource_limit_exceeded');

    const read = await stages.admin.get(path);
    const raised = await stages.admin.put(path, { ...read.body, maxPublishers: 2 }, { 'if-match': read.headers.get('etag')! });
    expect(raised.status).toBe(200);
    expect((await mintFor(issuer(), arn, { capabilities: 'PUBLISH' })).status).toBe(200);

    const configured = await stages.admin.put(`/stages/${encodeURIComponent(CAPPED.arn)}`, { eventsUrl: CAPPED.eventsUrl, whipUrl: CAPPED.whipUrl });
    expect(configured.status).toBe(409);
    const badArn = await stages.admin.put(`/stages/${encodeURIComponent('arn:aws:ivs:us-west-2:1:channel/x')}`, { eventsUrl: CAPPED.eventsUrl, whipUrl: CAPPED.whipUrl });
    expect(badArn.status).toBe(400);
    expect(badArn.body.error_description).toMatch(/^arn must be an IVS stage ARN/);
    const badLimit = await stages.admin.put(path, { eventsUrl: CAPPED.eventsUrl, whipUrl: CAPPED.whipUrl, onePerPerson: 'always' });
    expect(badLimit.status).toBe(400);
    expect((await stages.admin.delete(path)).status).toBe(204);
    expect((await mintFor(issuer(), arn)).body.error).toBe('invalid_target');
    expectAnswersMatch(await validatedDocument(issuer()), stages.log);
  });

  it('a stage\'s admission rules are checked as configuration', async () => {
    const keysDir = await newKeysDir();
    await expect(startStagepass({ keysDir, config: { ivs: { ...ivsConfig(keysDir), stages: [{ ...CAPPED, maxPublishers: 0 }] } } })).rejects.toThrow(/maxPublishers/);
    const refused = await signedPost(`${issuer()}/aws/ivs-realtime/CreateStage`, JSON.stringify({ onePerPerson: 'sometimes' }), { service: 'ivs', client: BACKEND });
    expect(refused).toMatchObject({ status: 400, errorType: 'ValidationException' });
  });
});
