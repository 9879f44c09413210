import { copyFile, readFile } from 'node:fs/promises';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { loadOrCreateKeyEncryptionKey } from '../../src/keys/signing-keys.js';
import { createLogger } from '../../src/observability/logger.js';
import { startOwnedRedis } from '../support/redis-server.js';
import { basicAuth, postForm } from '../support/relying-party.js';
import { CLIENTS, keysIn, newKeysDir, startStagepass, uniqueRedisPrefix } from '../support/stagepass.js';

type LogLine = Record<string, unknown>;

/** Every key of a prefix with its value and lifetime, as a backup of Redis holds them. */
interface Backup {
  entries: { key: string; dump: Buffer; ttlMs: number }[];
}

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => redis?.quit());

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

async function backUp(prefix: string): Promise<Backup> {
  const keys = await keysUnder(prefix);
  const entries = await Promise.all(keys.map(async (key) => ({ key, dump: (await redis.dumpBuffer(key))!, ttlMs: Math.max(0, await redis.pttl(key)) })));
  return { entries };
}

/** What a Redis restarted without persistence, or flushed, leaves of a prefix: nothing. */
async function loseEverythingUnder(prefix: string): Promise<void> {
  const keys = await keysUnder(prefix);
  if (keys.length > 0) await redis.del(...keys);
}

async function restore(backup: Backup): Promise<void> {
  for (const { key, dump, ttlMs } of backup.entries) await redis.restore(key, ttlMs, dump, 'REPLACE');
}

const clientCredentials = (issuer: string) =>
  postForm(`${issuer}/token`, { grant_type: 'client_credentials' }, basicAuth(CLIENTS.service.client_id, CLIENTS.service.client_secret));
const publishedKids = async (issuer: string) => ((await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);

/** A keys folder of its own sharing `from`'s JWKS and key-encryption key, as another machine of one deployment has. */
async function siblingKeysDir(from: string): Promise<string> {
  const dir = await newKeysDir();
  await loadOrCreateKeyEncryptionKey(keysIn(from).encryptionKeyFile);
  await copyFile(keysIn(from).encryptionKeyFile, keysIn(dir).encryptionKeyFile);
  return dir;
}

describe('a Redis that lost stagepass\'s state', () => {
  it('an instance restarted on it refuses to start, saying what was lost, what to restore and how to start over, and seeds no keys', async () => {
    const redis = await startOwnedRedis();
    const keysDir = await newKeysDir();
    const config = { redisUrl: redis.url, redisKeyPrefix: uniqueRedisPrefix() };
    try {
      const before = await startStagepass({ config, keysDir });
      await before.stagepass.signingKeys.rotate();
      await before.close();

      // Restarted without its append-only file: as Redis run without persistence comes back.
      await redis.stop();
      await redis.start({ empty: true });
      const { storeGenerationFile } = keysIn(keysDir);
      const refusal = await startStagepass({ config, keysDir }).then(
        async (started) => {
          await started.close();
          return 'started';
        },
        (error: Error) => error.message,
      );
      expect(refusal).toMatch(/lost/);
      expect(refusal).toMatch(/restore/i);
      expect(refusal).toContain(storeGenerationFile);
      expect(await redis.command('DBSIZE')).toBe(0);
    } finally {
      await redis.stop();
    }
  });

  it('a running instance stops serving: /readyz and every request answer 503 naming the loss, logged once as an error; it serves again once the data is restored', async () => {
    const keyPrefix = uniqueRedisPrefix();
    const lines: LogLine[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });
    const server = await startStagepass({ redis: { keyPrefix }, logger });
    try {
      expect((await clientCredentials(server.issuer)).status).toBe(200);
      const backup = await backUp(keyPrefix);

      await loseEverythingUnder(keyPrefix);
      await expect.poll(async () => (await fetch(`${server.issuer}/readyz`)).status, { timeout: 5_000, interval: 100 }).toBe(503);
      expect(await (await fetch(`${server.issuer}/readyz`)).json()).toEqual({ status: 'unavailable', store: 'lost' });
      const refused = await clientCredentials(server.issuer);
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/store lost .*state/) });
      const aws = await fetch(`${server.issuer}/aws/license-manager/`, { method: 'POST', headers: { 'x-amz-target': 'AWSLicenseManager.CreateToken' }, body: '{}' });
      expect(aws.status).toBe(503);
      expect(aws.headers.get('x-amzn-errortype')).toBe('ServiceUnavailableException');
      expect((await fetch(`${server.issuer}/healthz`)).status).toBe(200);
      for (let refresh = 0; refresh < 3; refresh += 1) await server.stagepass.signingKeys.refresh().catch(() => {});
      expect(lines.filter((line) => line.level === 'error').map((line) => line.reason)).toEqual([expect.stringMatching(/lost/)]);

      await restore(backup);
      await expect.poll(async () => (await fetch(`${server.issuer}/readyz`)).status, { timeout: 5_000, interval: 100 }).toBe(200);
      expect((await clientCredentials(server.issuer)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('instances starting together on an empty store agree on one generation; each refuses once that store is lost', async () => {
    const keyPrefix = uniqueRedisPrefix();
    const first = await newKeysDir();
    const dirs = [first, await siblingKeysDir(first), await siblingKeysDir(first)];
    const servers = await Promise.all(dirs.map((keysDir) => startStagepass({ redis: { keyPrefix }, keysDir })));
    try {
      const generations = await Promise.all(dirs.map((dir) => readFile(keysIn(dir).storeGenerationFile, 'utf8')));
      expect(new Set(generations).size).toBe(1);
      const published = await Promise.all(servers.map((server) => publishedKids(server.issuer)));
      for (const kids of published) expect(kids).toEqual(published[0]);
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }

    await loseEverythingUnder(keyPrefix);
    for (const keysDir of dirs) await expect(startStagepass({ redis: { keyPrefix }, keysDir })).rejects.toThrow(/lost/);
  });

  it('a new instance on a store in use adopts its generation, and one that served another store\'s generation refuses it', async () => {
    const keysDir = await newKeysDir();
    const keyPrefix = uniqueRedisPrefix();
    const running = await startStagepass({ redis: { keyPrefix }, keysDir });
    try {
      const joining = await siblingKeysDir(keysDir);
      const joined = await startStagepass({ redis: { keyPrefix }, keysDir: joining });
      await joined.close();
      expect(await readFile(keysIn(joining).storeGenerationFile, 'utf8')).toBe(await readFile(keysIn(keysDir).storeGenerationFile, 'utf8'));

      const servedElsewhere = await siblingKeysDir(keysDir);
      const elsewhere = await startStagepass({ redis: { keyPrefix: uniqueRedisPrefix() }, keysDir: servedElsewhere });
      await elsewhere.close();
      const refusal = startStagepass({ redis: { keyPrefix }, keysDir: servedElsewhere });
      await expect(refusal).rejects.toThrow(/generation/);
      await expect(refusal).rejects.toThrow(keysIn(servedElsewhere).storeGenerationFile);
    } finally {
      await running.close();
    }
  });
});
