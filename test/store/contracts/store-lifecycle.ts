import { expect } from 'vitest';

import type { ContractTest } from './backend.js';

/** StoreClock and StoreLifecycle: the store's clock, and whether it answers. */
export function storeLifecycleContract(it: ContractTest): void {
  it('tells how far its clock is from this process\'s, the one clock every instance can read alike', async ({ backend: { store } }) => {
    // Every store here runs on this machine's clock; an instance set apart from it is tested in test/keys/clock-skew.test.ts.
    expect(Math.abs(await store.clockOffset())).toBeLessThan(1_000);
  });

  it('says it is healthy while open', async ({ backend: { store } }) => {
    expect(await store.health()).toBe('ok');
  });
}
