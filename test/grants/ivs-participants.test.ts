import { CreateParticipantTokenCommand, CreateStageCommand, IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminApi, adminToken } from '../support/admin.js';
import { sdkConfig } from '../support/aws.js';
import { IVS_GRANT, mint, MINTING_CLIENTS, STAGES } from '../support/minters.js';
import { expectAnswersMatch, validatedDocument } from '../support/openapi.js';
import { PEOPLE } from '../support/people.js';
import { participantIdOf, STAGE_APP, startStagesServer } from '../support/stages.js';

/** May manage stages through the IVS API. */
const STAGE_ADMIN = {
  client_id: 'stage-admin',
  client_secret: 'stage-admin-secret-0123456789abcd',
  grant_types: [IVS_GRANT],
  response_types: [],
  redirect_uris: [],
  ivs_stage_arns: ['*'],
  ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'],
};

describe.each([['memory', false], ['Redis', true]] as const)('participants, on the %s store', (_store, redis) => {
  let stages: Awaited<ReturnType<typeof startStagesServer>>;
  beforeAll(async () => {
    stages = await startStagesServer({ redis, config: { clients: [STAGE_ADMIN] } });
  });
  afterAll(() => stages?.server.close());

  const backend = MINTING_CLIENTS.stageBackend;
  const ivs = () => new IVSRealTimeClient(sdkConfig(stages.server.issuer, 'ivs-realtime', STAGE_ADMIN));

  it('a token a client minted for itself is a participant: its stage, user, client, capabilities, attributes and expiry', async () => {
    const minted = await mint(stages.server.issuer, backend, IVS_GRANT, {
      stage_arn: STAGES.main.arn, user_id: 'guest-9', capabilities: 'SUBSCRIBE', attributes: '{"seat":"B2"}', duration: '30',
    });
    const claims = decodeJwt(String(minted.body.access_token));
    const read = await stages.admin.get(`/participants/${claims.jti}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      participant_id: claims.jti, stage_arn: STAGES.main.arn, user_id: 'guest-9', client_id: backend.client_id, capabilities: ['SUBSCRIBE'],
      attributes: { seat: 'B2' }, issued_at: new Date(claims.iat! * 1000).toISOString(), expires_at: new Date(claims.exp! * 1000).toISOString(), live: true,
    });
  });

  it('a token minted for a person names the person', async () => {
    const id = participantIdOf(await stages.join('viewer'));
    expect((await stages.admin.get(`/participants/${id}`)).body).toMatchObject({
      participant_id: id, person: PEOPLE.viewer.sub, user_id: PEOPLE.viewer.sub, client_id: STAGE_APP.client_id, capabilities: ['SUBSCRIBE'],
    });
  });

  it('tokens of CreateParticipantToken and CreateStage are participants of their stage, listed by id', async () => {
    const { stage, participantTokens } = await ivs().send(new CreateStageCommand({
      participantTokenConfigurations: [{ userId: 'host', capabilities: ['PUBLISH'] }, { userId: 'crew' }],
    }));
    const { participantToken } = await ivs().send(new CreateParticipantTokenCommand({ stageArn: stage!.arn, userId: 'late' }));
    const listed = await stages.admin.get(`/participants?stage_arn=${encodeURIComponent(stage!.arn!)}`);
    expect(listed.status).toBe(200);
    const ids = [...participantTokens!, participantToken!].map(({ participantId }) => participantId!);
    expect(listed.body.items.map((item: { participant_id: string }) => item.participant_id)).toEqual(ids.sort());
    expect(listed.body.items.map((item: { user_id: string }) => item.user_id).sort()).toEqual(['crew', 'host', 'late']);
    expect(listed.body.next_cursor).toBeNull();
  });

  it('a stage\'s participants come in pages', async () => {
    const { stage } = await ivs().send(new CreateStageCommand({ participantTokenConfigurations: Array.from({ length: 5 }, () => ({})) }));
    const arn = encodeURIComponent(stage!.arn!);
    const first = await stages.admin.get(`/participants?stage_arn=${arn}&limit=3`);
    const rest = await stages.admin.get(`/participants?stage_arn=${arn}&limit=3&cursor=${first.body.next_cursor}`);
    expect([first.body.items.length, rest.body.items.length, rest.body.next_cursor]).toEqual([3, 2, null]);
    const ids = [...first.body.items, ...rest.body.items].map((item: { participant_id: string }) => item.participant_id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(5);
  });

  it('a participant is forgotten once its token expires', async () => {
    const id = participantIdOf(await mint(stages.server.issuer, backend, IVS_GRANT, { stage_arn: STAGES.main.arn, duration: '1' }));
    expect((await stages.admin.get(`/participants/${id}`)).status).toBe(200);
    // Redis expires the record by its own clock; the stage's roster ends it by the server's.
    stages.server.clock.advance(61_000);
    expect((await stages.admin.get(`/participants/${id}`)).status).toBe(404);
    const listed = await stages.admin.get(`/participants?stage_arn=${encodeURIComponent(STAGES.main.arn)}&limit=200`);
    expect(listed.body.items.map((item: { participant_id: string }) => item.participant_id)).not.toContain(id);
  });

  it.each([
    ['/participants', /stage_arn/],
    ['/participants?stage_arn=arn:aws:ivs:us-west-2:123456789012:channel/x', /stage_arn must be an IVS stage ARN/],
    [`/participants?stage_arn=${STAGES.main.arn}&limit=0`, /limit/],
    ['/participants/not%20an%20id', /participant_id must be 1 to 64 characters/],
  ])('GET %s is refused naming the problem', async (path, problem) => {
    const refused = await stages.admin.get(path);
    expect(refused.status).toBe(400);
    expect(refused.body.error_description).toMatch(problem);
  });

  it('an unknown participant is 404, and a read-only operator may read participants', async () => {
    expect((await stages.admin.get('/participants/Nobody000000')).status).toBe(404);
    const reader = adminApi(stages.server.issuer, await adminToken(stages.server.issuer, 'reader'), stages.log);
    expect((await reader.get(`/participants?stage_arn=${STAGES.main.arn}`)).status).toBe(200);
  });

  it('every answer matches the Admin API document', async () => {
    expectAnswersMatch(await validatedDocument(stages.server.issuer), stages.log);
  });
});
