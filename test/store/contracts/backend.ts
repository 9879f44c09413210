import { Cluster, Redis } from 'ioredis';
import type { TestAPI } from 'vitest';

import type { Store } from '../../../src/store/store.js';
import type { TestClock } from '../../support/clock.js';

const YEAR_MS = 365 * 86_400_000;

/** A store under test, with the clock it was given and ways to let time pass for it. */
export interface Backend {
  store: Store;
  /** What the store stamps by (a consumed record, a counted member's end); the memory store expires by it too. */
  clock: TestClock;
  /** Lets time pass as the store tells it: the memory store's clock is moved on; Redis expires keys by its own clock, so the test waits. */
  elapse(ms: number): Promise<void>;
  /**
   * Lets years pass: the memory store's clock is moved on. Redis, whose clock no test moves, loses
   * every key of the store that would have expired by then, as it would have dropped it.
   */
  yearsPass(years: number): Promise<void>;
}

/** The `it` of a contract suite: each test gets a fresh backend. */
export type ContractTest = TestAPI<{ backend: Backend }>;

export function memoryYearsPass(clock: TestClock): (years: number) => Promise<void> {
  return async (years) => clock.advance(years * YEAR_MS);
}

/** Drops the keys under `keyPrefix` that Redis would have expired within `years`, on every master. */
export function redisYearsPass(url: string, keyPrefix: string, clock: TestClock, cluster: boolean): (years: number) => Promise<void> {
  return async (years) => {
    clock.advance(years * YEAR_MS);
    const client = cluster ? new Cluster([url]) : new Redis(url);
    try {
      if (client instanceof Cluster) await new Promise((resolve) => client.once('ready', resolve));
      const nodes = client instanceof Cluster ? client.nodes('master') : [client];
      await Promise.all(nodes.map((node) => dropExpiringWithin(node, keyPrefix, years * YEAR_MS)));
    } finally {
      client.disconnect();
    }
  };
}

async function dropExpiringWithin(node: Redis, keyPrefix: string, ms: number): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const left = await node.pttl(key);
      // -1: the key has no expiry, and outlives any number of years.
      if (left >= 0 && left <= ms) await node.del(key);
    }
  } while (cursor !== '0');
}
