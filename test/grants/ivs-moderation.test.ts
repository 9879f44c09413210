import { AccessDeniedException, DisconnectParticipantCommand, IVSRealTimeClient, ResourceNotFoundException, ValidationException } from '@aws-sdk/client-ivs-realtime';
import { decodeJwt, importSPKI, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/observability/logger.js';
import { adminApi, adminToken, seenWithinPropagation } from '../support/admin.js';
import { sdkConfig, signedPost } from '../support/aws.js';
import { authorizationCodeTokens } from '../support/flows.js';
import { ACCESS_TOKEN_TYPE, IVS_GRANT, mint, MINTING_CLIENTS, STAGES } from '../support/minters.js';
import { expectAnswersMatch, validatedDocument } from '../support/openapi.js';
import { GROUPS, type PersonName } from '../support/people.js';
import { basicAuth } from '../support/relying-party.js';
import { participantIdOf, STAGE_APP, stagesConfig, withPeople } from '../support/stages.js';
import { newKeysDir, startStagepass, uniqueRedisPrefix, type RunningStagepass } from '../support/stagepass.js';

/** A stage's moderation backend: it may moderate the main stage, and mint only SUBSCRIBE there. */
const MODERATOR = {
  client_id: 'moderation-backend', client_secret: 'moderation-backend-secret-0123456789',
  grant_types: [IVS_GRANT], response_types: [], redirect_uris: [],
  ivs_stage_arns: [STAGES.main.arn], ivs_capabilities: ['SUBSCRIBE'], ivs_moderated_stage_arns: [STAGES.main.arn],
};
/** Hosts moderate the main stage, and no other. */
const MODERATING_GROUPS = { '*': GROUPS['*'], hosts: { ...GROUPS.hosts, ivs_moderated_stage_arns: [STAGES.main.arn] } };

let a: Awaited<ReturnType<typeof withPeople>>;
let b: RunningStagepass;
let ivsKey: CryptoKey;
const audit: Record<string, unknown>[] = [];

beforeAll(async () => {
  const keysDir = await newKeysDir();
  const redis = { keyPrefix: uniqueRedisPrefix() };
  const config = { ...await stagesConfig(keysDir, { clients: [MODERATOR, MINTING_CLIENTS.viewerBackend], groups: MODERATING_GROUPS }), limits: { tokensPerSecond: { [IVS_GRANT]: 10_000 }, failedGrantsPerSecondPerAddress: 1000 } };
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void audit.push(JSON.parse(line) as Record<string, unknown>) } });
  a = await withPeople(await startStagepass({ redis, keysDir, config, logger }));
  b = await startStagepass({ redis, keysDir, config });
  ivsKey = await importSPKI(((await (await fetch(`${a.server.issuer}/ivs/public-key`)).json()) as { pem: string }).pem, 'ES384');
});
afterAll(async () => {
  await Promise.all([a?.server.close(), b?.close()]);
});

const tokenOf = (answer: { body: any }) => String(answer.body.access_token);
const verify = async (token: string) => (await jwtVerify(token, ivsKey, { algorithms: ['ES384'] })).payload;
/** The person's app exchanges its participant's token on instance B. */
const exchangeOnB = (who: PersonName, token: string, params: Record<string, string> = {}) =>
  mint(b.issuer, STAGE_APP, IVS_GRANT, { participant_token: token, ...a.asPerson(who), ...params });
/** The person's app joins the main stage on instance B. */
const joinOnB = (who: PersonName) => mint(b.issuer, STAGE_APP, IVS_GRANT, { stage_arn: STAGES.main.arn, ...a.asPerson(who) });
/** A form to the minter's participant routes, as a confidential client (HTTP Basic) when `who` is given. */
async function minterRoute(issuer: string, path: string, form: Record<string, string>, who?: { client_id: string; client_secret: string }, method = 'PUT') {
  const response = await fetch(`${issuer}/ivs/participants/${path}`, {
    method,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(who ? basicAuth(who.client_id, who.client_secret) : {}) },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as any };
}
const ivsAs = (client: { client_id: string; client_secret: string }) => new IVSRealTimeClient(sdkConfig(a.server.issuer, 'ivs-realtime', client));

