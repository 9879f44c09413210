import { afterAll, beforeAll, describe, expect, inject, it, test } from 'vitest';

import { MemoryStore } from '../../src/store/memory-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { TestClock } from '../support/clock.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { startOwnedRedis } from '../support/redis-server.js';
import { sleep } from '../support/sleep.js';
import { uniqueRedisPrefix } from '../support/stagepass.js';
import { memoryYearsPass, redisYearsPass, type Backend } from './contracts/backend.js';
import { countedSetsContract } from './contracts/counted-sets.js';
import { leaseStoreContract } from './contracts/lease-store.js';
import { factorStoreContract } from './contracts/factor-store.js';
import { modelStoreContract } from './contracts/model-store.js';
import { rotationNotesContract } from './contracts/rotation-notes.js';
import { rostersContract } from './contracts/rosters.js';
import { setStoreContract } from './contracts/set-store.js';
import { storeLifecycleContract } from './contracts/store-lifecycle.js';
import { valueStoreContract } from './contracts/value-store.js';

async function newRedisStore(keyPrefix = uniqueRedisPrefix(), clock = new TestClock()): Promise<RedisStore> {
  const store = new RedisStore({ url: inject('redisUrl'), keyPrefix, cluster: false, clock });
  await store.connect();
  return store;
}

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(() => cluster?.stop());

async function newRedisClusterStore(keyPrefix: string, clock: TestClock): Promise<RedisStore> {
  const store = new RedisStore({ url: cluster.seedUrl, keyPrefix, cluster: true, clock });
  await store.connect();
  return store;
}

const backends: [string, () => Promise<Backend>][] = [
  ['memory', async () => {
    const clock = new TestClock();
    return { store: new MemoryStore(clock), clock, elapse: async (ms) => clock.advance(ms), yearsPass: memoryYearsPass(clock) };
  }],
  ['redis', async () => {
    const [clock, keyPrefix] = [new TestClock(), uniqueRedisPrefix()];
    return { store: await newRedisStore(keyPrefix, clock), clock, elapse: sleep, yearsPass: redisYearsPass(inject('redisUrl'), keyPrefix, clock, false) };
  }],
  ['redis cluster', async () => {
    const [clock, keyPrefix] = [new TestClock(), uniqueRedisPrefix()];
    return { store: await newRedisClusterStore(keyPrefix, clock), clock, elapse: sleep, yearsPass: redisYearsPass(cluster.seedUrl, keyPrefix, clock, true) };
  }],
];

/**
 * Each port's contract, run over every backend. Each test has a store of its own (a fresh memory
 * store, or a fresh key prefix on Redis), so the tests run concurrently (as many at once as
 * vitest's maxConcurrency) and the real waits on Redis overlap.
 */
describe.concurrent.each(backends)('%s store', (_name, create) => {
  const it = test.extend<{ backend: Backend }>({
    backend: async ({}, use) => {
      const backend = await create();
      await use(backend);
      await backend.store.close();
    },
  });

  describe('ModelStore', () => modelStoreContract(it));
  describe('RotationNotes', () => rotationNotesContract(it));
  describe('ValueStore', () => valueStoreContract(it));
  describe('SetStore', () => setStoreContract(it));
  describe('CountedSets', () => countedSetsContract(it));
  describe('LeaseStore', () => leaseStoreContract(it));
  describe('Rosters', () => rostersContract(it));
  describe('StoreClock and StoreLifecycle', () => storeLifecycleContract(it));
  describe('FactorStore', () => factorStoreContract(it));
});

describe('redis store', () => {
  it('keeps records across a restart of the process holding it', async () => {
    const prefix = uniqueRedisPrefix();
    const first = await newRedisStore(prefix);
    await first.upsertModel('Grant', 'g', { accountId: 'alice' }, 60);
    await first.close();
    const second = await newRedisStore(prefix);
    expect(await second.findModel('Grant', 'g')).toEqual({ accountId: 'alice' });
    await second.close();
  });

  it('stores under different key prefixes do not see each other', async () => {
    const a = await newRedisStore();
    const b = await newRedisStore();
    await a.upsertModel('Grant', 'shared-id', { owner: 'a' }, 60);
    expect(await b.findModel('Grant', 'shared-id')).toBeUndefined();
    await Promise.all([a.close(), b.close()]);
  });

  it('fails at connect when nothing answers at the URL', async () => {
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:', cluster: false, clock: new TestClock() });
    await expect(store.connect()).rejects.toThrow();
    await store.close();
  });
});

describe('redis store when Redis fails', () => {
  it('fails fast while Redis is down or frozen, without partial writes, and recovers by itself when it returns', async () => {
    const redis = await startOwnedRedis();
    const store = new RedisStore({ url: redis.url, keyPrefix: 'fault:', cluster: false, commandTimeout: 300, clock: new TestClock() });
    try {
      await store.connect();
      await store.upsertModel('Session', 'before', { uid: 'uid-before' }, 60);

      redis.pause();
      await expect(store.upsertModel('Session', 'frozen', { uid: 'uid-frozen' }, 60)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.incrementValue('counter', 60)).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await store.health()).toBe('unreachable');
      redis.resume();

      await redis.stop();
      await expect(store.findModel('Session', 'before')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.setValue('v', 'x', 60)).rejects.toBeInstanceOf(StoreUnavailableError);

      await redis.start();
      await expect.poll(() => store.health(), { timeout: 10_000, interval: 100 }).toBe('ok');
      await store.upsertModel('Session', 'after', { uid: 'uid-after' }, 60);
      expect(await store.findModelByUid('Session', 'uid-after')).toEqual({ uid: 'uid-after' });
    } finally {
      await store.close();
      await redis.stop();
    }
  });

  it('a call made while an earlier one waits on a frozen Redis fails within the timeout, rather than waiting for Redis to thaw', async () => {
    const redis = await startOwnedRedis();
    const commandTimeout = 500;
    const store = new RedisStore({ url: redis.url, keyPrefix: 'deadline:', cluster: false, commandTimeout, clock: new TestClock() });
    try {
      await store.connect();
      redis.pause();
      const outcome = (call: Promise<void>) => call.then(() => 'answered', (error: unknown) => error);
      const first = outcome(store.setValue('first', 'x', 60));
      await sleep(50);
      // Sent in the next batch, behind the first one that waits on the frozen server.
      const queued = outcome(store.setValue('queued', 'x', 60));
      // Frozen for longer than the timeout, and thawed before the queued call could have timed out on its own.
      await sleep(commandTimeout * 1.8);
      redis.resume();
      expect(await first).toBeInstanceOf(StoreUnavailableError);
      expect(await queued).toBeInstanceOf(StoreUnavailableError);
    } finally {
      redis.resume();
      await store.close();
      await redis.stop();
    }
  });

  it('a record written while Redis froze is either whole or absent once it returns, never half-written', async () => {
    const redis = await startOwnedRedis();
    const store = new RedisStore({ url: redis.url, keyPrefix: 'atomic:', cluster: false, commandTimeout: 200, clock: new TestClock() });
    try {
      await store.connect();
      redis.pause();
      await expect(store.upsertModel('DeviceCode', 'dc', { userCode: 'BCDFGHJK', grantId: 'g' }, 60)).rejects.toThrow();
      redis.resume();
      await expect.poll(() => store.health(), { timeout: 10_000, interval: 100 }).toBe('ok');
      const byId = await store.findModel('DeviceCode', 'dc');
      const byUserCode = await store.findModelByUserCode('DeviceCode', 'BCDFGHJK');
      expect(byUserCode).toEqual(byId);
    } finally {
      await store.close();
      await redis.stop();
    }
  });
});
