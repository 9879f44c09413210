import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authorizationCodeTokens } from '../support/flows.js';
import {
  ACCESS_TOKEN_TYPE, JWT_BEARER_GRANT, LICENSE_CLIENTS, LICENSE_GRANT, LICENSES, mint, mintingNativeClient, ROLE,
} from '../support/minters.js';
import { basicAuth } from '../support/relying-party.js';
import { CLIENTS, newKeysDir, startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';

let server: RunningStagepass;
let keysDir: string;
let jwks: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  keysDir = await newKeysDir();
  server = await startStagepass({
    keysDir,
    config: {
      licenses: [{ arn: LICENSES.small, maxTokens: 3 }, { arn: LICENSES.large, maxTokens: 1000 }],
      clients: [CLIENTS.confidential, mintingNativeClient([LICENSE_GRANT, JWT_BEARER_GRANT], { license_arns: ['*'] }), ...Object.values(LICENSE_CLIENTS)],
    },
  });
  jwks = createLocalJWKSet(await (await fetch(`${server.issuer}/jwks`)).json() as { keys: JWK[] });
});
afterAll(() => server.close());

const { backend, other } = LICENSE_CLIENTS;
const createToken = (client: typeof backend, params: Record<string, string | string[]>) =>
  mint(server.issuer, client, LICENSE_GRANT, { client_token: randomUUID(), ...params });
const exchange = (client: typeof backend, assertion: string, params: Record<string, string | string[]> = {}) =>
  mint(server.issuer, client, JWT_BEARER_GRANT, { assertion, ...params });
const listTokens = async (client: typeof backend) => {
  const response = await fetch(`${server.issuer}/licenses/tokens`, { headers: basicAuth(client.client_id, client.client_secret) });
  return { status: response.status, body: (await response.json()) as { Tokens: Record<string, unknown>[] } };
};
const deleteToken = (client: typeof backend, tokenId: string) =>
  fetch(`${server.issuer}/licenses/tokens/${tokenId}`, { method: 'DELETE', headers: basicAuth(client.client_id, client.client_secret) });
const tokenOf = (response: { body: Record<string, unknown> }) => response.body.license_token as { TokenId: string; TokenType: string; Token: string };