describe('promote and demote a live participant', () => {
  it('an operator promotes a viewer to PUBLISH: the answer is its new token, and its own next exchange on another instance keeps it', async () => {
    const joined = await a.join('viewer');
    const id = participantIdOf(joined);
    const promoted = await a.admin.put(`/participants/${id}`, { capabilities: ['PUBLISH', 'SUBSCRIBE'] });
    expect(promoted.status).toBe(200);
    expect(promoted.body.participant).toMatchObject({ participant_id: id, capabilities: ['PUBLISH', 'SUBSCRIBE'], moderated_capabilities: ['PUBLISH', 'SUBSCRIBE'], live: true });
    const [before, after] = [await verify(tokenOf(joined)), await verify(promoted.body.participant_token.token)];
    for (const claim of ['topic', 'resource', 'jti', 'whip_url', 'events_url']) expect(after[claim]).toBe(before[claim]);
    expect(after.capabilities).toEqual({ allow_publish: true, allow_subscribe: true });

    // Beyond the viewer's groups, which give SUBSCRIBE only: the moderator's word stands for this participant.
    const renewed = await exchangeOnB('viewer', tokenOf(joined));
    expect(renewed.status).toBe(200);
    expect((await verify(tokenOf(renewed))).capabilities).toEqual({ allow_publish: true, allow_subscribe: true });

    const demoted = await a.admin.put(`/participants/${id}`, { capabilities: ['SUBSCRIBE'] });
    expect(demoted.body.participant.capabilities).toEqual(['SUBSCRIBE']);
    const asked = await exchangeOnB('viewer', tokenOf(renewed), { capabilities: 'PUBLISH SUBSCRIBE' });
    expect(asked.status).toBe(403);
    expect(asked.body.error_description).toMatch(/may not hold PUBLISH/);
  });

  it('a demotion made while the participant\'s app exchanges its token on both instances stands: no exchange undoes it', async () => {
    for (let round = 0; round < 5; round += 1) {
      const joined = await a.join('host');
      const id = participantIdOf(joined);
      const exchanges = Array.from({ length: 8 }, (_, i) =>
        mint(i % 2 === 0 ? a.server.issuer : b.issuer, STAGE_APP, IVS_GRANT, { participant_token: tokenOf(joined), ...a.asPerson('host') }));
      const [demoted] = await Promise.all([a.admin.put(`/participants/${id}`, { capabilities: ['SUBSCRIBE'] }), ...exchanges]);
      expect(demoted.status).toBe(200);
      expect((await a.admin.get(`/participants/${id}`)).body).toMatchObject({ capabilities: ['SUBSCRIBE'], moderated_capabilities: ['SUBSCRIBE'] });
      const asked = await exchangeOnB('host', tokenOf(joined), { capabilities: 'PUBLISH SUBSCRIBE' });
      expect(asked.body.error_description).toMatch(/may not hold PUBLISH/);
    }
  });

  it('a promotion never goes beyond the rights of the client that minted the participant', async () => {
    const minted = await mint(a.server.issuer, MINTING_CLIENTS.viewerBackend, IVS_GRANT, { stage_arn: STAGES.main.arn, user_id: 'fan-1', capabilities: 'SUBSCRIBE' });
    const refused = await a.admin.put(`/participants/${participantIdOf(minted)}`, { capabilities: ['PUBLISH'] });
    expect(refused.status).toBe(409);
    expect(refused.body.error_description).toBe(`client viewer-backend, which minted the participant, may not grant PUBLISH on stage ${STAGES.main.arn}`);
  });

  it('a moderating person\'s app promotes through the minter\'s route with their subject_token; a person who does not moderate is refused', async () => {
    const id = participantIdOf(await a.join('viewer'));
    const byHost = await minterRoute(b.issuer, id, { ...a.asPerson('host'), capabilities: 'PUBLISH SUBSCRIBE', attributes: '{"role":"co-host"}' });
    expect(byHost.status).toBe(200);
    expect(byHost.body.participant_token).toMatchObject({ participantId: id, capabilities: ['PUBLISH', 'SUBSCRIBE'], attributes: { role: 'co-host' } });
    expect(decodeJwt(String(byHost.body.access_token)).attributes).toEqual({ role: 'co-host' });

    const byViewer = await minterRoute(b.issuer, id, { ...a.asPerson('viewer'), capabilities: 'PUBLISH' });
    expect(byViewer.status).toBe(403);
    expect(byViewer.body).toEqual({ error: 'access_denied', error_description: `this person may not moderate stage ${STAGES.main.arn} (ivs_moderated_stage_arns)` });
  });

  it('a moderator of another client changes a participant without being handed its token; the participant\'s own next exchange carries the change', async () => {
    const joined = await a.join('viewer');
    const id = participantIdOf(joined);
    const changed = await minterRoute(b.issuer, id, { capabilities: 'SUBSCRIBE', attributes: '{"role":"muted"}' }, MODERATOR);
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ participant_id: id, stage_arn: STAGES.main.arn, live: true, capabilities: ['SUBSCRIBE'], attributes: { role: 'muted' } });
    expect(changed.body.access_token).toBeUndefined();
    const own = await exchangeOnB('viewer', tokenOf(joined));
    expect((await verify(tokenOf(own))).attributes).toEqual({ role: 'muted' });
  });

  it('a change gives no token to a banned person, whoever asks', async () => {
    const joined = await a.join('viewer');
    const id = participantIdOf(joined);
    expect((await a.admin.put(`/bans/sub-victor`, { resources: [STAGES.main.arn], reason: 'abuse' })).status).toBe(201);
    try {
      const byHost = await minterRoute(a.server.issuer, id, { ...a.asPerson('host'), capabilities: 'SUBSCRIBE', attributes: '{"displayName":"Official Host"}' });
      expect(byHost.status).toBe(403);
      expect(byHost.body.error).toBe('access_denied');
      expect(byHost.body.access_token).toBeUndefined();
      expect((await a.admin.put(`/participants/${id}`, { capabilities: ['SUBSCRIBE'] })).body.token).toBeUndefined();
      expect((await a.admin.get(`/participants/${id}`)).body.attributes).toEqual({});
    } finally {
      await a.admin.delete('/bans/sub-victor');
    }
  });

  it('a moderating person is refused on a stage outside their moderation', async () => {
    const elsewhere = await mint(a.server.issuer, MINTING_CLIENTS.viewerBackend, IVS_GRANT, { stage_arn: STAGES.backstage.arn, user_id: 'crew-1', capabilities: 'SUBSCRIBE' });
    const refused = await minterRoute(a.server.issuer, participantIdOf(elsewhere), { ...a.asPerson('host'), capabilities: 'SUBSCRIBE' });
    expect(refused.status).toBe(403);
    expect(refused.body.error_description).toBe(`this person may not moderate stage ${STAGES.backstage.arn} (ivs_moderated_stage_arns)`);
  });
});

