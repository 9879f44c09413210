import { randomUUID } from 'node:crypto';

import { expect } from 'vitest';

import { inGroup } from '../../../src/store/keys.js';
import type { CountedSets } from '../../../src/store/store.js';
import type { ContractTest } from './backend.js';

const seat = (name: string) => inGroup('license', name);

const inserter = (store: CountedSets) => (member: string, limit: number, expiresIn = 60, claim = `claim-${member}`) => store.insertCounted({
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
async function expectSeatsTaken(store: CountedSets, taken: number, set = 'seats'): Promise<void> {
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

/** CountedSets: members counted against limits, claimed, recorded and expiring one by one. */
export function countedSetsContract(it: ContractTest): void {
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

  it('a counted member\'s place is freed once the store\'s clock passes its end, wherever the machine\'s is', async ({ backend: { store, clock } }) => {
    const counted = inserter(store);
    await counted('minute', 1, 60);
    expect(await counted('next', 1)).toEqual({ outcome: 'limit_reached', which: 'countedIn' });
    clock.advance(61_000);
    expect(await counted('next', 1)).toEqual({ outcome: 'inserted' });
  });

  it('refuses a counted insert whose keys are not of one group, which a cluster could not write in one step', async ({ backend: { store } }) => {
    await expect(store.insertCounted({
      claim: { key: 'loose-claim', value: 'v', expiresIn: 60 }, countedIn: seat('seats'), limit: 1, member: 'm',
      record: { key: seat('record-m'), value: 'r' }, expiresIn: 60,
    })).rejects.toThrow(/share a group/);
    await expectSeatsTaken(store, 0);
  });
}