describe('license refresh tokens', () => {
  it('a token verifies with the server\'s JWKS and carries the license as audience and the properties as amr', async () => {
    const response = await createToken(other, { license_arn: LICENSES.large, role_arns: ROLE, token_properties: ['seat:42', 'tier gold'] });
    expect(response.status).toBe(200);
    const license = tokenOf(response);
    expect(license.TokenType).toBe('REFRESH_TOKEN');
    expect(response.body).toMatchObject({ access_token: license.Token, token_type: 'N_A', issued_token_type: 'urn:ietf:params:oauth:token-type:jwt', expires_in: 365 * 86400 });
    const { payload, protectedHeader } = await jwtVerify(license.Token, jwks, { issuer: server.issuer, audience: LICENSES.large });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({ sub: other.client_id, amr: ['seat:42', 'tier gold'], roles: [ROLE], jti: license.TokenId });
    expect(payload.exp! - payload.iat!).toBe(365 * 86400);
    expect(license.Token.length).toBeLessThanOrEqual(4096);
  });

  it('the same client_token within ten minutes returns the identical TokenId and Token', async () => {
    const params = { license_arn: LICENSES.large, client_token: `retry-${randomUUID()}`, expiration_in_days: '30' };
    const first = await mint(server.issuer, other, LICENSE_GRANT, params);
    const again = await mint(server.issuer, other, LICENSE_GRANT, params);
    expect(tokenOf(again)).toEqual(tokenOf(first));
    const listed = (await listTokens(other)).body.Tokens.filter((t) => t.TokenId === tokenOf(first).TokenId);
    expect(listed).toHaveLength(1);
  });

  it('concurrent retries with one client_token end with one token, recorded and exchangeable by every one of them', async () => {
    const params = { license_arn: LICENSES.large, client_token: `race-${randomUUID()}` };
    const responses = await Promise.all(Array.from({ length: 5 }, () => mint(server.issuer, other, LICENSE_GRANT, params)));
    expect(new Set(responses.map((r) => tokenOf(r).TokenId)).size).toBe(1);
    expect((await listTokens(other)).body.Tokens.filter((t) => t.TokenId === tokenOf(responses[0]!).TokenId)).toHaveLength(1);
    for (const response of responses) expect((await exchange(other, tokenOf(response).Token)).status).toBe(200);
  });

  it('a retry after the token was deleted is refused rather than handed the dead token', async () => {
    const params = { license_arn: LICENSES.large, client_token: `deleted-${randomUUID()}` };
    const first = await mint(server.issuer, other, LICENSE_GRANT, params);
    expect((await deleteToken(other, tokenOf(first).TokenId)).status).toBe(204);
    const retry = await mint(server.issuer, other, LICENSE_GRANT, params);
    expect(retry.status).toBe(400);
    expect(retry.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('deleted') });
  });

  it('deleting a token twice frees one place only', async () => {
    const issued = await createToken(backend, { license_arn: LICENSES.small });
    expect((await deleteToken(backend, tokenOf(issued).TokenId)).status).toBe(204);
    expect((await deleteToken(backend, tokenOf(issued).TokenId)).status).toBe(204);
    const filled = await Promise.all(Array.from({ length: 4 }, () => createToken(backend, { license_arn: LICENSES.small })));
    expect(filled.filter((r) => r.status === 200)).toHaveLength(3);
    await Promise.all(filled.filter((r) => r.status === 200).map((r) => deleteToken(backend, tokenOf(r).TokenId)));
  });

  it('the same client_token with other parameters is refused', async () => {
    const clientToken = `conflict-${randomUUID()}`;
    await mint(server.issuer, other, LICENSE_GRANT, { license_arn: LICENSES.large, client_token: clientToken });
    const conflicting = await mint(server.issuer, other, LICENSE_GRANT, { license_arn: LICENSES.large, client_token: clientToken, expiration_in_days: '7' });
    expect(conflicting.status).toBe(400);
    expect(conflicting.body).toMatchObject({ error: 'invalid_request' });
    expect(conflicting.body.error_description).toContain('client_token');
  });

  it('a client_token is the client\'s own: another client using it gets its own token', async () => {
    const clientToken = `shared-${randomUUID()}`;
    const mine = await mint(server.issuer, backend, LICENSE_GRANT, { license_arn: LICENSES.small, client_token: clientToken });
    const theirs = await mint(server.issuer, other, LICENSE_GRANT, { license_arn: LICENSES.small, client_token: clientToken });
    expect(tokenOf(theirs).TokenId).not.toBe(tokenOf(mine).TokenId);
    await Promise.all([deleteToken(backend, tokenOf(mine).TokenId), deleteToken(other, tokenOf(theirs).TokenId)]);
  });

  it('more live tokens than the license allows is refused until one is deleted', async () => {
    const issued: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await createToken(backend, { license_arn: LICENSES.small });
      expect(response.status).toBe(200);
      issued.push(tokenOf(response).TokenId);
    }
    const over = await createToken(backend, { license_arn: LICENSES.small });
    expect(over.status).toBe(403);
    expect(over.body).toMatchObject({ error: 'resource_limit_exceeded' });
    expect((await deleteToken(backend, issued[0]!)).status).toBe(204);
    const afterDelete = await createToken(backend, { license_arn: LICENSES.small });
    expect(afterDelete.status).toBe(200);
    await Promise.all([...issued.slice(1), tokenOf(afterDelete).TokenId].map((id) => deleteToken(backend, id)));
  });

  it('a license outside the client\'s policy is refused with access_denied, an unknown one with invalid_target', async () => {
    const outside = await createToken(backend, { license_arn: LICENSES.large });
    expect(outside.status).toBe(403);
    expect(outside.body.error).toBe('access_denied');
    const unknown = await createToken(other, { license_arn: LICENSES.unconfigured });
    expect(unknown.body.error).toBe('invalid_target');
    // A client limited to some licenses learns nothing of the others.
    const unknownToLimited = await createToken(backend, { license_arn: LICENSES.unconfigured });
    expect(unknownToLimited.status).toBe(403);
    expect(unknownToLimited.body.error).toBe('access_denied');
  });

  it.each([
    ['license_arn', { client_token: 'x' }],
    ['license_arn', { license_arn: 'arn:aws:s3:::bucket', client_token: 'x' }],
    ['client_token', { license_arn: LICENSES.large }],
    ['client_token', { license_arn: LICENSES.large, client_token: 'has space' }],
    ['client_token', { license_arn: LICENSES.large, client_token: 'x'.repeat(2049) }],
    ['expiration_in_days', { license_arn: LICENSES.large, client_token: 'x', expiration_in_days: '0' }],
    ['expiration_in_days', { license_arn: LICENSES.large, client_token: 'x', expiration_in_days: '3651' }],
    ['token_properties', { license_arn: LICENSES.large, client_token: 'x', token_properties: ['a', 'b', 'c', 'd'] }],
    ['role_arns', { license_arn: LICENSES.large, client_token: 'x', role_arns: 'arn:aws:iam::123:user/bob' }],
  ])('a bad %s answers invalid_request naming it (%j)', async (field, params) => {
    const response = await mint(server.issuer, other, LICENSE_GRANT, params as Record<string, string>);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
    expect(response.body.error_description).toContain(field);
  });

  it('on behalf of a user, the token\'s subject is the signed-in user', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'native', 'openid');
    const response = await mint(server.issuer, CLIENTS.native, LICENSE_GRANT, {
      license_arn: LICENSES.large, client_token: randomUUID(), subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN_TYPE,
    });
    const { payload } = await jwtVerify(tokenOf(response).Token, jwks, { issuer: server.issuer });
    expect(payload.sub).toBe(USERS.alice.sub);
  });
});

