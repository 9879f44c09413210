import { inject } from 'vitest';

import { MemoryStore } from '../../src/store/memory-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Store } from '../../src/store/store.js';
import type { Clock } from '../../src/time/clock.js';
import { TestClock } from './clock.js';
import { uniqueRedisPrefix } from './stagepass.js';

/** A connected store on the test Redis, under a key prefix of its own unless given, stamping by `clock`. */
export async function testRedisStore(keyPrefix = uniqueRedisPrefix(), clock: Clock = new TestClock()): Promise<RedisStore> {
  const store = new RedisStore({ url: inject('redisUrl'), keyPrefix, clock });
  await store.connect();
  return store;
}

/**
 * Both backends, for tests that run the same behaviour on each. Each stamps by the clock it is
 * given (the server's, for a store handed to one) and the memory store expires by it too (a test
 * moves it); Redis expires keys by its own.
 */
export const STORE_BACKENDS: [name: string, create: (clock?: TestClock) => Promise<Store>][] = [
  ['memory', async (clock = new TestClock()) => new MemoryStore(clock)],
  ['Redis', (clock) => testRedisStore(undefined, clock)],
];
