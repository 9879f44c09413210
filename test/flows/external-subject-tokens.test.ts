import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { ADMIN_CLIENTS, adminApi, adminToken } from '../support/admin.js';
import { freePort } from '../support/free-port.js';
import { MIB, OVERSIZE_SPELLINGS, sendPadded } from '../support/hostile-responses.js';
import {
  IVS_GRANT, ivsConfig, JWT_BEARER_GRANT, LICENSE_CLIENTS, LICENSE_GRANT, LICENSES, mint, mintingNativeClient, MINTING_CLIENTS, STAGES,
} from '../support/minters.js';
import { CLIENTS, newKeysDir, startStagepass, type RunningStagepass } from '../support/stagepass.js';

const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const AUDIENCE = 'stagepass';
const DISCOVERY_PATH = '/.well-known/openid-configuration';

type Handler = (request: IncomingMessage, response: ServerResponse) => unknown;

/**
 * An identity provider of the organization's: its JWKS on loopback, keys added as it rotates them.
 * Under any path `<prefix>` it is an issuer of its own too (`<prefix>/.well-known/openid-configuration`,
 * `<prefix>/jwks`); a test may have any path answer otherwise, and reads how often each was asked.
 */
async function identityProvider() {
  const keys: JWK[] = [];
  const answers = new Map<string, Handler>();
  const requests = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = request.url!;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const answer = answers.get(path);
    if (answer) return void answer(request, response);
    response.setHeader('content-type', 'application/json');
    const discovery = path.endsWith(DISCOVERY_PATH) ? path.slice(0, -DISCOVERY_PATH.length) : undefined;
    response.end(JSON.stringify(discovery !== undefined ? { issuer: `${issuer}${discovery}`, jwks_uri: `${issuer}${discovery}/jwks` } : { keys }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const addKey = async (kid: string, { publish = true } = {}) => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' };
    if (publish) keys.push(jwk);
    return { ...pair, kid, jwk };
  };
  return {
    issuer,
    server,
    addKey,
    keys,
    /** Has `path` answer with `handler`, or as it did at first when `handler` is undefined. */
    answer(path: string, handler: Handler | undefined) {
      if (handler) answers.set(path, handler);
      else answers.delete(path);
    },
    requestsFor: (path: string) => requests.get(path) ?? 0,
  };
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
  hosts: { ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'], license_arns: [LICENSES.small] },
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
        clients: [...Object.values(CLIENTS).filter((client) => client.client_id !== app.client_id), app, MINTING_CLIENTS.stageBackend, LICENSE_CLIENTS.other, ADMIN_CLIENTS.admin],
        licenses: [{ arn: LICENSES.small }],
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

  it('a license token minted for an issuer\'s person exchanges: they have no account here that could end', async () => {
    const minted = await mint(server.issuer, LICENSE_CLIENTS.other, LICENSE_GRANT, {
      license_arn: LICENSES.small, client_token: 'corp-bob', subject_token: await tokenOf(idp, key), subject_token_type: JWT_TYPE,
    });
    expect(minted.status).toBe(200);
    expect((await mint(server.issuer, LICENSE_CLIENTS.other, JWT_BEARER_GRANT, { assertion: String(minted.body.access_token) })).status).toBe(200);
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

const failing = (status: number): Handler => (_request, response) => {
  response.statusCode = status;
  response.end('{}');
};

/** Key sets that cannot be had, each its own issuer's (at `/<name>/jwks`, named in the configuration). */
const JWKS_FAULTS: Record<string, (idp: IdP) => Handler> = {
  'jwks-error': () => failing(500),
  'jwks-not-json': () => (_request, response) => response.end('<html>maintenance</html>'),
  'jwks-no-key-set': () => (_request, response) => response.end(JSON.stringify({ keys: 'none' })),
  'jwks-redirect': (idp) => (_request, response) => {
    response.writeHead(302, { location: `${idp.issuer}/jwks` });
    response.end();
  },
  ...Object.fromEntries(OVERSIZE_SPELLINGS.map((spelling) => [
    `jwks-oversized-${spelling.split(' ')[0]}`,
    (idp: IdP): Handler => (_request, response) => sendPadded(response, { keys: idp.keys }, 4 * MIB, spelling),
  ])),
};

/** Discovery documents that must not be followed, each its own issuer's (at `/<name>/.well-known/openid-configuration`). */
const DISCOVERY_FAULTS: Record<string, (idp: IdP) => Handler> = {
  // 0.0.0.0 reaches this machine as well as 127.0.0.1 does, but is no loopback name.
  'keys-over-plain-http': (idp) => json({ issuer: `${idp.issuer}/keys-over-plain-http`, jwks_uri: `${idp.issuer.replace('127.0.0.1', '0.0.0.0')}/keys-over-plain-http/jwks` }),
  'keys-not-a-url': (idp) => json({ issuer: `${idp.issuer}/keys-not-a-url`, jwks_uri: 'keys' }),
  'another-issuer': (idp) => json({ issuer: 'https://login.elsewhere.example', jwks_uri: `${idp.issuer}/jwks` }),
  'discovery-redirect': (idp) => (_request, response) => {
    response.writeHead(302, { location: `${idp.issuer}${DISCOVERY_PATH}` });
    response.end();
  },
  'discovery-oversized': (idp) => (_request, response) => sendPadded(
    response, { issuer: `${idp.issuer}/discovery-oversized`, jwks_uri: `${idp.issuer}/jwks` }, 4 * MIB, 'without a length',
  ),
};

function json(document: object): Handler {
  return (_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(document));
  };
}

describe.each([['memory', false], ['Redis', true]] as const)('trusted issuers whose documents cannot be trusted, on the %s store', (_store, redis) => {
  let idp: IdP;
  let key: SigningKey;
  let server: RunningStagepass;
  const issuerOf = (name: string) => `${idp.issuer}/${name}`;
  const tokenOfIssuer = (name: string, claims: Record<string, unknown> = {}, signingKey = key) => tokenOf(idp, signingKey, { iss: issuerOf(name), ...claims });

  beforeAll(async () => {
    idp = await identityProvider();
    key = await idp.addKey('key-1');
    for (const [name, fault] of Object.entries(JWKS_FAULTS)) idp.answer(`/${name}/jwks`, fault(idp));
    for (const [name, fault] of Object.entries(DISCOVERY_FAULTS)) idp.answer(`/${name}${DISCOVERY_PATH}`, fault(idp));
    const keysDir = await newKeysDir();
    const configured = (name: string) => ({ id: name, issuer: issuerOf(name), audience: AUDIENCE, jwksUri: `${issuerOf(name)}/jwks` });
    const discovered = (name: string) => ({ id: name, issuer: issuerOf(name), audience: AUDIENCE });
    server = await startStagepass({
      redis,
      keysDir,
      config: {
        ivs: ivsConfig(keysDir),
        clients: [...Object.values(CLIENTS).filter((client) => client.client_id !== app.client_id), app],
        limits: { failedGrantsPerSecondPerAddress: 10_000 },
        trustedIssuers: [
          discovered('corp'),
          ...Object.keys(JWKS_FAULTS).map(configured),
          ...Object.keys(DISCOVERY_FAULTS).map(discovered),
          configured('flaky-keys'),
          discovered('flaky-discovery'),
          discovered('moving'),
        ],
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    idp?.server.closeAllConnections();
    idp?.server.close();
  });

  const mintFor = (token: string) => mint(server.issuer, app, IVS_GRANT, { stage_arn: STAGES.main.arn, subject_token: token, subject_token_type: JWT_TYPE });
  const expectUnavailable = async (response: Awaited<ReturnType<typeof mintFor>>) => {
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ error: 'temporarily_unavailable', error_description: expect.stringContaining('keys') });
  };

  it.each(Object.keys(JWKS_FAULTS))('an issuer whose JWKS cannot be used (%s) answers 503 temporarily_unavailable, and others still mint', async (name) => {
    await expectUnavailable(await mintFor(await tokenOfIssuer(name)));
    expect((await mintFor(await tokenOfIssuer('corp'))).status).toBe(200);
  });

  it.each(Object.keys(DISCOVERY_FAULTS))('an issuer whose discovery cannot be followed (%s) answers 503 temporarily_unavailable, and others still mint', async (name) => {
    await expectUnavailable(await mintFor(await tokenOfIssuer(name)));
    expect((await mintFor(await tokenOfIssuer('corp'))).status).toBe(200);
  });

  it('a discovered jwks_uri over plain http off loopback is never fetched', async () => {
    await mintFor(await tokenOfIssuer('keys-over-plain-http'));
    expect(idp.requestsFor('/keys-over-plain-http/jwks')).toBe(0);
  });

  it.each([
    ['JWKS', 'flaky-keys', '/flaky-keys/jwks'],
    ['discovery document', 'flaky-discovery', `/flaky-discovery${DISCOVERY_PATH}`],
  ])('a %s that fails is asked again only after a pause, and used once it answers', async (_document, name, path) => {
    idp.answer(path, failing(500));
    await server.clock.stoppedDuring(async () => {
      await expectUnavailable(await mintFor(await tokenOfIssuer(name)));
      expect(idp.requestsFor(path)).toBe(1);
      idp.answer(path, undefined);
      await expectUnavailable(await mintFor(await tokenOfIssuer(name)));
      expect(idp.requestsFor(path)).toBe(1);

      server.clock.advance(1000);
      expect((await mintFor(await tokenOfIssuer(name))).status).toBe(200);
      expect(idp.requestsFor(path)).toBe(2);
    });
  });

  it('keys that move are found again through discovery once the JWKS it named stops answering', async () => {
    expect((await mintFor(await tokenOfIssuer('moving'))).status).toBe(200);
    const rotated = await idp.addKey('key-moved', { publish: false });
    idp.answer('/moving/jwks', failing(404));
    idp.answer(`/moving${DISCOVERY_PATH}`, json({ issuer: issuerOf('moving'), jwks_uri: `${issuerOf('moving')}/keys` }));
    idp.answer('/moving/keys', json({ keys: [rotated.jwk] }));
    // A kid not seen yet sends stagepass to the JWKS again, once its 30 seconds' wait is over.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });
    try {
      await expectUnavailable(await mintFor(await tokenOfIssuer('moving', {}, rotated)));
      server.clock.advance(1000);
      expect((await mintFor(await tokenOfIssuer('moving', {}, rotated))).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });
});