describe('exchanging a license token for an access token', () => {
  it('returns a one-hour JWT access token with the same audience, properties and roles', async () => {
    const license = tokenOf(await createToken(other, { license_arn: LICENSES.large, role_arns: ROLE, token_properties: ['seat:1', 'seat:2'] }));
    const response = await exchange(other, license.Token);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const token = String(response.body.access_token);
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    const { payload } = await jwtVerify(token, jwks, { issuer: server.issuer, audience: LICENSES.large });
    expect(payload).toMatchObject({ amr: ['seat:1', 'seat:2'], roles: [ROLE], sub: other.client_id, client_id: other.client_id, token_id: license.TokenId });
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it('token_properties narrows the access token to some of the token\'s properties, never others', async () => {
    const license = tokenOf(await createToken(other, { license_arn: LICENSES.large, token_properties: ['seat:1', 'seat:2'] }));
    const narrowed = await exchange(other, license.Token, { token_properties: 'seat:2' });
    const { payload } = await jwtVerify(String(narrowed.body.access_token), jwks);
    expect(payload.amr).toEqual(['seat:2']);
    const widened = await exchange(other, license.Token, { token_properties: 'seat:3' });
    expect(widened.status).toBe(400);
    expect(widened.body.error_description).toContain('seat:3');
  });

  it('a deleted token is refused with invalid_grant', async () => {
    const license = tokenOf(await createToken(other, { license_arn: LICENSES.large }));
    expect((await deleteToken(other, license.TokenId)).status).toBe(204);
    const response = await exchange(other, license.Token);
    expect(response.body.error).toBe('invalid_grant');
  });

  it('another client\'s token is refused with invalid_grant', async () => {
    const license = tokenOf(await createToken(other, { license_arn: LICENSES.small }));
    const response = await exchange(backend, license.Token);
    expect(response.body.error).toBe('invalid_grant');
    await deleteToken(other, license.TokenId);
  });

  it('a forged token is refused with invalid_grant', async () => {
    const license = tokenOf(await createToken(other, { license_arn: LICENSES.large }));
    const [header, payload] = license.Token.split('.');
    const tampered = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    tampered.roles = ['arn:aws:iam::123456789012:role/Admin'];
    const forged = `${header}.${Buffer.from(JSON.stringify(tampered)).toString('base64url')}.${license.Token.split('.')[2]}`;
    expect((await exchange(other, forged)).body.error).toBe('invalid_grant');
    expect((await exchange(other, 'not-a-jwt')).body.error).toBe('invalid_grant');
  });

  it('an expired token is refused with invalid_grant', async () => {
    const license = tokenOf(await createToken(other, { license_arn: LICENSES.large }));
    const { payload } = await jwtVerify(license.Token, jwks);
    // The same token, signed by the same key, with its lifetime over.
    const serverJwks = JSON.parse(await readFile(join(keysDir, 'jwks.json'), 'utf8')) as { keys: JWK[] };
    const es256 = serverJwks.keys.find((k) => k.alg === 'ES256')!;
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ ...payload, iat: now - 7200, exp: now - 3600 })
      .setProtectedHeader({ alg: 'ES256', kid: es256.kid!, typ: 'JWT' })
      .sign(await importJWK(es256, 'ES256'));
    expect((await exchange(other, expired)).body.error).toBe('invalid_grant');
  });

  it('a missing assertion answers invalid_request', async () => {
    const response = await mint(server.issuer, other, JWT_BEARER_GRANT, {});
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
    expect(response.body.error_description).toContain('assertion');
  });

  it('an assertion sent twice is refused rather than one of them picked', async () => {
    const response = await mint(server.issuer, other, JWT_BEARER_GRANT, { assertion: ['one', 'two'] });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_request', error_description: 'assertion must be sent once' });
  });
});