describe('disconnect and keep out', () => {
  it('a moderating client disconnects a participant: on the other instance its token exchanges no more and its person is kept out, naming the disconnection', async () => {
    const joined = await a.join('cohost');
    const id = participantIdOf(joined);
    const ended = await minterRoute(a.server.issuer, `${id}/disconnect`, { reason: 'off topic', keep_out_seconds: '600' }, MODERATOR, 'POST');
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ participant_id: id, live: false, ended: { how: 'disconnected', by: MODERATOR.client_id, reason: 'off topic' } });

    const exchanged = await seenWithinPropagation(() => exchangeOnB('cohost', tokenOf(joined)), ({ status }) => status !== 200);
    expect(exchanged.body.error).toBe('invalid_grant');
    expect(exchanged.body.error_description).toMatch(new RegExp(`^the participant was disconnected by ${MODERATOR.client_id} at .*: off topic$`));
    const rejoined = await seenWithinPropagation(() => joinOnB('cohost'), ({ status }) => status !== 200);
    expect(rejoined.status).toBe(403);
    expect(rejoined.body.error_description).toMatch(new RegExp(`participant ${id} was disconnected from stage .* by ${MODERATOR.client_id} .*\\(off topic\\); they are kept out until`));

    b.clock.advance(601_000);
    expect((await joinOnB('cohost')).status).toBe(200);
  });

  it('DisconnectParticipant through the AWS SDK ends the participant, seen by the Admin API; a client that does not moderate the stage is refused', async () => {
    const id = participantIdOf(await mint(a.server.issuer, MINTING_CLIENTS.stageBackend, IVS_GRANT, { stage_arn: STAGES.main.arn, user_id: 'guest-5' }));
    await expect(ivsAs(MINTING_CLIENTS.stageBackend).send(new DisconnectParticipantCommand({ stageArn: STAGES.main.arn, participantId: id })))
      .rejects.toBeInstanceOf(AccessDeniedException);
    await expect(ivsAs(MODERATOR).send(new DisconnectParticipantCommand({ stageArn: STAGES.backstage.arn, participantId: id })))
      .rejects.toBeInstanceOf(AccessDeniedException);
    await expect(ivsAs(MODERATOR).send(new DisconnectParticipantCommand({ stageArn: STAGES.main.arn, participantId: 'Nobody000000' })))
      .rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(ivsAs(MODERATOR).send(new DisconnectParticipantCommand({ stageArn: STAGES.main.arn, participantId: id, reason: 'x'.repeat(129) })))
      .rejects.toBeInstanceOf(ValidationException);

    expect(await ivsAs(MODERATOR).send(new DisconnectParticipantCommand({ stageArn: STAGES.main.arn, participantId: id, reason: 'spam' }))).toMatchObject({});
    const read = await a.admin.get(`/participants/${id}`);
    expect(read.body).toMatchObject({ live: false, ended: { how: 'disconnected', by: MODERATOR.client_id, reason: 'spam' } });
    const rejoined = await mint(b.issuer, MINTING_CLIENTS.stageBackend, IVS_GRANT, { stage_arn: STAGES.main.arn, user_id: 'guest-5' });
    expect(rejoined.status).toBe(403);
  });

  it('an operator disconnects without keeping out; every moderation is an audit event', async () => {
    const id = participantIdOf(await mint(a.server.issuer, MINTING_CLIENTS.stageBackend, IVS_GRANT, { stage_arn: STAGES.main.arn, user_id: 'guest-6' }));
    const ended = await a.admin.post(`/participants/${id}/disconnect`, { reason: 'test over', keep_out_seconds: 0 });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ live: false, ended: { how: 'disconnected', by: 'admin:admin-cli', reason: 'test over' } });
    expect((await mint(b.issuer, MINTING_CLIENTS.stageBackend, IVS_GRANT, { stage_arn: STAGES.main.arn, user_id: 'guest-6' })).status).toBe(200);
    expect(audit).toContainEqual(expect.objectContaining({
      audit: 'participant_action', action: 'disconnect', participantId: id, resource: STAGES.main.arn, by: 'admin:admin-cli', userId: 'guest-6', reason: 'test over', keepOutSeconds: 0,
    }));
    expect(audit).toContainEqual(expect.objectContaining({ audit: 'participant_action', action: 'change', by: 'admin:admin-cli' }));
    expect(audit).toContainEqual(expect.objectContaining({ audit: 'participant_action', action: 'disconnect', by: MODERATOR.client_id, keepOutSeconds: 600 }));
  });

  it('an ended participant is changed no more', async () => {
    const id = participantIdOf(await mint(a.server.issuer, MINTING_CLIENTS.stageBackend, IVS_GRANT, { stage_arn: STAGES.main.arn }));
    await a.admin.post(`/participants/${id}/disconnect`, {});
    const refused = await a.admin.put(`/participants/${id}`, { capabilities: ['SUBSCRIBE'] });
    expect(refused.status).toBe(409);
    expect(refused.body.error_description).toBe(`participant ${id} is no longer live on stage ${STAGES.main.arn}`);
  });
});

