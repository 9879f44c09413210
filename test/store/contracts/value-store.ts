import { expect } from 'vitest';

import type { ContractTest } from './backend.js';

/** ValueStore: plain values, with a lifetime or kept until deleted; counters, compare and set, extension. */
export function valueStoreContract(it: ContractTest): void {
  it('a value written without a lifetime is kept until it is deleted', async ({ backend: { store, yearsPass } }) => {
    await store.setValue('kept', 'set');
    expect(await store.replaceValue('kept-by-cas', undefined, 'claimed')).toBe(true);
    await store.setValue('for-a-day', 'brief', 86_400);
    await yearsPass(20);
    expect(await store.getValue('kept')).toBe('set');
    expect(await store.getValue('kept-by-cas')).toBe('claimed');
    expect(await store.getValue('for-a-day')).toBeUndefined();
    await store.deleteValue('kept');
    expect(await store.replaceValue('kept-by-cas', 'claimed', undefined)).toBe(true);
    expect(await store.getValue('kept')).toBeUndefined();
    expect(await store.getValue('kept-by-cas')).toBeUndefined();
  });

  it('a value written again without a lifetime loses the one it had, whether set or replaced', async ({ backend: { store, elapse } }) => {
    await store.setValue('set-again', 'brief', 1);
    await store.setValue('set-again', 'kept');
    await store.setValue('replaced', 'brief', 1);
    expect(await store.replaceValue('replaced', 'brief', 'kept')).toBe(true);
    await elapse(1_200);
    expect(await store.getValue('set-again')).toBe('kept');
    expect(await store.getValue('replaced')).toBe('kept');
  });

  it('a value kept until deleted stays so when it is extended', async ({ backend: { store, yearsPass } }) => {
    await store.setValue('forever', 'kept');
    await store.extendValue('forever', 60);
    await yearsPass(20);
    expect(await store.getValue('forever')).toBe('kept');
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
}