describe('listing and deleting license tokens', () => {
  it('lists the calling client\'s tokens as metadata, never the token itself', async () => {
    const license = tokenOf(await createToken(other, { license_arn: LICENSES.large, role_arns: ROLE, token_properties: 'p1' }));
    const { status, body } = await listTokens(other);
    expect(status).toBe(200);
    const entry = body.Tokens.find((t) => t.TokenId === license.TokenId);
    expect(entry).toEqual({
      TokenId: license.TokenId, TokenType: 'REFRESH_TOKEN', LicenseArn: LICENSES.large, ExpirationTime: expect.any(String),
      TokenProperties: ['p1'], RoleArns: [ROLE], Status: 'AVAILABLE',
    });
    expect(JSON.stringify(body)).not.toContain(license.Token);
    expect((await listTokens(backend)).body.Tokens.some((t) => t.TokenId === license.TokenId)).toBe(false);
  });

  it('a deleted token is listed as DELETED', async () => {
    const license = tokenOf(await createToken(other, { license_arn: LICENSES.large }));
    await deleteToken(other, license.TokenId);
    const entry = (await listTokens(other)).body.Tokens.find((t) => t.TokenId === license.TokenId);
    expect(entry?.Status).toBe('DELETED');
  });

  it('deleting another client\'s token or an unknown one answers 404 and deletes nothing', async () => {
    const license = tokenOf(await createToken(other, { license_arn: LICENSES.large }));
    expect((await deleteToken(backend, license.TokenId)).status).toBe(404);
    expect((await deleteToken(other, 'no-such-token')).status).toBe(404);
    expect((await exchange(other, license.Token)).status).toBe(200);
  });

  it('listing without client authentication answers 401 invalid_client', async () => {
    const anonymous = await fetch(`${server.issuer}/licenses/tokens`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as Record<string, unknown>).error).toBe('invalid_client');
    const wrong = await fetch(`${server.issuer}/licenses/tokens`, { headers: basicAuth(other.client_id, 'wrong-secret') });
    expect(wrong.status).toBe(401);
  });
});
