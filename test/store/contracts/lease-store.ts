import { expect } from 'vitest';

import type { LeaseReservation, LeaseStore } from '../../../src/store/store.js';
import type { ContractTest } from './backend.js';

const GROUP = 'arn:aws:license-manager::123456789012:license:l-contract';

/** A lease of `units` seats of a 3-seat counter (and, when given, of a person's 2), ending in `seconds` (absent: until released). */
const reserve = (store: LeaseStore, lease: string, { units = 1, seconds, now, claim = `claim-${lease}`, person }: {
  units?: number; seconds?: number; now: number; claim?: string; person?: string;
}) => store.reserveLease({
  group: GROUP,
  lease,
  units: [{ counter: 'seats', units, limit: 3 }, ...(person ? [{ counter: `seats-of:${person}`, units, limit: 2 }] : [])],
  record: `record of ${lease}`,
  ...(seconds === undefined ? {} : { until: now + seconds * 1000 }),
  claim: { name: claim, value: `claimed by ${lease}`, expiresIn: 600 },
} satisfies LeaseReservation);

/** LeaseStore: units held by leases, all or none, given back when a lease ends or is released. */
export function leaseStoreContract(it: ContractTest): void {
  it('a lease takes all its units or none, and is refused naming the counter it would pass', async ({ backend: { store, clock } }) => {
    const now = clock.now();
    expect(await reserve(store, 'a', { units: 2, seconds: 60, now })).toEqual({ outcome: 'reserved', expired: [] });
    expect(await reserve(store, 'b', { units: 2, seconds: 60, now })).toEqual({ outcome: 'refused', counter: 'seats', expired: [] });
    expect(await store.leaseUnits(GROUP)).toEqual({ seats: 2 });
    expect(await reserve(store, 'c', { units: 1, seconds: 60, now })).toMatchObject({ outcome: 'reserved' });
    expect(await store.leaseUnits(GROUP)).toEqual({ seats: 3 });
  });

  it('a second counter refuses the lease with the first untouched', async ({ backend: { store, clock } }) => {
    const now = clock.now();
    await reserve(store, 'p1', { units: 2, seconds: 60, now, person: 'pat' });
    expect(await reserve(store, 'p2', { units: 1, seconds: 60, now, person: 'pat' })).toMatchObject({ outcome: 'refused', counter: 'seats-of:pat' });
    expect(await store.leaseUnits(GROUP)).toEqual({ seats: 2, 'seats-of:pat': 2 });
    expect(await reserve(store, 'q1', { units: 1, seconds: 60, now, person: 'quinn' })).toMatchObject({ outcome: 'reserved' });
  });

  it('a reservation whose claim is held writes nothing and answers the holder\'s value', async ({ backend: { store, clock } }) => {
    const now = clock.now();
    await reserve(store, 'first', { seconds: 60, now, claim: 'same' });
    expect(await reserve(store, 'second', { seconds: 60, now, claim: 'same' })).toEqual({ outcome: 'claimed', value: 'claimed by first', expired: [] });
    expect((await store.liveLeases(GROUP)).map(({ lease }) => lease)).toEqual(['first']);
  });

  it('of many concurrent reservations exactly the units there are get in', async ({ backend: { store, clock } }) => {
    const now = clock.now();
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => reserve(store, `racer-${i}`, { seconds: 60, now })));
    expect(outcomes.filter(({ outcome }) => outcome === 'reserved')).toHaveLength(3);
    expect(await store.leaseUnits(GROUP)).toEqual({ seats: 3 });
    expect(await store.liveLeases(GROUP)).toHaveLength(3);
  });

  it('a lease whose time passed holds nothing: the next reservation frees its units and answers its record', async ({ backend: { store, clock } }) => {
    const now = clock.now();
    await reserve(store, 'kept', { seconds: 600, now });
    await reserve(store, 'brief', { units: 2, seconds: 60, now });
    clock.advance(61_000);
    expect(await store.liveLeases(GROUP)).toEqual([{ lease: 'kept', record: 'record of kept', until: now + 600_000 }]);
    expect(await reserve(store, 'next', { units: 2, seconds: 60, now: clock.now() })).toEqual({ outcome: 'reserved', expired: ['record of brief'] });
    expect(await store.leaseUnits(GROUP)).toEqual({ seats: 3 });
  });

  it('ending a group ends its every lease, frees its counters and forgets its claims: made again, it holds nothing', async ({ backend: { store, clock } }) => {
    const now = clock.now();
    await reserve(store, 'perpetual', { now, claim: 'install-1' });
    await reserve(store, 'provisional', { units: 2, seconds: 60, now, person: 'pat' });
    expect((await store.endLeases(GROUP)).sort()).toEqual(['record of perpetual', 'record of provisional']);
    expect(await store.liveLeases(GROUP)).toEqual([]);
    expect(await store.leaseUnits(GROUP)).toEqual({});
    expect(await reserve(store, 'anew', { units: 3, now, claim: 'install-1' })).toEqual({ outcome: 'reserved', expired: [] });
    expect(await store.endLeases(GROUP)).toEqual(['record of anew']);
    expect(await store.endLeases(GROUP)).toEqual([]);
  });

  it('expiring ends the leases whose time passed once, and leaves those held until released', async ({ backend: { store, clock } }) => {
    const now = clock.now();
    await reserve(store, 'perpetual', { now });
    await reserve(store, 'provisional', { seconds: 60, now, person: 'pat' });
    clock.advance(3_600_000);
    expect(await store.expireLeases(GROUP)).toEqual(['record of provisional']);
    expect(await store.expireLeases(GROUP)).toEqual([]);
    expect(await store.leaseUnits(GROUP)).toEqual({ seats: 1 });
    expect(await store.liveLeases(GROUP)).toEqual([{ lease: 'perpetual', record: 'record of perpetual' }]);
  });

  it('a renewal moves a live lease\'s end and record; an ended or perpetual lease is not renewed', async ({ backend: { store, clock } }) => {
    const now = clock.now();
    await reserve(store, 'renewed', { seconds: 60, now });
    await reserve(store, 'lapsed', { seconds: 10, now });
    await reserve(store, 'perpetual', { now });
    clock.advance(30_000);
    const renewedUntil = clock.now() + 60_000;
    expect(await store.renewLease(GROUP, 'renewed', renewedUntil, 'renewed record')).toBe(true);
    expect(await store.renewLease(GROUP, 'lapsed', clock.now() + 60_000, 'x')).toBe(false);
    expect(await store.renewLease(GROUP, 'perpetual', clock.now() + 60_000, 'x')).toBe(false);
    expect(await store.renewLease(GROUP, 'unknown', clock.now() + 60_000, 'x')).toBe(false);
    clock.advance(45_000);
    expect(await store.liveLeases(GROUP)).toContainEqual({ lease: 'renewed', record: 'renewed record', until: renewedUntil });
    expect(await store.expireLeases(GROUP)).toEqual(['record of lapsed']);
  });

  it('a released lease gives its units back at once, once', async ({ backend: { store, clock } }) => {
    const now = clock.now();
    await reserve(store, 'held', { units: 3, now });
    expect(await reserve(store, 'waiting', { seconds: 60, now })).toMatchObject({ outcome: 'refused' });
    expect(await store.findLease(GROUP, 'held')).toEqual({ lease: 'held', record: 'record of held' });
    expect(await store.releaseLease(GROUP, 'held')).toBe('record of held');
    expect(await store.findLease(GROUP, 'held')).toBeUndefined();
    expect(await store.releaseLease(GROUP, 'held')).toBeUndefined();
    expect(await store.leaseUnits(GROUP)).toEqual({});
    expect(await reserve(store, 'waiting', { seconds: 60, now, claim: 'again' })).toMatchObject({ outcome: 'reserved' });
  });

  it('an ended lease cannot be released, and its units come back once', async ({ backend: { store, clock } }) => {
    const now = clock.now();
    await reserve(store, 'brief', { units: 2, seconds: 60, now, person: 'pat' });
    expect(await store.findLease(GROUP, 'brief')).toEqual({ lease: 'brief', record: 'record of brief', until: now + 60_000 });
    clock.advance(61_000);
    expect(await store.findLease(GROUP, 'brief')).toBeUndefined();
    expect(await store.releaseLease(GROUP, 'brief')).toBeUndefined();
    expect(await store.expireLeases(GROUP)).toEqual(['record of brief']);
    expect(await store.leaseUnits(GROUP)).toEqual({});
  });

  it('groups do not share units', async ({ backend: { store, clock } }) => {
    await reserve(store, 'mine', { units: 3, now: clock.now() });
    const other = await store.reserveLease({
      group: `${GROUP}-other`, lease: 'theirs', units: [{ counter: 'seats', units: 3, limit: 3 }], record: 'r', claim: { name: 'c', value: 'v', expiresIn: 60 },
    });
    expect(other).toMatchObject({ outcome: 'reserved' });
  });
}
