import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { ADMIN_CLIENTS, adminApi, adminToken } from '../support/admin.js';
import { freePort } from '../support/free-port.js';
import { IVS_GRANT, ivsConfig, mint, mintingNativeClient, MINTING_CLIENTS, STAGES } from '../support/minters.js';
import { CLIENTS, newKeysDir, startStagepass, type RunningStagepass } from '../support/stagepass.js';

const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const AUDIENCE = 'stagepass';

/** An identity provider of the organization's: its JWKS on loopback, keys added as it rotates them. */
async function identityProvider() {
  const keys: JWK[] = [];
  const server: Server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(request.url === '/.well-known/openid-configuration' ? { issuer, jwks_uri: `${issuer}/jwks` } : { keys }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const addKey = async (kid: string) => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    keys.push({ ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' });
    return { ...pair, kid };
  };
  return { issuer, server, addKey };
}

type IdP = Awaited<ReturnType<typeof identityProvider>>;
type SigningKey = Awaited<ReturnType<IdP['addKey']>>;

const now = () => Math.floor(Date.now() / 1000);

function tokenOf(idp: IdP, key: SigningKey, claims: Record<string, unknown> = {}, { alg = 'RS256' } = {}) {
  return new SignJWT({ iss: idp.issuer, sub: 'bob', aud: AUDIENCE, iat: now(), exp: now() + 600, groups: ['corp-hosts', 'corp-staff'], ...claims })
    .setProtectedHeader({ alg, kid: key.kid })
    .sign(key.privateKey);
}

/** A hand-made JWT, for what SignJWT will not produce (no signature, no exp). */
function unsignedToken(header: Record<string, unknown>, payload: Record<string, unknown>, signature = '') {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(payload)}.${signature}`;
}

const GROUPS = {
  '*': { ivs_stage_arns: [STAGES.main.arn], ivs_capabilities: ['SUBSCRIBE'] },
  hosts: { ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'] },
};
const app = mintingNativeClient([IVS_GRANT], { ivs_stage_arns: ['*'], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'] });

describe.each([['memory', false], ['Redis', true]] as const)('subject tokens of trusted issuers, on the %s store', (_store, redis) => {
  let idp: IdP;
  let key: SigningKey;
  let server: RunningStagepass;
  let unreachable: string;

  beforeAll(async () => {
    idp = await identityProvider();
    key = await idp.addKey('key-1');
    unreachable = `http://127.0.0.1:${await freePort()}`;
    const keysDir = await newKeysDir();
    server = await startStagepass({
      redis,
      keysDir,
      config: {
        ivs: ivsConfig(keysDir),
        clients: [...Object.values(CLIENTS).filter((client) => client.client_id !== app.client_id), app, MINTING_CLIENTS.stageBackend, ADMIN_CLIENTS.admin],
        groups: GROUPS,
        // Many refusals in a row from this one address, which the failed-grants limit would otherwise cut short.
        limits: { failedGrantsPerSecondPerAddress: 10_000 },
        trustedIssuers: [
          // Its keys found through its discovery document.
          { id: 'corp', issuer: idp.issuer, audience: AUDIENCE, groupMap: { 'corp-hosts': 'hosts' } },
          { id: 'down', issuer: `${unreachable}/down`, audience: AUDIENCE, jwksUri: `${unreachable}/jwks` },
          { id: 'partner', issuer: `${idp.issuer}/partner`, audience: AUDIENCE, jwksUri: `${idp.issuer}/jwks`, clients: [MINTING_CLIENTS.stageBackend.client_id] },
        ],
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    idp?.server.close();
  });

  const mintFor = (token: string, params: Record<string, string> = {}, client: { client_id: string; client_secret?: string } = app) =>
    mint(server.issuer, client, IVS_GRANT, { stage_arn: STAGES.main.arn, subject_token: token, subject_token_type: JWT_TYPE, ...params });

  it('a valid token mints for its person, `<id>:<sub>`, with the rights of the groups it maps to', async () => {
    const response = await mintFor(await tokenOf(idp, key), { capabilities: 'PUBLISH' });
    expect(response.status).toBe(200);
    expect(response.body.participant_token).toMatchObject({ userId: 'corp:bob', capabilities: ['PUBLISH'] });
  });

  it('groups the map does not name are dropped: a token without corp-hosts gets what everyone gets', async () => {
    const response = await mintFor(await tokenOf(idp, key, { groups: 'corp-staff admins' }), { capabilities: 'PUBLISH' });
    expect(response.status).toBe(403);
    expect((await mintFor(await tokenOf(idp, key, { groups: 'corp-staff' }))).body.participant_token).toMatchObject({ capabilities: ['SUBSCRIBE'] });
  });

  it('an ID token of the issuer is taken as well, by its own type', async () => {
    const response = await mintFor(await tokenOf(idp, key), { subject_token_type: ID_TOKEN_TYPE });
    expect(response.status).toBe(200);
  });

  it.each([
    ['an expired token', async () => tokenOf(idp, key, { exp: now() - 120 }), /expired/],
    ['a token for another audience', async () => tokenOf(idp, key, { aud: 'someone-else' }), /\(aud\)/],
    ['a token of an unknown issuer', async () => tokenOf(idp, key, { iss: 'https://evil.example' }), /trusted issuer/],
    ['a token without exp', async () => unsignedToken({ alg: 'RS256', kid: 'key-1' }, { iss: idp.issuer, sub: 'bob', aud: AUDIENCE, iat: now() }, 'c2ln'), /exp|signature/],
    ['a token issued longer ago than the issuer\'s maximum age', async () => tokenOf(idp, key, { iat: now() - 7200, exp: now() + 600 }), /\(iat\)/],
    ['alg: none', async () => unsignedToken({ alg: 'none' }, { iss: idp.issuer, sub: 'bob', aud: AUDIENCE, iat: now(), exp: now() + 600 }), /alg|not a valid JWT/],
    ['an HS256 token keyed with the public key', async () => {
      const secret = new TextEncoder().encode(JSON.stringify(await exportJWK(key.publicKey)));
      return new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid: 'key-1' }).setIssuer(idp.issuer).setSubject('bob').setAudience(AUDIENCE)
        .setIssuedAt().setExpirationTime('10m').sign(secret);
    }, /\(alg\)/],
    ['a forged signature', async () => {
      const forger = await generateKeyPair('RS256');
      return tokenOf(idp, { ...key, privateKey: forger.privateKey });
    }, /signature/],
    ['a token not a JWT at all', async () => 'not-a-jwt', /not a JWT/],
  ])('%s is refused with invalid_grant saying which check failed', async (_case, make, description) => {
    const response = await mintFor(await make());
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(description) });
  });

  it('a person whose subject holds spaces and letters beyond ASCII can be banned, and the ban refuses them', async () => {
    const sub = 'Zoë Müller';
    expect((await mintFor(await tokenOf(idp, key, { sub }))).body.participant_token).toMatchObject({ userId: `corp:${sub}` });
    const admin = adminApi(server.issuer, await adminToken(server.issuer));
    expect((await admin.put(`/bans/${encodeURIComponent(`corp:${sub}`)}`, { resources: ['*'], reason: 'testing' })).status).toBe(201);
    const refused = await mintFor(await tokenOf(idp, key, { sub }));
    expect(refused.status).toBe(403);
    expect(refused.body.error_description).toMatch(/banned .*: testing$/);
    expect((await mintFor(await tokenOf(idp, key))).status).toBe(200);
  });

  it.each([
    ['of 256 characters', 'x'.repeat(256), 'subject_token\'s sub must be 1 to 255 characters'],
    ['with a control character', 'bob\u0000', 'subject_token\'s sub must not contain control characters'],
  ])('a token with a sub %s, which no person here can have, is refused with invalid_grant naming sub', async (_case, sub, description) => {
    const response = await mintFor(await tokenOf(idp, key, { sub }));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_grant', error_description: description });
  });

  it('an issuer limited to some clients refuses its tokens from any other client', async () => {
    const partnerToken = await tokenOf(idp, key, { iss: `${idp.issuer}/partner` });
    expect((await mintFor(partnerToken, {}, MINTING_CLIENTS.stageBackend)).status).toBe(200);
    const refused = await mintFor(partnerToken);
    expect(refused.status).toBe(400);
    expect(refused.body.error_description).toContain('may not be presented by client');
  });

  it('an issuer whose keys cannot be fetched answers 503 temporarily_unavailable, with Retry-After', async () => {
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: IVS_GRANT, client_id: app.client_id, stage_arn: STAGES.main.arn, subject_token_type: JWT_TYPE,
        subject_token: await tokenOf(idp, key, { iss: `${unreachable}/down` }),
      }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('a key the issuer adds after start is used once it is published (looked for again at most every 30 seconds)', async () => {
    expect((await mintFor(await tokenOf(idp, key))).status).toBe(200);
    const rotated = await idp.addKey(`key-${Math.random()}`);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });
    try {
      const response = await mintFor(await tokenOf(idp, rotated));
      expect(response.status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });
});
