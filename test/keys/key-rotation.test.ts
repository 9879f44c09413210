import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { KEY_RING_RECORD } from '../../src/keys/signing-key-ring.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { systemClock } from '../../src/time/clock.js';
import { authorizationCodeTokens } from '../support/flows.js';
import { JWT_BEARER_GRANT, LICENSE_CLIENTS, LICENSE_GRANT, LICENSES, mint } from '../support/minters.js';
import { CLIENTS, newKeysDir, startStagepass, uniqueRedisPrefix, type RunningStagepass } from '../support/stagepass.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const ID_TOKEN_LIFETIME_MS = HOUR_MS;
const DEFAULT_LICENSE_TOKEN_MS = 365 * DAY_MS;

const licenseClient = LICENSE_CLIENTS.other;
const keyPrefix = uniqueRedisPrefix();
let keysDir: string;
let a: RunningStagepass;
let b: RunningStagepass;

beforeAll(async () => {
  keysDir = await newKeysDir();
  const options = {
    keysDir,
    redis: { keyPrefix },
    config: { licenses: [{ arn: LICENSES.large, maxTokens: 1000 }], clients: [CLIENTS.confidential, licenseClient] },
  };
  a = await startStagepass(options);
  b = await startStagepass(options);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

/** The keys /jwks publishes, without the PS384 form of each RS256 key (which signs leases and rotates with it). */
const publishedKids = async (server: RunningStagepass) =>
  ((await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: JWK[] }).keys.filter((key) => key.alg !== 'PS384').map((key) => key.kid);
const jwksOf = async (server: RunningStagepass) => createLocalJWKSet(await (await fetch(`${server.issuer}/jwks`)).json() as { keys: JWK[] });

const idToken = async (server: RunningStagepass) => (await authorizationCodeTokens(server.issuer, 'confidential', 'openid')).tokens.id_token!;
const licenseToken = async (server: RunningStagepass) => {
  const response = await mint(server.issuer, licenseClient, LICENSE_GRANT, { license_arn: LICENSES.large, client_token: randomUUID() });
  expect(response.status).toBe(200);
  return (response.body.license_token as { Token: string }).Token;
};
const exchange = (server: RunningStagepass, assertion: string) => mint(server.issuer, licenseClient, JWT_BEARER_GRANT, { assertion });
const kidOf = (token: string) => decodeProtectedHeader(token).kid;

/** Both instances at the same moment later, each having looked at its keys since. */
async function bothMoveOn(ms: number): Promise<void> {
  for (const server of [a, b]) {
    server.clock.advance(ms);
    await server.stagepass.signingKeys.refresh();
  }
}

describe('rotating the signing keys on two instances sharing Redis', () => {
  it('publishes the next keys on the other instance at once, promotes them on both together and keeps the old ones verifying', async () => {
    const oldIdToken = await idToken(a);
    const oldLicenseToken = await licenseToken(a);
    const oldKids = { es256: kidOf(oldLicenseToken), rs256: kidOf(oldIdToken) };

    const rotated = await a.stagepass.signingKeys.rotate();
    expect(rotated.map(({ alg, status }) => ({ alg, status }))).toEqual([{ alg: 'ES256', status: 'next' }, { alg: 'RS256', status: 'next' }]);
    const newKids = { es256: rotated[0]!.kid, rs256: rotated[1]!.kid };
    await expect.poll(() => publishedKids(b), { timeout: 1000, interval: 50 }).toEqual(expect.arrayContaining([newKids.es256, newKids.rs256]));

    // Published, not yet signing.
    expect(kidOf(await licenseToken(b))).toBe(oldKids.es256);
    expect(kidOf(await idToken(b))).toBe(oldKids.rs256);

    await bothMoveOn(HOUR_MS);
    for (const server of [a, b]) {
      const signedId = await idToken(server);
      const signedLicense = await licenseToken(server);
      expect([kidOf(signedId), kidOf(signedLicense)]).toEqual([newKids.rs256, newKids.es256]);
      const remote = createRemoteJWKSet(new URL(`${b.issuer}/jwks`));
      await expect(jwtVerify(signedId, remote, { issuer: server.issuer, audience: CLIENTS.confidential.client_id })).resolves.toBeDefined();
      await expect(jwtVerify(signedLicense, await jwksOf(a), { issuer: server.issuer, audience: LICENSES.large })).resolves.toBeDefined();
      expect((await exchange(server, signedLicense)).status).toBe(200);
    }

    // Tokens of the retired keys still verify against the JWKS, and license tokens still exchange.
    await expect(jwtVerify(oldIdToken, await jwksOf(b), { issuer: a.issuer, audience: CLIENTS.confidential.client_id })).resolves.toBeDefined();
    await expect(jwtVerify(oldLicenseToken, await jwksOf(b), { issuer: a.issuer, audience: LICENSES.large })).resolves.toBeDefined();
    // Each instance here has an issuer of its own (its port), so a token exchanges where it was minted.
    const exchanged = await exchange(a, oldLicenseToken);
    expect(exchanged.status).toBe(200);
    expect(kidOf(exchanged.body.access_token as string)).toBe(newKids.es256);
  });

  it('a retired key leaves the JWKS only once every token it signed has expired', async () => {
    const before = await publishedKids(b);
    const rotated = await a.stagepass.signingKeys.rotate();
    await bothMoveOn(0);
    const [retiredEs256, retiredRs256] = a.stagepass.signingKeys.list().filter((key) => key.status === 'current' && !rotated.some((r) => r.kid === key.kid)).map((key) => key.kid);
    expect(before).toEqual(expect.arrayContaining([retiredEs256, retiredRs256]));

    await bothMoveOn(HOUR_MS + ID_TOKEN_LIFETIME_MS);
    expect(await publishedKids(b)).toEqual(expect.arrayContaining([retiredEs256, retiredRs256]));
    // The allowance for instances that learn of a rotation late.
    await bothMoveOn(60_000);
    expect(await publishedKids(b)).not.toContain(retiredRs256);
    expect(await publishedKids(b)).toContain(retiredEs256);

    // The ES256 key signed a license token of the default 365 days in the test before: it stays
    // until that expires (noted to the day), not the ten years a license token may be asked for.
    await bothMoveOn(DEFAULT_LICENSE_TOKEN_MS - 5 * DAY_MS);
    expect(await publishedKids(b)).toContain(retiredEs256);
    await bothMoveOn(6 * DAY_MS);
    expect(await publishedKids(b)).not.toContain(retiredEs256);
    expect(await publishedKids(b)).toEqual(expect.arrayContaining(rotated.map((key) => key.kid)));
  });
});

describe.each([['memory', false], ['Redis', true]] as const)('what a key signed decides how long it stays published (%s store)', (_store, redis) => {
  let server: RunningStagepass;
  beforeAll(async () => {
    server = await startStagepass({
      redis,
      config: { licenses: [{ arn: LICENSES.large, maxTokens: 1000 }], clients: [CLIENTS.confidential, licenseClient] },
    });
  });
  afterAll(() => server?.close());

  const rotateAndPromote = async () => {
    const [es256] = await server.stagepass.signingKeys.rotate();
    server.clock.advance(HOUR_MS);
    await server.stagepass.signingKeys.refresh();
    return es256!.kid;
  };
  const mintFor = (days: number) => mint(server.issuer, licenseClient, LICENSE_GRANT, {
    license_arn: LICENSES.large, client_token: randomUUID(), expiration_in_days: String(days),
  });

  it('a key that signed a license token stays published until that token expires; one that signed only hour-long tokens leaves an hour and a minute after it retires', async () => {
    const signedLicense = await rotateAndPromote();
    const thirtyDays = await mintFor(30);
    expect(kidOf((thirtyDays.body.license_token as { Token: string }).Token)).toBe(signedLicense);
    const signedAccessTokens = await rotateAndPromote();
    const exchanged = await exchange(server, (thirtyDays.body.license_token as { Token: string }).Token);
    expect(kidOf(exchanged.body.access_token as string)).toBe(signedAccessTokens);
    await rotateAndPromote();

    server.clock.advance(HOUR_MS + 61_000);
    await server.stagepass.signingKeys.refresh();
    expect(await publishedKids(server)).not.toContain(signedAccessTokens);
    expect(await publishedKids(server)).toContain(signedLicense);
    expect((await exchange(server, (thirtyDays.body.license_token as { Token: string }).Token)).status).toBe(200);

    server.clock.advance(31 * DAY_MS);
    await server.stagepass.signingKeys.refresh();
    expect(await publishedKids(server)).not.toContain(signedLicense);
  });
});

describe('the signing keys at rest', () => {
  it('the store holds every private key encrypted, none in clear', async () => {
    const store = new RedisStore({ url: inject('redisUrl'), keyPrefix, clock: systemClock });
    await store.connect();
    try {
      const record = (await store.getValue(KEY_RING_RECORD))!;
      const seeded = JSON.parse(await readFile(join(keysDir, 'jwks.json'), 'utf8')) as { keys: JWK[] };
      const privateKeys = [...seeded.keys, ...a.stagepass.signingKeys.publishedJwks().keys];
      expect(privateKeys.length).toBeGreaterThanOrEqual(4);
      for (const jwk of privateKeys) {
        for (const member of ['d', 'p', 'q'] as const) if (jwk[member]) expect(record).not.toContain(jwk[member]);
      }
    } finally {
      await store.close();
    }
  });

  it('an instance with another key-encryption key refuses to start, naming the file to share', async () => {
    const store = new RedisStore({ url: inject('redisUrl'), keyPrefix, clock: systemClock });
    await store.connect();
    try {
      await expect(startStagepass({ redis: { keyPrefix }, store })).rejects.toThrow(/do not decrypt with the key in .*key-encryption-key\.json: every instance sharing the store must use the same file/);
    } finally {
      await store.close();
    }
  });
});

describe('one instance on the memory store', () => {
  it('publishes and signs with the keys of its JWKS file, as before keys could rotate, and rotates them the same way', async () => {
    const ownKeys = await newKeysDir();
    const alone = await startStagepass({ keysDir: ownKeys, config: { clients: [CLIENTS.confidential] } });
    try {
      const seeded = JSON.parse(await readFile(join(ownKeys, 'jwks.json'), 'utf8')) as { keys: JWK[] };
      expect(await publishedKids(alone)).toEqual(seeded.keys.map((key) => key.kid));
      expect(kidOf(await idToken(alone))).toBe(seeded.keys.find((key) => key.alg === 'RS256')!.kid);

      const [, rs256] = await alone.stagepass.signingKeys.rotate();
      alone.clock.advance(HOUR_MS);
      await alone.stagepass.signingKeys.refresh();
      expect(kidOf(await idToken(alone))).toBe(rs256!.kid);
    } finally {
      await alone.close();
    }
  });

  it('comes back after a restart to the keys it rotated to, not to the JWKS file\'s', async () => {
    const ownKeys = await newKeysDir();
    const first = await startStagepass({ keysDir: ownKeys, config: { clients: [CLIENTS.confidential] } });
    const [es256, rs256] = await first.stagepass.signingKeys.rotate();
    const published = await publishedKids(first);
    await first.close();

    const again = await startStagepass({ keysDir: ownKeys, config: { clients: [CLIENTS.confidential] } });
    try {
      expect(await publishedKids(again)).toEqual(published);
      expect(again.stagepass.signingKeys.list().find((key) => key.kid === es256!.kid)).toEqual(es256);
      again.clock.advance(HOUR_MS);
      await again.stagepass.signingKeys.refresh();
      expect(kidOf(await idToken(again))).toBe(rs256!.kid);
    } finally {
      await again.close();
    }
  });
});
