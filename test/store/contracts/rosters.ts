import { expect } from 'vitest';

import type { Enrolment, Rosters } from '../../../src/store/store.js';
import type { ContractTest } from './backend.js';

const STAGE = 'arn:aws:ivs:us-west-2:123456789012:stage/Contract01';

const enrolment = (member: string, more: Partial<Enrolment> = {}): Enrolment => ({
  roster: STAGE, member, value: `record of ${member}`, subsets: [], expiresIn: 60, as: 'join', limits: [], ...more,
});

const liveMembers = async (store: Rosters, roster = STAGE) =>
  (await store.rosterPage(roster, 1000)).entries.filter(({ live }) => live).map(({ member }) => member);

/** Rosters: members admitted against limits in one step, renewed, displaced, leaving and ending. */
export function rostersContract(it: ContractTest): void {
  it('an enrolled member has its record, live, with its end, and is listed by member', async ({ backend: { store, clock } }) => {
    const before = clock.now();
    expect(await store.enrol(enrolment('b'))).toEqual({ outcome: 'enrolled', displaced: [] });
    expect(await store.enrol(enrolment('a', { expiresIn: 120 }))).toEqual({ outcome: 'enrolled', displaced: [] });
    const entry = await store.rosterEntry(STAGE, 'a');
    expect(entry).toMatchObject({ member: 'a', value: 'record of a', live: true });
    expect(entry!.endsAt).toBeGreaterThanOrEqual(before + 120_000);
    expect((await store.rosterPage(STAGE, 10)).entries.map(({ member }) => member)).toEqual(['a', 'b']);
    expect(await store.rosterEntry(STAGE, 'nobody')).toBeUndefined();
    expect(await store.rosterEntry('arn:aws:ivs:us-west-2:123456789012:stage/Other', 'a')).toBeUndefined();
  });

  it('pages through a roster by member, saying whether more follow', async ({ backend: { store } }) => {
    for (const member of ['m3', 'm1', 'm5', 'm2', 'm4']) await store.enrol(enrolment(member));
    const first = await store.rosterPage(STAGE, 2);
    expect([first.entries.map(({ member }) => member), first.more]).toEqual([['m1', 'm2'], true]);
    const last = await store.rosterPage(STAGE, 3, 'm2');
    expect([last.entries.map(({ member }) => member), last.more]).toEqual([['m3', 'm4', 'm5'], false]);
  });

  it('pages over members whose end has come, listing only those recorded now', async ({ backend: { store, clock } }) => {
    for (const member of ['e1', 'e2', 'e3', 'e4']) await store.enrol(enrolment(member, { expiresIn: 10 }));
    for (const member of ['k1', 'k2', 'k3']) await store.enrol(enrolment(member));
    clock.advance(11_000);
    const first = await store.rosterPage(STAGE, 2);
    expect([first.entries.map(({ member }) => member), first.more]).toEqual([['k1', 'k2'], true]);
    const last = await store.rosterPage(STAGE, 2, 'k2');
    expect([last.entries.map(({ member }) => member), last.more]).toEqual([['k3'], false]);
  });

  it('a join under a member id already recorded is refused and changes nothing', async ({ backend: { store } }) => {
    await store.enrol(enrolment('same'));
    expect(await store.enrol(enrolment('same', { value: 'another' }))).toEqual({ outcome: 'exists' });
    expect((await store.rosterEntry(STAGE, 'same'))!.value).toBe('record of same');
  });

  it('refuses a member once a limit on the roster or on a subset is reached, naming the limit', async ({ backend: { store } }) => {
    const limits = [{ subset: null, limit: 3 }, { subset: 'publishers', limit: 1 }];
    expect(await store.enrol(enrolment('p1', { subsets: ['publishers'], limits }))).toMatchObject({ outcome: 'enrolled' });
    expect(await store.enrol(enrolment('p2', { subsets: ['publishers'], limits }))).toEqual({ outcome: 'limit_reached', subset: 'publishers' });
    expect(await store.enrol(enrolment('v1', { limits }))).toMatchObject({ outcome: 'enrolled' });
    expect(await store.enrol(enrolment('v2', { limits }))).toMatchObject({ outcome: 'enrolled' });
    expect(await store.enrol(enrolment('v3', { limits }))).toEqual({ outcome: 'limit_reached', subset: null });
    expect(await store.rosterEntry(STAGE, 'p2')).toBeUndefined();
    expect(await liveMembers(store)).toEqual(['p1', 'v1', 'v2']);
  });

  it('a renewal replaces the record, subsets and end of a live member, counting every member but itself', async ({ backend: { store } }) => {
    const limits = [{ subset: 'publishers', limit: 1 }];
    await store.enrol(enrolment('host', { subsets: ['publishers'], limits }));
    await store.enrol(enrolment('guest', { limits }));
    expect(await store.enrol(enrolment('host', { as: 'renew', value: 'renewed', subsets: ['publishers'], limits }))).toMatchObject({ outcome: 'enrolled' });
    expect(await store.enrol(enrolment('guest', { as: 'renew', subsets: ['publishers'], limits }))).toEqual({ outcome: 'limit_reached', subset: 'publishers' });
    expect(await store.enrol(enrolment('host', { as: 'renew', subsets: [], limits }))).toMatchObject({ outcome: 'enrolled' });
    expect(await store.enrol(enrolment('guest', { as: 'renew', value: 'promoted', subsets: ['publishers'], limits }))).toMatchObject({ outcome: 'enrolled' });
    expect((await store.rosterEntry(STAGE, 'guest'))!.value).toBe('promoted');
    expect(await store.enrol(enrolment('never', { as: 'renew' }))).toEqual({ outcome: 'not_live' });
  });

  it('a renewal made from a record someone has since rewritten is refused and changes nothing', async ({ backend: { store } }) => {
    await store.enrol(enrolment('host'));
    expect(await store.enrol(enrolment('host', { as: 'renew', value: 'demoted', replacing: 'record of host' }))).toMatchObject({ outcome: 'enrolled' });
    expect(await store.enrol(enrolment('host', { as: 'renew', value: 'stale', replacing: 'record of host' }))).toEqual({ outcome: 'changed' });
    expect((await store.rosterEntry(STAGE, 'host'))!.value).toBe('demoted');
    const racing = await Promise.all(Array.from({ length: 10 }, (_, i) => store.enrol(enrolment('host', { as: 'renew', value: `renewal ${i}`, replacing: 'demoted' }))));
    expect(racing.filter(({ outcome }) => outcome === 'enrolled')).toHaveLength(1);
  });

  it('a member who left is no longer counted nor renewed, and its record says why until its end', async ({ backend: { store } }) => {
    const limits = [{ subset: 'publishers', limit: 1 }];
    await store.enrol(enrolment('gone', { subsets: ['publishers'], limits }));
    expect(await store.leaveRoster(STAGE, 'gone', 'disconnected')).toBe(true);
    expect(await store.rosterEntry(STAGE, 'gone')).toMatchObject({ value: 'disconnected', live: false });
    expect(await store.enrol(enrolment('gone', { as: 'renew', subsets: ['publishers'] }))).toEqual({ outcome: 'not_live' });
    expect(await store.enrol(enrolment('next', { subsets: ['publishers'], limits }))).toMatchObject({ outcome: 'enrolled' });
    expect(await store.leaveRoster(STAGE, 'nobody', 'x')).toBe(false);
  });

  it('a displacing enrolment takes the place of the subset\'s other live members, and tells who', async ({ backend: { store } }) => {
    const onePerPerson = { subsets: ['person:pat'], limits: [{ subset: 'person:pat', limit: 1 }], displacing: 'person:pat' };
    await store.enrol(enrolment('older', onePerPerson));
    await store.enrol(enrolment('other', { subsets: ['person:sam'] }));
    expect(await store.enrol(enrolment('newer', onePerPerson))).toEqual({ outcome: 'enrolled', displaced: ['older'] });
    expect(await liveMembers(store)).toEqual(['newer', 'other']);
    expect(await store.rosterEntry(STAGE, 'older')).toMatchObject({ live: false });
  });

  it('a displacing enrolment refused by another limit displaces no one', async ({ backend: { store } }) => {
    const limits = [{ subset: 'publishers', limit: 1 }];
    await store.enrol(enrolment('host', { subsets: ['publishers'] }));
    await store.enrol(enrolment('pat-viewing', { subsets: ['person:pat'] }));
    const refused = await store.enrol(enrolment('pat-publishing', { subsets: ['person:pat', 'publishers'], limits, displacing: 'person:pat' }));
    expect(refused).toEqual({ outcome: 'limit_reached', subset: 'publishers' });
    expect(await liveMembers(store)).toEqual(['host', 'pat-viewing']);
  });

  it('of many concurrent joins exactly the limit get in', async ({ backend: { store } }) => {
    const limits = [{ subset: 'publishers', limit: 2 }];
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => store.enrol(enrolment(`racer-${i}`, { subsets: ['publishers'], limits }))));
    expect(outcomes.filter(({ outcome }) => outcome === 'enrolled')).toHaveLength(2);
    expect(await liveMembers(store)).toHaveLength(2);
  });

  it('a member ends on its own by the store\'s clock, freeing its place and its record', async ({ backend: { store, clock } }) => {
    const limits = [{ subset: null, limit: 1 }];
    await store.enrol(enrolment('brief', { limits }));
    expect(await store.enrol(enrolment('waiting', { limits }))).toEqual({ outcome: 'limit_reached', subset: null });
    clock.advance(61_000);
    expect(await store.rosterEntry(STAGE, 'brief')).toBeUndefined();
    expect(await store.enrol(enrolment('waiting', { limits }))).toMatchObject({ outcome: 'enrolled' });
    expect((await store.rosterPage(STAGE, 10)).entries.map(({ member }) => member)).toEqual(['waiting']);
  });

  it('rosters count apart', async ({ backend: { store } }) => {
    const other = 'arn:aws:ivs:us-west-2:123456789012:stage/Contract02';
    const limits = [{ subset: null, limit: 1 }];
    await store.enrol(enrolment('here', { limits }));
    expect(await store.enrol(enrolment('there', { roster: other, limits }))).toMatchObject({ outcome: 'enrolled' });
  });
}
