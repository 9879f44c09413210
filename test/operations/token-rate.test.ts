import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { TokenRateLimiter } from '../../src/limits/token-rate.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { systemClock } from '../../src/time/clock.js';

/** A store that counts the increments it is asked for: each is a round trip on Redis. */
function countingStore() {
  const store = new MemoryStore(systemClock);
  let increments = 0;
  const incrementValue = store.incrementValue.bind(store);
  store.incrementValue = (...args) => {
    increments += 1;
    return incrementValue(...args);
  };
  return { store, increments: () => increments };
}

async function admitted(limiter: TokenRateLimiter, requests: number, clientId = 'client'): Promise<number> {
  let count = 0;
  for (let i = 0; i < requests; i += 1) if ((await limiter.take(clientId, 'client_credentials')).allowed) count += 1;
  return count;
}

describe('the token rate limiter', () => {
  // Date alone is faked, so the system clock the limiter reads stands still between the windows set here.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-29T12:00:00.100Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('admits exactly its limit in a second, asking the store once per lease and not at all once it is spent', async () => {
    const { store, increments } = countingStore();
    const limiter = new TokenRateLimiter(store, { client_credentials: 100 }, systemClock);
    expect(await admitted(limiter, 150)).toBe(100);
    // Leases of 5 (a twentieth of 100): 20 of them, then one ask that finds the limit reached.
    expect(increments()).toBe(20 + 1);

    vi.setSystemTime(new Date('2026-11-29T12:00:01.000Z'));
    expect(await admitted(limiter, 100)).toBe(100);
  });

  it('instances sharing a store never admit more than the limit together', async () => {
    const { store } = countingStore();
    const [a, b] = [new TokenRateLimiter(store, { client_credentials: 100 }, systemClock), new TokenRateLimiter(store, { client_credentials: 100 }, systemClock)];
    const first = await admitted(a, 31);
    const second = await admitted(b, 200);
    const more = await admitted(a, 200);
    expect(first + second + more).toBeLessThanOrEqual(100);
    // What a's unused lease held back: at most a lease less one.
    expect(first + second + more).toBeGreaterThanOrEqual(100 - 4);
    expect((await a.take('client', 'client_credentials')).allowed).toBe(false);
    expect((await b.take('client', 'client_credentials')).allowed).toBe(false);
  });

  it('counts each client and grant type apart, and small limits one request at a time', async () => {
    const { store, increments } = countingStore();
    const limiter = new TokenRateLimiter(store, { client_credentials: 3 }, systemClock);
    expect(await admitted(limiter, 5, 'one')).toBe(3);
    expect(await admitted(limiter, 5, 'two')).toBe(3);
    // Three leases of one each, and one ask that finds the limit reached, per client.
    expect(increments()).toBe(8);
    expect((await limiter.take('one', 'refresh_token')).allowed).toBe(true);
  });

  it('a request given back within its second lets one more in; given back after the second, it is gone', async () => {
    const { store } = countingStore();
    const limiter = new TokenRateLimiter(store, { client_credentials: 3 }, systemClock);
    const first = await limiter.take('client', 'client_credentials');
    expect(await admitted(limiter, 5)).toBe(2);
    if (first.allowed) first.refund();
    expect(await admitted(limiter, 5)).toBe(1);

    vi.setSystemTime(new Date('2026-11-29T12:00:01.000Z'));
    const late = await limiter.take('client', 'client_credentials');
    expect(late.allowed).toBe(true);
    vi.setSystemTime(new Date('2026-11-29T12:00:02.000Z'));
    expect(await admitted(limiter, 5)).toBe(3);
    if (late.allowed) late.refund();
    expect(await admitted(limiter, 5)).toBe(0);
  });

  it('a concurrent burst is admitted up to the limit, no further', async () => {
    const { store } = countingStore();
    const limiter = new TokenRateLimiter(store, { client_credentials: 100 }, systemClock);
    const decisions = await Promise.all(Array.from({ length: 300 }, () => limiter.take('client', 'client_credentials')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(100);
  });

  it('a store that fails refuses every waiting request with its error, and the next request asks again', async () => {
    const store = new MemoryStore(systemClock);
    const limiter = new TokenRateLimiter(store, { client_credentials: 100 }, systemClock);
    const incrementValue = store.incrementValue.bind(store);
    store.incrementValue = () => Promise.reject(new StoreUnavailableError('redis is unavailable'));
    const waiting = await Promise.allSettled(Array.from({ length: 5 }, () => limiter.take('client', 'client_credentials')));
    expect(waiting.map((w) => w.status)).toEqual(Array(5).fill('rejected'));
    expect((waiting[0] as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);

    store.incrementValue = incrementValue;
    expect(await admitted(limiter, 120)).toBe(100);
  });
});
