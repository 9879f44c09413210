import { expect } from 'vitest';

import type { ContractTest } from './backend.js';

/** RotationNotes: the successor a rotation notes on the record it consumes (`consumeModel`), read back and forgotten. */
export function rotationNotesContract(it: ContractTest): void {
  it('a rotation consumes the record and notes which successor replaced it', async ({ backend: { store } }) => {
    await store.upsertModel('RefreshToken', 'first', { n: 1 }, 60);
    expect(await store.findSuccessor('RefreshToken', 'first')).toBeUndefined();
    expect(await store.consumeModel('RefreshToken', 'first', 'second')).toBe(true);
    expect((await store.findModel('RefreshToken', 'first'))!.consumed).toBeGreaterThan(Date.now() / 1000 - 5);
    expect(await store.findSuccessor('RefreshToken', 'first')).toEqual({ id: 'second', consumedAt: expect.any(Number) });
  });

  it('a successor is noted as replacing its record at the second the store\'s clock consumed it', async ({ backend: { store, clock } }) => {
    clock.advance(3_600_000);
    await store.upsertModel('RefreshToken', 'rotated-later', {}, 60);
    await store.consumeModel('RefreshToken', 'rotated-later', 'its-successor');
    const { consumed } = (await store.findModel('RefreshToken', 'rotated-later'))!;
    expect(await store.findSuccessor('RefreshToken', 'rotated-later')).toEqual({ id: 'its-successor', consumedAt: consumed });
    expect(Math.abs((consumed as number) - clock.now() / 1000)).toBeLessThan(5);
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
}
