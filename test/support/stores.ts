import { inject } from 'vitest';

import { MemoryStore } from '../../src/store/memory-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Store } from '../../src/store/store.js';
import type { TestClock } from './clock.js';
import { uniqueRedisPrefix } from './stagepass.js';

/** A connected store on the test Redis, under a key prefix of its own unless given. */
export async function testRedisStore(keyPrefix = uniqueRedisPrefix()): Promise<RedisStore> {
  const store = new RedisStore({ url: inject('redisUrl'), keyPrefix });
  await store.connect();
  return store;
}

/**
 * Both backends, for tests that run the same behaviour on each: the memory store expires by the
 * clock it is given (a test moves it), Redis by its own.
 */
export const STORE_BACKENDS: [name: string, create: (clock?: TestClock) => Promise<Store>][] = [
  ['memory', async (clock) => new MemoryStore(clock)],
  ['Redis', () => testRedisStore()],
];
