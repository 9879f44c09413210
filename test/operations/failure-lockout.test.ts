import { afterEach, describe, expect, it } from 'vitest';

import { FailureLockout } from '../../src/limits/failure-lockout.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { TestClock } from '../support/clock.js';
import { withFaults, type FaultyStore } from '../support/faulty-store.js';
import { STORE_BACKENDS } from '../support/stores.js';

const POLICY = { maxFailures: 5, lockoutSeconds: 60, maxLockoutSeconds: 7 * 86_400 };

describe.each(STORE_BACKENDS)('the failure lockout (%s store)', (_name, create) => {
  let store: FaultyStore;
  afterEach(() => store?.close());

  it('under a burst, every attempt of the first run is judged, though a later run locks the account out before they read the lockout', async () => {
    const clock = new TestClock();
    store = withFaults(await create(clock));
    const lockout = new FailureLockout(store, 'burst', POLICY, clock);

    const firstRead = store.holdNext('getValue');
    const first = lockout.reserve('alice');
    await firstRead.reached;
    const middle = [];
    for (let i = 0; i < 3; i += 1) middle.push(await lockout.reserve('alice'));
    // The fifth fills the first run and is about to write its lockout when the sixth comes.
    const fifthWrite = store.holdNext('setValue');
    const fifth = lockout.reserve('alice');
    await fifthWrite.reached;
    const sixth = await lockout.reserve('alice');
    firstRead.release();
    fifthWrite.release();

    expect((await first).allowed).toBe(true);
    expect(middle.map((decision) => decision.allowed)).toEqual([true, true, true]);
    expect((await fifth).allowed).toBe(true);
    expect(sixth).toEqual({ allowed: false, lockedFor: 60 });
    expect(await lockout.reserve('alice')).toEqual({ allowed: false, lockedFor: 60 });
  });
});

// Redis expires keys by its own clock, which a test cannot move: on the memory store only.
describe('the failure lockout over a long time (memory store)', () => {
  it('a long lockout holds to its end though the failures it counted were remembered for less', async () => {
    const clock = new TestClock();
    const store = new MemoryStore(clock);
    // A lockout of two days, on failures remembered for one.
    const lockout = new FailureLockout(store, 'long', { maxFailures: 1, lockoutSeconds: 2 * 86_400, maxLockoutSeconds: 7 * 86_400 }, clock);
    expect((await lockout.reserve('bob')).allowed).toBe(true);
    clock.advance(86_400_000 + 60_000);
    const [a, b] = await Promise.all([lockout.reserve('bob'), lockout.reserve('bob')]);
    expect([a.allowed, b.allowed]).toEqual([false, false]);
  });
});
