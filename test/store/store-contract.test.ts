import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, inject, it, test } from 'vitest';

import { MemoryStore } from '../../src/store/memory-store.js';
import { inGroup } from '../../src/store/keys.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { StoreUnavailableError, type Store } from '../../src/store/store.js';
import { TestClock } from '../support/clock.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { startOwnedRedis } from '../support/redis-server.js';
import { sleep } from '../support/sleep.js';
import { uniqueRedisPrefix } from '../support/stagepass.js';

async function newRedisStore(keyPrefix = uniqueRedisPrefix()): Promise<RedisStore> {
  const store = new RedisStore({ url: inject('redisUrl'), keyPrefix, cluster: false });
  await store.connect();
  return store;
}

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(() => cluster?.stop());

async function newRedisClusterStore(): Promise<RedisStore> {
  const store = new RedisStore({ url: cluster.seedUrl, keyPrefix: uniqueRedisPrefix(), cluster: true });
  await store.connect();
  return store;
}

interface Backend {
  store: Store;
  /** Lets time pass as the store tells it: the memory store's clock is moved on; Redis expires keys by its own clock, so the test waits. */
  elapse(ms: number): Promise<void>;
}

const backends: [string, () => Promise<Backend>][] = [
  ['memory', async () => {
    const clock = new TestClock();
    return { store: new MemoryStore(clock), elapse: async (ms) => clock.advance(ms) };
  }],
  ['redis', async () => ({ store: await newRedisStore(), elapse: sleep })],
  ['redis cluster', async () => ({ store: await newRedisClusterStore(), elapse: sleep })],
];

/**
 * Each test has a store of its own (a fresh memory store, or a fresh key prefix on Redis), so the
 * tests run concurrently (as many at once as vitest's maxConcurrency) and the real waits on Redis
 * overlap.
 */
