import { expect } from 'vitest';

import type { ContractTest } from './backend.js';

/** SetStore: sets of names that live as long as their longest-lived addition. */
export function setStoreContract(it: ContractTest): void {
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

  it('a set with a member added without a lifetime is kept until deleted', async ({ backend: { store, yearsPass } }) => {
    await store.addToSet('listing', 'brief', 60);
    await store.addToSet('listing', 'kept');
    await yearsPass(20);
    expect((await store.setMembers('listing')).sort()).toEqual(['brief', 'kept']);
  });

  it('a set kept until deleted is not given a lifetime by the members with one that join it', async ({ backend: { store, elapse } }) => {
    await store.addToSet('lasting', 'kept');
    await store.addToSet('lasting', 'brief', 1);
    await elapse(1_200);
    expect((await store.setMembers('lasting')).sort()).toEqual(['brief', 'kept']);
  });

  it('a set of members with their own ends lists only the live ones, and an addition drops the ended', async ({ backend: { store, clock } }) => {
    await store.addUntilEnd('participants-of', 'brief', 60);
    await store.addUntilEnd('participants-of', 'long', 600);
    await store.addUntilEnd('participants-of', 'renewed', 60);
    clock.advance(30_000);
    await store.addUntilEnd('participants-of', 'renewed', 600);
    clock.advance(31_000);
    expect((await store.liveMembers('participants-of')).sort()).toEqual(['long', 'renewed']);
    await store.addUntilEnd('participants-of', 'newest', 60);
    expect((await store.liveMembers('participants-of')).sort()).toEqual(['long', 'newest', 'renewed']);
    expect(await store.liveMembers('nobody-of')).toEqual([]);
  });
}
