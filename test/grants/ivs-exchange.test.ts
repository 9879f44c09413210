import { generateKeyPairSync } from 'node:crypto';

import { importSPKI, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { IVS_GRANT, mint, MINTING_CLIENTS, STAGES } from '../support/minters.js';
import { GROUPS, PEOPLE } from '../support/people.js';
import { STAGE_APP, startStagesServer } from '../support/stages.js';

/** Claims IVS's exchangeToken requires unchanged. */
const IMMUTABLE = ['topic', 'resource', 'jti', 'whip_url', 'events_url'] as const;

/** Another backend allowed on the main stage: it did not mint the participants of these tests. */
const OTHER_BACKEND = { ...MINTING_CLIENTS.stageBackend, client_id: 'other-backend', client_secret: 'other-backend-secret-0123456789' };

describe.each([['memory', false], ['Redis', true]] as const)('exchanging a participant token, on the %s store', (_store, redis) => {
  let stages: Awaited<ReturnType<typeof startStagesServer>>;
  let ivsKey: CryptoKey;
  beforeAll(async () => {
    // hosts is made through the Admin API below, so that a test may take a right from it.
    stages = await startStagesServer({ redis, config: { clients: [OTHER_BACKEND], groups: { '*': GROUPS['*'] } } });
    expect((await stages.admin.put('/groups/hosts', GROUPS.hosts)).status).toBe(201);
    ivsKey = await importSPKI(((await (await fetch(`${stages.server.issuer}/ivs/public-key`)).json()) as { pem: string }).pem, 'ES384');
  });
  afterAll(() => stages?.server.close());

  const backend = MINTING_CLIENTS.stageBackend;
  const verify = async (answer: { body: any }) => (await jwtVerify(String(answer.body.access_token), ivsKey, { algorithms: ['ES384'] })).payload;
  const exchange = (client: { client_id: string; client_secret?: string }, token: string, params: Record<string, string | string[]> = {}) =>
    mint(stages.server.issuer, client, IVS_GRANT, { participant_token: String(token), ...params });
  const tokenOf = (answer: { body: any }) => String(answer.body.access_token);
  const expectSameParticipant = (before: JWTPayload, after: JWTPayload) => {
    for (const claim of IMMUTABLE) expect(after[claim]).toBe(before[claim]);
  };

  it('the same participant gets a new token: the claims IVS requires unchanged are, capabilities and expiry are new', async () => {
    const first = await mint(stages.server.issuer, backend, IVS_GRANT, { stage_arn: STAGES.main.arn, user_id: 'guest-1', duration: '60' });
    stages.server.clock.advance(5_000);
    const second = await exchange(backend, tokenOf(first), { capabilities: 'SUBSCRIBE', duration: '10', attributes: '{"role":"viewer"}' });
    expect(second.status).toBe(200);
    const [before, after] = [await verify(first), await verify(second)];
    expectSameParticipant(before, after);
    expect(after).toMatchObject({ user_id: 'guest-1', capabilities: { allow_subscribe: true }, attributes: { role: 'viewer' } });
    expect(after.capabilities).not.toHaveProperty('allow_publish');
    expect(after.iat).toBeGreaterThan(before.iat!);
    expect(after.exp).toBe(after.iat! + 600);
    expect(second.body.participant_token).toMatchObject({ participantId: before.jti, capabilities: ['SUBSCRIBE'], duration: 10 });
    expect((await stages.admin.get(`/participants/${before.jti}`)).body).toMatchObject({
      capabilities: ['SUBSCRIBE'], attributes: { role: 'viewer' }, expires_at: new Date(after.exp! * 1000).toISOString(), live: true,
    });
  });

  it('without capabilities, attributes or duration the participant keeps its own, and an exchanged token exchanges again', async () => {
    const first = await mint(stages.server.issuer, backend, IVS_GRANT, { stage_arn: STAGES.main.arn, capabilities: 'PUBLISH', attributes: '{"seat":"A1"}', duration: '30' });
    const second = await exchange(backend, tokenOf(first));
    const third = await exchange(backend, tokenOf(second));
    expect(third.status).toBe(200);
    const [before, after] = [await verify(first), await verify(third)];
    expectSameParticipant(before, after);
    expect(after).toMatchObject({ capabilities: { allow_publish: true }, attributes: { seat: 'A1' } });
    expect(after.exp! - after.iat!).toBe(30 * 60);
  });

  it('without duration an exchange lasts as long as the token it exchanges, not the first one', async () => {
    const first = await mint(stages.server.issuer, backend, IVS_GRANT, { stage_arn: STAGES.main.arn, duration: '30' });
    const shorter = await exchange(backend, tokenOf(first), { duration: '10' });
    const after = await verify(await exchange(backend, tokenOf(shorter)));
    expect(after.exp! - after.iat!).toBe(10 * 60);
  });

  it('what a person\'s participant may hold is decided at each exchange, by their groups as they are now', async () => {
    const joined = await stages.join('host', { capabilities: 'PUBLISH SUBSCRIBE' });
    expect(joined.status).toBe(200);
    const hosts = await stages.admin.get('/groups/hosts');
    expect((await stages.admin.put('/groups/hosts', { ...GROUPS.hosts, ivs_capabilities: ['SUBSCRIBE'] }, { 'If-Match': hosts.headers.get('etag')! })).status).toBe(200);
    try {
      const kept = await exchange(STAGE_APP, tokenOf(joined), stages.asPerson('host'));
      expect(kept.status).toBe(200);
      expect((await verify(kept)).capabilities).toEqual({ allow_subscribe: true });
      const asked = await exchange(STAGE_APP, tokenOf(kept), { ...stages.asPerson('host'), capabilities: 'PUBLISH' });
      expect(asked.status).toBe(403);
      expect(asked.body).toMatchObject({ error: 'access_denied', error_description: expect.stringMatching(/may not hold PUBLISH/) });
    } finally {
      const changed = await stages.admin.get('/groups/hosts');
      await stages.admin.put('/groups/hosts', GROUPS.hosts, { 'If-Match': changed.headers.get('etag')! });
    }
    const again = await exchange(STAGE_APP, tokenOf(joined), { ...stages.asPerson('host'), capabilities: 'PUBLISH SUBSCRIBE' });
    expect((await verify(again)).capabilities).toEqual({ allow_publish: true, allow_subscribe: true });
  });

  it('only the client that minted the participant may exchange its token', async () => {
    const minted = await mint(stages.server.issuer, backend, IVS_GRANT, { stage_arn: STAGES.main.arn });
    const refused = await exchange(OTHER_BACKEND, tokenOf(minted));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_grant', error_description: 'the participant was minted by another client' });
  });

  it('a person\'s participant is exchanged only with that person\'s subject_token', async () => {
    const joined = await stages.join('viewer');
    const asOther = await exchange(STAGE_APP, tokenOf(joined), stages.asPerson('host'));
    expect(asOther.body).toEqual({ error: 'invalid_grant', error_description: 'the participant was minted for another person' });
    const withoutPerson = await exchange(STAGE_APP, tokenOf(joined));
    expect(withoutPerson.status).toBe(400);
    expect(withoutPerson.body.error_description).toMatch(/subject_token is required/);
  });

  it('a token signed by another key, or one that has expired, is not exchanged', async () => {
    const minted = await mint(stages.server.issuer, backend, IVS_GRANT, { stage_arn: STAGES.main.arn, duration: '1' });
    const claims = await verify(minted);
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES384', typ: 'JWT' }).sign(otherKey);
    const refusedForged = await exchange(backend, forged);
    expect(refusedForged.body).toEqual({ error: 'invalid_grant', error_description: 'participant_token is not an unexpired participant token of this server' });
    stages.server.clock.advance(61_000);
    const refusedLate = await exchange(backend, tokenOf(minted));
    expect(refusedLate.body.error).toBe('invalid_grant');
  });

  it('a banned person\'s participant is refused its next token, naming the ban', async () => {
    const joined = await stages.join('cohost');
    expect((await stages.admin.put(`/bans/${PEOPLE.cohost.sub}`, { resources: [STAGES.main.arn], reason: 'heckling' })).status).toBe(201);
    try {
      const refused = await exchange(STAGE_APP, tokenOf(joined), stages.asPerson('cohost'));
      expect(refused.status).toBe(403);
      expect(refused.body.error_description).toMatch(/banned .* heckling/);
    } finally {
      await stages.admin.delete(`/bans/${PEOPLE.cohost.sub}`);
    }
  });

  it.each([
    [{ stage_arn: STAGES.main.arn }, /stage_arn is not taken by an exchange/],
    [{ user_id: 'someone' }, /user_id is not taken by an exchange/],
    [{ capabilities: 'RECORD' }, /capabilities may only contain PUBLISH and SUBSCRIBE/],
    [{ duration: '20161' }, /duration must be an integer from 1 to 20160/],
    [{ attributes: '[1]' }, /attributes must be a JSON object/],
    [{ participant_token: ['a', 'b'] }, /participant_token must be sent once/],
  ])('an exchange with %o is refused naming the field', async (params, problem) => {
    const minted = await mint(stages.server.issuer, backend, IVS_GRANT, { stage_arn: STAGES.main.arn });
    const refused = await exchange(backend, tokenOf(minted), params);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(problem) });
  });

  it('a participant token that is not a JWT is refused as invalid_grant', async () => {
    const refused = await exchange(backend, 'not-a-token');
    expect(refused.body).toEqual({ error: 'invalid_grant', error_description: 'participant_token is not an unexpired participant token of this server' });
  });
});