describe('what ends with a client or an account', () => {
  it('a deleted client\'s participants, and those of a person whose account is deleted, are no longer live on any instance', async () => {
    const made = await a.admin.post('/clients', {
      client_id: 'short-lived-backend', grant_types: [IVS_GRANT], response_types: [], redirect_uris: [], ivs_stage_arns: [STAGES.main.arn], ivs_capabilities: ['SUBSCRIBE'],
    });
    const minted = await mint(a.server.issuer, { client_id: 'short-lived-backend', client_secret: String(made.body.client_secret) }, IVS_GRANT, { stage_arn: STAGES.main.arn, capabilities: 'SUBSCRIBE' });
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    const ofClient = participantIdOf(minted);
    expect((await a.admin.delete('/clients/short-lived-backend')).status).toBe(204);
    const onB = adminApi(b.issuer, await adminToken(b.issuer));
    expect((await onB.get(`/participants/${ofClient}`)).body).toMatchObject({
      live: false, ended: { how: 'disconnected', by: 'stagepass', reason: 'client short-lived-backend was deleted' },
    });

    const account = await a.admin.post('/accounts', { username: 'passing-guest', password: 'only here for the evening' });
    const { tokens } = await authorizationCodeTokens(a.server.issuer, 'native', 'openid', { username: 'passing-guest', password: 'only here for the evening' });
    const joined = await mint(a.server.issuer, STAGE_APP, IVS_GRANT, { stage_arn: STAGES.main.arn, subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN_TYPE });
    expect(joined.status).toBe(200);
    expect((await a.admin.delete(`/accounts/${encodeURIComponent(String(account.body.sub))}`)).status).toBe(204);
    expect((await onB.get(`/participants/${participantIdOf(joined)}`)).body).toMatchObject({ live: false, ended: { by: 'stagepass', reason: 'the account was disabled or deleted' } });
  });
});