describe.concurrent.each(backends)('%s store', (_name, create) => {
  const it = test.extend<{ backend: Backend }>({
    backend: async ({}, use) => {
      const backend = await create();
      await use(backend);
      await backend.store.close();
    },
  });

  it('finds a model record by id exactly as it was saved', async ({ backend: { store } }) => {
    const payload = { jti: 'a', kind: 'AccessToken', scope: 'openid', nested: { list: [] as string[], n: 1 } };
    await store.upsertModel('AccessToken', 'a', payload, 60);
    expect(await store.findModel('AccessToken', 'a')).toEqual(payload);
    expect(await store.findModel('AccessToken', 'missing')).toBeUndefined();
    expect(await store.findModel('RefreshToken', 'a')).toBeUndefined();
  });

  it('a saved record cannot be changed through the object returned by find', async ({ backend: { store } }) => {
    await store.upsertModel('Session', 's', { uid: 'u1', accountId: 'alice' }, 60);
    const found = await store.findModel('Session', 's');
    found!.accountId = 'mallory';
    expect((await store.findModel('Session', 's'))!.accountId).toBe('alice');
  });

  it('finds sessions by uid and device codes by user code', async ({ backend: { store } }) => {
    await store.upsertModel('Session', 's1', { uid: 'uid-1', accountId: 'alice' }, 60);
    await store.upsertModel('DeviceCode', 'd1', { userCode: 'BCDFGHJK', clientId: 'tv' }, 60);
    expect(await store.findModelByUid('Session', 'uid-1')).toMatchObject({ accountId: 'alice' });
    expect(await store.findModelByUserCode('DeviceCode', 'BCDFGHJK')).toMatchObject({ clientId: 'tv' });
    expect(await store.findModelByUid('Session', 'uid-2')).toBeUndefined();
    expect(await store.findModelByUserCode('DeviceCode', 'ZZZZZZZZ')).toBeUndefined();
  });

  it('consuming marks the record once: a second consumer loses', async ({ backend: { store } }) => {
    await store.upsertModel('RefreshToken', 'r', { grantId: 'g' }, 60);
    expect(await store.consumeModel('RefreshToken', 'r')).toBe(true);
    expect(await store.consumeModel('RefreshToken', 'r')).toBe(false);
    const consumed = (await store.findModel('RefreshToken', 'r'))!.consumed;
    expect(consumed).toBeGreaterThan(Date.now() / 1000 - 5);
  });

  it('of two concurrent consumers exactly one wins', async ({ backend: { store } }) => {
    await store.upsertModel('AuthorizationCode', 'c', { grantId: 'g' }, 60);
    const results = await Promise.all([store.consumeModel('AuthorizationCode', 'c'), store.consumeModel('AuthorizationCode', 'c')]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('consuming a missing record reports false and creates nothing', async ({ backend: { store } }) => {
    expect(await store.consumeModel('AuthorizationCode', 'ghost')).toBe(false);
    expect(await store.findModel('AuthorizationCode', 'ghost')).toBeUndefined();
  });

  it('a rotation consumes the record and notes which successor replaced it', async ({ backend: { store } }) => {
    await store.upsertModel('RefreshToken', 'first', { n: 1 }, 60);
    expect(await store.findSuccessor('RefreshToken', 'first')).toBeUndefined();
    expect(await store.consumeModel('RefreshToken', 'first', 'second')).toBe(true);
    expect((await store.findModel('RefreshToken', 'first'))!.consumed).toBeGreaterThan(Date.now() / 1000 - 5);
    expect(await store.findSuccessor('RefreshToken', 'first')).toEqual({ id: 'second', consumedAt: expect.any(Number) });
  });

  it('of two concurrent rotations of one record exactly one wins, and only its successor is noted', async ({ backend: { store } }) => {
    await store.upsertModel('RefreshToken', 'r', {}, 60);
    const results = await Promise.all(['a', 'b'].map((successor) => store.consumeModel('RefreshToken', 'r', successor)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.findSuccessor('RefreshToken', 'r')).toMatchObject({ id: results[0] ? 'a' : 'b' });
  });

  it('a removed successor note is gone, the record kept consumed; removing one from a missing record creates nothing', async ({ backend: { store } }) => {
    await store.upsertModel('RefreshToken', 'noted', {}, 60);
    await store.consumeModel('RefreshToken', 'noted', 'next');
    await store.forgetSuccessor('RefreshToken', 'noted');
    expect(await store.findSuccessor('RefreshToken', 'noted')).toBeUndefined();
    expect(await store.findModel('RefreshToken', 'noted')).toMatchObject({ consumed: expect.any(Number) });
    await store.forgetSuccessor('RefreshToken', 'ghost');
    expect(await store.findModel('RefreshToken', 'ghost')).toBeUndefined();
  });

  it('a record consumed without a successor, or missing, notes none', async ({ backend: { store } }) => {
    await store.upsertModel('RefreshToken', 'used', {}, 60);
    await store.consumeModel('RefreshToken', 'used');
    expect(await store.consumeModel('RefreshToken', 'used', 'late')).toBe(false);
    expect(await store.consumeModel('RefreshToken', 'ghost', 'orphan')).toBe(false);
    expect(await store.findSuccessor('RefreshToken', 'used')).toBeUndefined();
    expect(await store.findSuccessor('RefreshToken', 'ghost')).toBeUndefined();
  });

  it('saving again replaces the record', async ({ backend: { store } }) => {
    await store.upsertModel('Interaction', 'i', { step: 1 }, 60);
    await store.upsertModel('Interaction', 'i', { step: 2 }, 60);
    expect(await store.findModel('Interaction', 'i')).toEqual({ step: 2 });
  });

  it('destroying removes the record', async ({ backend: { store } }) => {
    await store.upsertModel('AccessToken', 'x', { grantId: 'g' }, 60);
    await store.destroyModel('AccessToken', 'x');
    expect(await store.findModel('AccessToken', 'x')).toBeUndefined();
  });

  it('revoking a grant removes every record of that grant, whatever its model, and nothing else', async ({ backend: { store } }) => {
    await store.upsertModel('AccessToken', 'at1', { grantId: 'g1' }, 60);
    await store.upsertModel('RefreshToken', 'rt1', { grantId: 'g1' }, 600);
    await store.upsertModel('AuthorizationCode', 'ac1', { grantId: 'g1' }, 10);
    await store.upsertModel('AccessToken', 'at2', { grantId: 'g2' }, 60);
    await store.revokeGrant('g1');
    expect(await store.findModel('AccessToken', 'at1')).toBeUndefined();
    expect(await store.findModel('RefreshToken', 'rt1')).toBeUndefined();
    expect(await store.findModel('AuthorizationCode', 'ac1')).toBeUndefined();
    expect(await store.findModel('AccessToken', 'at2')).toEqual({ grantId: 'g2' });
  });

  it('nothing outlives its expiry: records, their indices and plain values', async ({ backend: { store, elapse } }) => {
    await store.upsertModel('Session', 'short', { uid: 'short-uid' }, 1);
    await store.upsertModel('DeviceCode', 'short-dc', { userCode: 'SHORTCDE' }, 1);
    await store.setValue('short-value', 'v', 1);
    await store.upsertModel('Session', 'long', { uid: 'long-uid' }, 60);
    await elapse(1_200);
    expect(await store.findModel('Session', 'short')).toBeUndefined();
    expect(await store.findModelByUid('Session', 'short-uid')).toBeUndefined();
    expect(await store.findModelByUserCode('DeviceCode', 'SHORTCDE')).toBeUndefined();
    expect(await store.getValue('short-value')).toBeUndefined();
    expect(await store.findModelByUid('Session', 'long-uid')).toEqual({ uid: 'long-uid' });
  });

  it('a grant revoked after its short-lived members expired still removes its long-lived ones', async ({ backend: { store, elapse } }) => {
    await store.upsertModel('RefreshToken', 'long-rt', { grantId: 'g3' }, 60);
    await store.upsertModel('AccessToken', 'short-at', { grantId: 'g3' }, 1);
    await elapse(1_200);
    await store.revokeGrant('g3');
    expect(await store.findModel('RefreshToken', 'long-rt')).toBeUndefined();
  });

  it('a set gathers members, forgets removed ones and lives as long as its longest-lived member', async ({ backend: { store, elapse } }) => {
    await store.addToSet('registry', 'long', 60);
    await store.addToSet('registry', 'short', 1);
    await store.addToSet('registry', 'removed', 60);
    await store.removeFromSet('registry', 'removed');
    expect((await store.setMembers('registry')).sort()).toEqual(['long', 'short']);
    await elapse(1_200);
    expect((await store.setMembers('registry')).sort()).toEqual(['long', 'short']);
    expect(await store.setMembers('empty')).toEqual([]);
  });

  it('a set whose members all expired is gone', async ({ backend: { store, elapse } }) => {
    await store.addToSet('fleeting', 'a', 1);
    await elapse(1_200);
    expect(await store.setMembers('fleeting')).toEqual([]);
  });

  it('a counter counts every increment, even concurrent ones, and restarts once its window expired', async ({ backend: { store, elapse } }) => {
    const counts = await Promise.all(Array.from({ length: 20 }, () => store.incrementValue('hits', 1)));
    expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await store.getValue('hits')).toBe('20');
    await elapse(1_200);
    expect(await store.incrementValue('hits', 1)).toBe(1);
  });

  it('a counter adds what it is asked to, and its window starts with the first addition', async ({ backend: { store, elapse } }) => {
    expect(await store.incrementValue('leased', 1, 5)).toBe(5);
    expect(await store.incrementValue('leased', 60, 3)).toBe(8);
    await elapse(1_200);
    expect(await store.getValue('leased')).toBeUndefined();
  });

  it('later increments do not extend a counter\'s window', async ({ backend: { store, elapse } }) => {
    await store.incrementValue('window', 1);
    // Early in the window, so that on a loaded machine the later increment still falls inside it.
    await elapse(200);
    expect(await store.incrementValue('window', 60)).toBe(2);
    await elapse(1_000);
    expect(await store.getValue('window')).toBeUndefined();
  });

  it('an extended value outlives its first lifetime; a longer lifetime is kept, and an absent value stays absent', async ({ backend: { store, elapse } }) => {
    await store.incrementValue('extended', 1);
    await store.setValue('long-lived', 'kept', 60);
    await Promise.all([store.extendValue('extended', 60), store.extendValue('long-lived', 1), store.extendValue('absent', 60)]);
    await elapse(1_200);
    expect(await store.getValue('extended')).toBe('1');
    expect(await store.getValue('long-lived')).toBe('kept');
    expect(await store.getValue('absent')).toBeUndefined();
  });

  it('a deleted counter starts again from one', async ({ backend: { store } }) => {
    await store.incrementValue('reset-me', 60);
    await store.incrementValue('reset-me', 60);
    await store.deleteValue('reset-me');
    expect(await store.incrementValue('reset-me', 60)).toBe(1);
  });

  it('a value is replaced only from what it is now, absent included, and of racing replacements exactly one wins', async ({ backend: { store } }) => {
    expect(await store.replaceValue('cas', 'something', 'v1', 60)).toBe(false);
    expect(await store.getValue('cas')).toBeUndefined();
    expect(await store.replaceValue('cas', undefined, 'v1', 60)).toBe(true);
    expect(await store.replaceValue('cas', undefined, 'v1 again', 60)).toBe(false);
    const racing = await Promise.all(['a', 'b', 'c', 'd'].map((next) => store.replaceValue('cas', 'v1', `v2-${next}`, 60)));
    expect(racing.filter(Boolean)).toHaveLength(1);
    const winner = await store.getValue('cas');
    expect(winner).toMatch(/^v2-[abcd]$/);
    expect(await store.replaceValue('cas', 'v1', undefined, 60)).toBe(false);
    expect(await store.replaceValue('cas', winner, undefined, 60)).toBe(true);
    expect(await store.getValue('cas')).toBeUndefined();
    const claims = await Promise.all(['a', 'b', 'c', 'd'].map((next) => store.replaceValue('cas', undefined, `v3-${next}`, 60)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.getValue('cas')).toBe(`v3-${'abcd'[claims.indexOf(true)]}`);
  });

  it('a replaced value lives as long as its replacement asks', async ({ backend: { store, elapse } }) => {
    await store.replaceValue('cas-life', undefined, 'short', 1);
    await elapse(1100);
    expect(await store.getValue('cas-life')).toBeUndefined();
  });

  const seat = (name: string) => inGroup('license', name);
  const inserter = (store: Store) => (member: string, limit: number, expiresIn = 60, claim = `claim-${member}`) => store.insertCounted({
    claim: { key: seat(claim), value: `claimed-by-${member}`, expiresIn: 600 },
    countedIn: seat('seats'),
    limit,
    member,
    record: { key: seat(`record-${member}`), value: `record of ${member}` },
    expiresIn,
  });

  /**
   * Asserts that exactly `taken` live members hold a seat, as the limit counts them: a probe is
   * refused under a limit of `taken` and gets in under `taken + 1`. The probe then leaves its seat,
   * so the test goes on as if it had never come.
   */
  async function expectSeatsTaken(store: Store, taken: number, set = 'seats'): Promise<void> {
    const probe = (limit: number) => store.insertCounted({
      claim: { key: seat(`probe-claim-${set}-${limit}-${randomUUID()}`), value: 'probe', expiresIn: 600 },
      countedIn: seat(set),
      limit,
      member: 'probe',
      record: { key: seat('probe-record'), value: 'probe' },
      expiresIn: 60,
    });
    expect(await probe(taken)).toEqual({ outcome: 'limit_reached', which: 'countedIn' });
    expect(await probe(taken + 1)).toEqual({ outcome: 'inserted' });
    await store.removeCounted(seat(set), 'probe');
  }

  it('a counted insert writes its record and claim together, and refuses once the limit is reached', async ({ backend: { store } }) => {
    const counted = inserter(store);
    expect(await counted('a', 2)).toEqual({ outcome: 'inserted' });
    expect(await counted('b', 2)).toEqual({ outcome: 'inserted' });
    expect(await counted('c', 2)).toEqual({ outcome: 'limit_reached', which: 'countedIn' });
    await expectSeatsTaken(store, 2);
    expect(await store.getValue(seat('record-a'))).toBe('record of a');
    expect(await store.getValue(seat('claim-a'))).toBe('claimed-by-a');
    expect(await store.getValue(seat('record-c'))).toBeUndefined();
    expect(await store.getValue(seat('claim-c'))).toBeUndefined();
    await store.removeCounted(seat('seats'), 'a');
    expect(await counted('c', 2)).toEqual({ outcome: 'inserted' });
  });

  it('a counted insert into a second set as well is refused once either set is full, and frees its place when removed', async ({ backend: { store } }) => {
    const both = (member: string) => store.insertCounted({
      claim: { key: seat(`claim-${member}`), value: member, expiresIn: 600 },
      countedIn: seat('all-seats'),
      limit: 3,
      member,
      record: { key: seat(`record-${member}`), value: member },
      alsoCountedIn: { key: seat('seats-of-pat'), limit: 2 },
      expiresIn: 60,
    });
    expect(await both('p1')).toEqual({ outcome: 'inserted' });
    expect(await both('p2')).toEqual({ outcome: 'inserted' });
    expect(await both('p3')).toEqual({ outcome: 'limit_reached', which: 'alsoCountedIn' });
    expect(await store.getValue(seat('record-p3'))).toBeUndefined();
    await expectSeatsTaken(store, 2, 'all-seats');
    await expectSeatsTaken(store, 2, 'seats-of-pat');
    await store.removeCounted(seat('seats-of-pat'), 'p1');
    expect(await both('p4')).toEqual({ outcome: 'inserted' });
    await expectSeatsTaken(store, 3, 'all-seats');
    await expectSeatsTaken(store, 2, 'seats-of-pat');
  });

  it('a counted insert into a full first set says so, and leaves the second as it was', async ({ backend: { store } }) => {
    const into = (member: string, alsoCountedIn?: { key: string; limit: number }) => store.insertCounted({
      claim: { key: seat(`claim-${member}`), value: member, expiresIn: 600 }, countedIn: seat('full'), limit: 2, member,
      record: { key: seat(`record-${member}`), value: member }, ...(alsoCountedIn ? { alsoCountedIn } : {}), expiresIn: 60,
    });
    await into('q1');
    await into('q2');
    expect(await into('q3', { key: seat('empty'), limit: 5 })).toEqual({ outcome: 'limit_reached', which: 'countedIn' });
    await expectSeatsTaken(store, 0, 'empty');
  });

  it('a counted insert whose claim is held writes nothing and answers the holder\'s value', async ({ backend: { store } }) => {
    const counted = inserter(store);
    expect(await counted('first', 10, 60, 'same-claim')).toEqual({ outcome: 'inserted' });
    expect(await counted('second', 10, 60, 'same-claim')).toEqual({ outcome: 'claimed', value: 'claimed-by-first' });
    await expectSeatsTaken(store, 1);
    expect(await store.getValue(seat('record-second'))).toBeUndefined();
  });

  it('of concurrent counted inserts with one claim exactly one writes; the others answer its value', async ({ backend: { store } }) => {
    const counted = inserter(store);
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => counted(`retry-${i}`, 100, 60, 'one-claim')));
    const inserted = outcomes.findIndex((o) => o.outcome === 'inserted');
    expect(outcomes.filter((o) => o.outcome === 'inserted')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'claimed')).toEqual(Array(7).fill({ outcome: 'claimed', value: `claimed-by-retry-${inserted}` }));
    await expectSeatsTaken(store, 1);
  });

  it('of many concurrent counted inserts exactly the limit get in', async ({ backend: { store } }) => {
    const counted = inserter(store);
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => counted(`racer-${i}`, 5)));
    expect(outcomes.filter((o) => o.outcome === 'inserted')).toHaveLength(5);
    await expectSeatsTaken(store, 5);
  });

  it('counted members expire one by one and free their place', async ({ backend: { store, elapse } }) => {
    const counted = inserter(store);
    // The one-second member comes last, so that it is still live when the next insert is refused.
    await counted('lasting', 2, 60);
    await counted('brief', 2, 1);
    expect(await counted('waiting', 2)).toEqual({ outcome: 'limit_reached', which: 'countedIn' });
    await elapse(1_200);
    await expectSeatsTaken(store, 1);
    expect(await counted('waiting', 2)).toEqual({ outcome: 'inserted' });
    expect(await store.getValue(seat('record-brief'))).toBeUndefined();
  });

  it('tells how far its clock is from this process\'s, the one clock every instance can read alike', async ({ backend: { store } }) => {
    // Every store here runs on this machine's clock; an instance set apart from it is tested in test/keys/clock-skew.test.ts.
    expect(Math.abs(await store.clockOffset())).toBeLessThan(1_000);
  });

  it('refuses a counted insert whose keys are not of one group, which a cluster could not write in one step', async ({ backend: { store } }) => {
    await expect(store.insertCounted({
      claim: { key: 'loose-claim', value: 'v', expiresIn: 60 }, countedIn: seat('seats'), limit: 1, member: 'm',
      record: { key: seat('record-m'), value: 'r' }, expiresIn: 60,
    })).rejects.toThrow(/share a group/);
    await expectSeatsTaken(store, 0);
  });

  it('an index that points at a record since saved without that value finds nothing', async ({ backend: { store } }) => {
    await store.upsertModel('Session', 'moved', { uid: 'uid-old' }, 60);
    await store.upsertModel('Session', 'moved', { uid: 'uid-new' }, 60);
    expect(await store.findModelByUid('Session', 'uid-old')).toBeUndefined();
    expect(await store.findModelByUid('Session', 'uid-new')).toEqual({ uid: 'uid-new' });
    await store.upsertModel('DeviceCode', 'dc-moved', { userCode: 'OLDCODEX' }, 60);
    await store.upsertModel('DeviceCode', 'dc-moved', { userCode: 'NEWCODEX' }, 60);
    expect(await store.findModelByUserCode('DeviceCode', 'OLDCODEX')).toBeUndefined();
  });

  it('says it is healthy while open', async ({ backend: { store } }) => {
    expect(await store.health()).toBe('ok');
  });
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
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:', cluster: false });
    await expect(store.connect()).rejects.toThrow();
    await store.close();
  });
});

describe('redis store when Redis fails', () => {
  it('fails fast while Redis is down or frozen, without partial writes, and recovers by itself when it returns', async () => {
    const redis = await startOwnedRedis();
    const store = new RedisStore({ url: redis.url, keyPrefix: 'fault:', cluster: false, commandTimeout: 300 });
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
    const store = new RedisStore({ url: redis.url, keyPrefix: 'deadline:', cluster: false, commandTimeout });
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
    const store = new RedisStore({ url: redis.url, keyPrefix: 'atomic:', cluster: false, commandTimeout: 200 });
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
