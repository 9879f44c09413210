import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Config } from '../../src/app/config.js';
import type { Logger } from '../../src/observability/logger.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/store.js';
import { systemClock } from '../../src/time/clock.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { startOwnedRedis } from '../support/redis-server.js';
import { sleep } from '../support/sleep.js';
import { uniqueRedisPrefix } from '../support/stagepass.js';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(() => cluster?.stop());

function capturingLogger() {
  const errors: { message: string; fields: Record<string, unknown> }[] = [];
  const ignore = () => {};
  const logger = { error: (message: string, fields = {}) => errors.push({ message, fields }), warn: ignore, info: ignore, debug: ignore, close: async () => {} };
  return { logger: logger as unknown as Logger, errors };
}

type StoreSettings = Parameters<typeof createStore>[0];
const clusterSettings = (extra: Partial<Config> = {}): StoreSettings => ({
  redisUrl: cluster.seedUrl, redisCluster: true, redisKeyPrefix: uniqueRedisPrefix(), redisCommandTimeoutMs: 1000, ...extra,
} as StoreSettings);

/** Until the nodes still up serve every slot again (the dead seed's replica promoted). */
async function untilAnswering(store: Store): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if ((await store.health()) === 'ok') return;
    await sleep(200);
  }
  throw new Error('the cluster did not recover');
}

describe('a Redis Cluster with a node down', () => {
  it('an instance starts while the seed node of redisUrl is down, through another of redisClusterNodes; with the seed alone it cannot', async () => {
    const [seed, ...others] = cluster.ports;
    // Down for good: the cluster has moved on without it.
    await cluster.kill(seed!);
    await cluster.recovered();
    const { logger } = capturingLogger();
    await expect(createStore(clusterSettings(), logger, () => {}, systemClock)).rejects.toThrow(/cannot reach Redis/);

    const store = await createStore(clusterSettings({ redisClusterNodes: others.map((port) => ({ host: '127.0.0.1', port })) }), logger, () => {}, systemClock);
    try {
      await untilAnswering(store);
      await store.setValue('written-after-the-seed-died', 'yes', 60);
      expect(await store.getValue('written-after-the-seed-died')).toBe('yes');
    } finally {
      await store.close();
    }
  });
});

describe('a Redis that stays down', () => {
  it('is logged once in a while, not at every reconnection attempt, while every failure is still counted', async () => {
    const redis = await startOwnedRedis();
    const { logger, errors } = capturingLogger();
    let counted = 0;
    const store = await createStore({ redisUrl: redis.url, redisCluster: false, redisKeyPrefix: uniqueRedisPrefix(), redisCommandTimeoutMs: 1000 } as StoreSettings, logger, () => { counted += 1; }, systemClock);
    try {
      await redis.stop();
      // ioredis keeps reconnecting, each attempt an error.
      await sleep(3000);
      expect(errors.filter(({ message }) => message === 'redis connection error')).toHaveLength(1);
      expect(counted).toBeGreaterThan(2);
    } finally {
      await store.close();
    }
  });
});