describe('bad input', () => {
  let id: string;
  beforeAll(async () => {
    id = participantIdOf(await mint(a.server.issuer, MINTING_CLIENTS.stageBackend, IVS_GRANT, { stage_arn: STAGES.main.arn }));
  });

  it.each([
    [{}, 'capabilities or attributes is required'],
    [{ capabilities: 'RECORD' }, 'capabilities may only contain PUBLISH and SUBSCRIBE'],
    [{ capabilities: 'PUBLISH PUBLISH' }, 'capabilities must not name a capability twice'],
    [{ attributes: '{"a":1}' }, 'attributes must be a JSON object whose values are all strings'],
    [{ capabilities: 'SUBSCRIBE', stage_arn: STAGES.main.arn }, 'stage_arn is not a field of this call (capabilities, attributes)'],
  ])('PUT /ivs/participants/{id} with %o is refused: %s', async (form, problem) => {
    const refused = await minterRoute(a.server.issuer, id, form, MODERATOR);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_request', error_description: problem });
  });

  it.each([
    [{ keep_out_seconds: '-1' }, 'keep_out_seconds must be a whole number of seconds'],
    [{ keep_out_seconds: '2592001' }, 'keep_out_seconds must be a whole number of seconds from 0 to 2592000'],
    [{ reason: 'x'.repeat(129) }, 'reason must be at most 128 characters'],
  ])('POST /ivs/participants/{id}/disconnect with %o is refused: %s', async (form, problem) => {
    const refused = await minterRoute(a.server.issuer, `${id}/disconnect`, form, MODERATOR, 'POST');
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_request', error_description: problem });
  });

  it('the minter\'s routes refuse a caller who proves nothing, and an unknown participant', async () => {
    expect((await minterRoute(a.server.issuer, id, { capabilities: 'SUBSCRIBE' })).status).toBe(401);
    expect((await minterRoute(a.server.issuer, id, { capabilities: 'SUBSCRIBE', client_id: STAGE_APP.client_id })).body.error_description)
      .toBe('subject_token is required: public clients mint only on behalf of a signed-in user');
    expect((await minterRoute(a.server.issuer, id, { capabilities: 'SUBSCRIBE', client_id: MODERATOR.client_id })).status).toBe(401);
    const unknown = await minterRoute(a.server.issuer, 'Nobody000000', { capabilities: 'SUBSCRIBE' }, MODERATOR);
    expect(unknown.body).toEqual({ error: 'invalid_target', error_description: 'participant Nobody000000 does not exist' });
  });

  it.each([
    ['PUT', `/participants/{id}`, {}, /capabilities or attributes is required/],
    ['PUT', `/participants/{id}`, { capabilities: ['RECORD'] }, /capabilities/],
    ['PUT', `/participants/{id}`, { role: 'host' }, /role/],
    ['POST', `/participants/{id}/disconnect`, { keep_out_seconds: -5 }, /keep_out_seconds/],
    ['POST', `/participants/{id}/disconnect`, { keep_out_seconds: 'an hour' }, /keep_out_seconds/],
  ])('the Admin API\'s %s %s with %o is refused naming the field', async (method, path, body, problem) => {
    const refused = await a.admin.call(method, path.replace('{id}', id), body);
    expect(refused.status).toBe(400);
    expect(refused.body.error_description).toMatch(problem);
  });

  it.each([
    [{ participantId: 'Nobody000000' }, 'stageArn'],
    [{ stageArn: 'arn:aws:ivs:us-west-2:123456789012:channel/x', participantId: 'Nobody000000' }, 'stageArn must be an IVS stage ARN'],
    [{ stageArn: STAGES.main.arn }, 'participantId'],
    [{ stageArn: STAGES.main.arn, participantId: '' }, 'participantId must not be empty'],
    [{ stageArn: STAGES.main.arn, participantId: 'x'.repeat(65) }, 'participantId must be at most 64 characters'],
    [{ stageArn: STAGES.main.arn, participantId: 'Nobody000000', reason: 7 }, 'reason'],
  ])('DisconnectParticipant with %o is a ValidationException naming %s', async (input, problem) => {
    const refused = await signedPost(`${a.server.issuer}/aws/ivs-realtime/DisconnectParticipant`, JSON.stringify(input), { service: 'ivs', client: MODERATOR });
    expect(refused).toMatchObject({ status: 400, errorType: 'ValidationException' });
    expect(String(refused.body.exceptionMessage)).toContain(problem);
  });

  it('every Admin API answer matches its document', async () => {
    expect((await a.admin.put('/participants/Nobody000000', { capabilities: ['SUBSCRIBE'] })).status).toBe(404);
    expect((await a.admin.put(`/participants/${id}`, { capabilities: ['SUBSCRIBE'] }, { 'if-match': '"stale"' })).status).toBe(412);
    expectAnswersMatch(await validatedDocument(a.server.issuer), a.log);
  });
});
