import { randomUUID } from 'node:crypto';

import { decodeProtectedHeader, type JWK } from 'jose';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';

import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { builtServer } from '../support/built-server.js';
import { startChildStagepass, type ChildStagepass } from '../support/child-stagepass.js';
import { LICENSE_CLIENTS, LICENSE_GRANT, LICENSES, mint } from '../support/minters.js';
import { keysIn, newKeysDir, uniqueRedisPrefix } from '../support/stagepass.js';

const PROMOTE_AFTER_SECONDS = 120;
const licenseClient = LICENSE_CLIENTS.other;

const started: ChildStagepass[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill();
});

beforeAll(builtServer);

/** Instances of one deployment on one Redis and keys folder, each clock `clockOffset` from the machine's (libfaketime's spelling). */
function deployment() {
  const keyPrefix = uniqueRedisPrefix();
  const keysDir = newKeysDir();
  return async (clockOffset?: string) => {
    const dir = await keysDir;
    const child = await startChildStagepass({
      keysDir: dir,
      redisUrl: inject('redisUrl'),
      redisKeyPrefix: keyPrefix,
      clockOffset,
      config: {
        keys: { ...keysIn(dir), promoteAfterSeconds: PROMOTE_AFTER_SECONDS },
        licenses: [{ arn: LICENSES.large, maxTokens: 1000 }],
        clients: [...CLIENTS_WITH_ADMINS, licenseClient],
      },
    });
    started.push(child);
    return child;
  };
}

const publishedKids = async (issuer: string) => ((await (await fetch(`${issuer}/jwks`)).json()) as { keys: JWK[] }).keys.map((key) => key.kid);
const licenseTokenKid = async (issuer: string) => {
  const minted = await mint(issuer, licenseClient, LICENSE_GRANT, { license_arn: LICENSES.large, client_token: randomUUID() });
  expect(minted.status).toBe(200);
  return decodeProtectedHeader((minted.body.license_token as { Token: string }).Token).kid;
};

describe('instances whose clocks differ', () => {
  it('one 30 seconds behind the instance that seeded a fresh store starts, publishing and signing with the seeded keys', async () => {
    const instance = deployment();
    const seeder = await instance();
    const behind = await instance('-30s');
    expect(await publishedKids(behind.issuer)).toEqual(await publishedKids(seeder.issuer));
    expect(await licenseTokenKid(behind.issuer)).toBe(await licenseTokenKid(seeder.issuer));
  });

  it('one three minutes ahead publishes a rotation\'s keys at once but signs with them only when the store\'s clock reaches their promotion', async () => {
    const instance = deployment();
    const rotating = await instance();
    const ahead = await instance('+180s');
    const signing = await licenseTokenKid(ahead.issuer);

    const rotated = await adminApi(rotating.issuer, await adminToken(rotating.issuer)).post('/keys/rotate');
    expect(rotated.status).toBe(201);
    const newKids = (rotated.body.items as { kid: string }[]).map((key) => key.kid);
    await expect.poll(() => publishedKids(ahead.issuer), { timeout: 5_000, interval: 100 }).toEqual(expect.arrayContaining(newKids));
    expect(await licenseTokenKid(ahead.issuer)).toBe(signing);
    expect(await licenseTokenKid(rotating.issuer)).toBe(signing);
  });
});
