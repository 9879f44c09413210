import { randomUUID } from 'node:crypto';

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/observability/logger.js';
import { ADMIN_CLIENTS, adminApi, adminToken, CLIENTS_WITH_ADMINS, type AdminAnswer } from '../support/admin.js';
import { authorizationCodeTokens } from '../support/flows.js';
import { JWT_BEARER_GRANT, LICENSE_CLIENTS, LICENSE_GRANT, LICENSES, mint } from '../support/minters.js';
import { expectAnswersMatch, validatedDocument, type LoggedAnswer } from '../support/openapi.js';
import { CLIENTS, keysIn, newKeysDir, startStagepass, uniqueRedisPrefix, type RunningStagepass } from '../support/stagepass.js';

const PROMOTE_AFTER_SECONDS = 600;
const licenseClient = LICENSE_CLIENTS.other;

/** Every answer of the Admin API below, checked against the OpenAPI document at the end. */
const answers: LoggedAnswer[] = [];
type LogLine = Record<string, unknown>;
const lines: LogLine[] = [];
const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });

let a: RunningStagepass;
let b: RunningStagepass;
let adminOnA: ReturnType<typeof adminApi>;
let adminOnB: ReturnType<typeof adminApi>;

beforeAll(async () => {
  const keysDir = await newKeysDir();
  const shared = {
    keysDir,
    redis: { keyPrefix: uniqueRedisPrefix() },
    config: (dir: string) => ({
      keys: { ...keysIn(dir), promoteAfterSeconds: PROMOTE_AFTER_SECONDS },
      licenses: [{ arn: LICENSES.large, maxTokens: 1000 }],
      clients: [...CLIENTS_WITH_ADMINS, licenseClient],
    }),
  };
  a = await startStagepass({ ...shared, logger });
  b = await startStagepass(shared);
  adminOnA = adminApi(a.issuer, await adminToken(a.issuer), answers);
  adminOnB = adminApi(b.issuer, await adminToken(b.issuer, 'reader'), answers);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

interface ListedKey { kid: string; alg: string; use: string; status: string; next_since: string; current_since: string; retired_since?: string; published_until?: string }

/** The keys /jwks publishes, without the PS384 form of each RS256 key (which signs leases and rotates with it). */
const publishedKids = async (server: RunningStagepass) =>
  ((await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: JWK[] }).keys.filter((key) => key.alg !== 'PS384').map((key) => key.kid);
const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const licenseToken = async (server: RunningStagepass) => {
  const response = await mint(server.issuer, licenseClient, LICENSE_GRANT, { license_arn: LICENSES.large, client_token: randomUUID() });
  return (response.body.license_token as { Token: string }).Token;
};

describe('signing keys through the Admin API', () => {
  it('lists the keys of the JWKS file as current, public parts only', async () => {
    const listed = await adminOnB.get('/keys');
    expect(listed.status).toBe(200);
    const items = listed.body.items as ListedKey[];
    expect(items.map(({ alg, use, status }) => ({ alg, use, status }))).toEqual([
      { alg: 'ES256', use: 'sig', status: 'current' },
      { alg: 'RS256', use: 'sig', status: 'current' },
    ]);
    expect(items.map((key) => key.kid)).toEqual(await publishedKids(b));
    expect(Object.keys(items[0]!).sort()).toEqual(['alg', 'current_since', 'kid', 'next_since', 'status', 'use']);
  });

  it('a rotation on one instance is published by the other at once, signs on both after promoteAfterSeconds, and the old keys verify and exchange meanwhile', async () => {
    const before = (await adminOnB.get('/keys')).body.items as ListedKey[];
    const oldLicense = await licenseToken(a);

    const rotated = await adminOnA.post('/keys/rotate');
    expect(rotated.status).toBe(201);
    const added = rotated.body.items as ListedKey[];
    expect(added.map(({ alg, status }) => `${alg}:${status}`)).toEqual(['ES256:next', 'RS256:next']);
    expect(Date.parse(added[0]!.current_since) - Date.parse(added[0]!.next_since)).toBe(PROMOTE_AFTER_SECONDS * 1000);
    await expect.poll(() => publishedKids(b), { timeout: 1000, interval: 50 }).toEqual(expect.arrayContaining(added.map((key) => key.kid)));

    const onB = (await adminOnB.get('/keys')).body.items as ListedKey[];
    for (const old of before) {
      // Still signing until the promotion, which retires it.
      expect(onB.find((key) => key.kid === old.kid)).toMatchObject({ status: 'current', retired_since: added[0]!.current_since });
    }

    for (const server of [a, b]) {
      server.clock.advance(PROMOTE_AFTER_SECONDS * 1000);
      await server.stagepass.signingKeys.refresh();
    }
    // Each instance says when its signing keys change.
    expect(lines.filter((line) => line.message === 'signing keys changed').at(-1)).toMatchObject({ signing: added.map((key) => key.kid) });
    const statuses = ((await adminOnB.get('/keys')).body.items as ListedKey[]).map(({ kid, status }) => ({ kid, status }));
    expect(statuses).toEqual([...added.map(({ kid }) => ({ kid, status: 'current' })), ...before.map(({ kid }) => ({ kid, status: 'retired' }))]);

    const { tokens } = await authorizationCodeTokens(b.issuer, 'confidential', 'openid');
    expect(kidOf(tokens.id_token!)).toBe(added[1]!.kid);
    await expect(jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${a.issuer}/jwks`)), { audience: CLIENTS.confidential.client_id })).resolves.toBeDefined();
    const newLicense = await licenseToken(b);
    expect(kidOf(newLicense)).toBe(added[0]!.kid);
    expect((await mint(a.issuer, licenseClient, JWT_BEARER_GRANT, { assertion: oldLicense })).status).toBe(200);
  });

  it('each rotation is one admin_change event naming the acting client and the new kids, and no key material', async () => {
    const rotated = await adminOnA.post('/keys/rotate');
    const kids = (rotated.body.items as ListedKey[]).map((key) => key.kid);
    const events = lines.filter((line) => line.audit === 'admin_change' && line.resource === 'keys');
    expect(events.at(-1)).toMatchObject({ clientId: ADMIN_CLIENTS.admin.client_id, resource: 'keys', id: kids.join(','), action: 'rotate' });
    const privateParts = a.stagepass.signingKeys.publishedJwks().keys.flatMap((jwk) => [jwk.d, jwk.p, jwk.q]).filter(Boolean);
    const logged = JSON.stringify(lines);
    for (const secret of privateParts) expect(logged).not.toContain(secret);
  });

  it('a second rotation asked for while one is under way on the instance is refused with 409, and adds no keys', async () => {
    const before = await publishedKids(a);
    const answers = await Promise.all([adminOnA.post('/keys/rotate'), adminOnA.post('/keys/rotate')]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    const refused = answers.find((answer) => answer.status === 409)!;
    expect(refused.body).toEqual({ error: 'conflict', error_description: 'a rotation is under way on this instance; try again once it is done' });
    await a.stagepass.signingKeys.refresh();
    const added = answers.find((answer) => answer.status === 201)!.body.items as ListedKey[];
    expect((await publishedKids(a)).filter((kid) => !before.includes(kid))).toEqual(added.map((key) => key.kid));
  });

  it('a token with only stagepass:admin:read lists the keys but may not rotate them; no token may do neither', async () => {
    expect((await adminOnB.get('/keys')).status).toBe(200);
    const refused = await adminOnB.post('/keys/rotate');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('insufficient_scope');
    const anonymous = adminApi(b.issuer, undefined, answers);
    for (const answer of [await anonymous.get('/keys'), await anonymous.post('/keys/rotate')]) {
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('invalid_token');
    }
  });

  it('a retired key withdrawn on one instance leaves /jwks on the other, and what it signed verifies no more; a signing or unknown key is not withdrawn', async () => {
    const oldLicense = await licenseToken(b);
    const { tokens: oldTokens } = await authorizationCodeTokens(a.issuer, 'confidential', 'openid');
    const [oldEs256, oldRs256] = [kidOf(oldLicense)!, kidOf(oldTokens.id_token!)!];
    const signing = await adminOnA.delete(`/keys/${oldEs256}`);
    expect(signing.status).toBe(409);
    expect(signing.body.error_description).toBe(`key ${oldEs256} is signing: rotate the keys first, and withdraw it once it is retired`);

    await adminOnA.post('/keys/rotate');
    for (const server of [a, b]) {
      server.clock.advance(PROMOTE_AFTER_SECONDS * 1000);
      await server.stagepass.signingKeys.refresh();
    }
    expect((await mint(b.issuer, licenseClient, JWT_BEARER_GRANT, { assertion: oldLicense })).status).toBe(200);
    await expect(jwtVerify(oldTokens.id_token!, createRemoteJWKSet(new URL(`${b.issuer}/jwks`)))).resolves.toBeDefined();
    expect((await adminOnB.delete(`/keys/${oldEs256}`)).status).toBe(403);

    for (const kid of [oldEs256, oldRs256]) expect((await adminOnA.delete(`/keys/${kid}`)).status).toBe(204);
    expect(lines.filter((line) => line.audit === 'admin_change' && line.resource === 'keys').slice(-2)).toEqual([
      expect.objectContaining({ clientId: ADMIN_CLIENTS.admin.client_id, id: oldEs256, action: 'delete' }),
      expect.objectContaining({ clientId: ADMIN_CLIENTS.admin.client_id, id: oldRs256, action: 'delete' }),
    ]);
    await expect.poll(async () => (await publishedKids(b)).includes(oldEs256), { timeout: 1000, interval: 50 }).toBe(false);
    expect(await publishedKids(b)).not.toContain(oldRs256);
    const exchanged = await mint(b.issuer, licenseClient, JWT_BEARER_GRANT, { assertion: oldLicense });
    expect(exchanged.status).toBe(400);
    expect(exchanged.body.error).toBe('invalid_grant');
    await expect(jwtVerify(oldTokens.id_token!, createRemoteJWKSet(new URL(`${b.issuer}/jwks`)))).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    // What the keys that sign now signed is untouched.
    expect((await mint(b.issuer, licenseClient, JWT_BEARER_GRANT, { assertion: await licenseToken(b) })).status).toBe(200);

    const again = await adminOnA.delete(`/keys/${oldEs256}`);
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ error: 'not_found', error_description: `a published key ${oldEs256} does not exist` });
  });

  it('rotations that would publish more than 20 keys of an algorithm are refused with 409, saying when the first of them leaves', async () => {
    const promoteAfterSeconds = 120;
    const alone = await startStagepass({ config: (dir: string) => ({ keys: { ...keysIn(dir), promoteAfterSeconds }, clients: CLIENTS_WITH_ADMINS }) });
    try {
      let refused: AdminAnswer | undefined;
      // Each promoted before the next: every rotation retires keys that stay published an hour and a minute.
      for (let rotation = 0; rotation < 30 && refused === undefined; rotation += 1) {
        // A token of its own each time: the moved clock expires the previous one.
        const answer = await adminApi(alone.issuer, await adminToken(alone.issuer), answers).post('/keys/rotate');
        if (answer.status !== 201) refused = answer;
        alone.clock.advance(promoteAfterSeconds * 1000);
        await alone.stagepass.signingKeys.refresh();
      }
      expect(refused?.status).toBe(409);
      expect(refused?.body).toEqual({ error: 'conflict', error_description: expect.stringMatching(/more than 20 .*leaves the set at \d{4}-/) });
      expect((await publishedKids(alone)).length).toBeLessThanOrEqual(40);

      // An operator who cannot wait withdraws retired keys, and the rotation goes through.
      const admin = adminApi(alone.issuer, await adminToken(alone.issuer), answers);
      const retired = ((await admin.get('/keys')).body.items as ListedKey[]).filter((key) => key.status === 'retired');
      for (const alg of ['ES256', 'RS256']) expect((await admin.delete(`/keys/${retired.find((key) => key.alg === alg)!.kid}`)).status).toBe(204);
      expect((await admin.post('/keys/rotate')).status).toBe(201);
    } finally {
      await alone.close();
    }
  }, 90_000); // Twenty rotations each generate RSA keys: CPU-bound work, slow on a busy machine.

  it('the OpenAPI document describes the three calls, and every answer above matches it', async () => {
    const document = await validatedDocument(a.issuer);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/keys', '/keys/rotate', '/keys/{kid}']));
    expectAnswersMatch(document, answers);
  });
});
