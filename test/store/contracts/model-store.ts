import { expect } from 'vitest';

import type { ContractTest } from './backend.js';

/** ModelStore: oidc-provider's records, their indices and their grants. */
export function modelStoreContract(it: ContractTest): void {
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

  it('a record is consumed at the epoch second of the store\'s clock, wherever the machine\'s is', async ({ backend: { store, clock } }) => {
    clock.advance(3_600_000);
    await store.upsertModel('AuthorizationCode', 'later', { grantId: 'g' }, 60);
    const before = Math.floor(clock.now() / 1000);
    await store.consumeModel('AuthorizationCode', 'later');
    const consumed = (await store.findModel('AuthorizationCode', 'later'))!.consumed as number;
    expect(consumed).toBeGreaterThanOrEqual(before);
    expect(consumed).toBeLessThanOrEqual(Math.floor(clock.now() / 1000));
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

  it('a record saved without a lifetime is kept, with its indices, until it is destroyed', async ({ backend: { store, yearsPass } }) => {
    await store.upsertModel('Client', 'kept', { uid: 'kept-uid', userCode: 'KEPTCODE' });
    await store.upsertModel('Client', 'for-a-day', { uid: 'day-uid' }, 86_400);
    await yearsPass(20);
    expect(await store.findModel('Client', 'kept')).toEqual({ uid: 'kept-uid', userCode: 'KEPTCODE' });
    expect(await store.findModelByUid('Client', 'kept-uid')).toEqual({ uid: 'kept-uid', userCode: 'KEPTCODE' });
    expect(await store.findModelByUserCode('Client', 'KEPTCODE')).toEqual({ uid: 'kept-uid', userCode: 'KEPTCODE' });
    expect(await store.findModel('Client', 'for-a-day')).toBeUndefined();
    await store.destroyModel('Client', 'kept');
    expect(await store.findModel('Client', 'kept')).toBeUndefined();
  });

  it('a record saved again without a lifetime loses the one it had', async ({ backend: { store, elapse } }) => {
    await store.upsertModel('Client', 'renewed', { n: 1 }, 1);
    await store.upsertModel('Client', 'renewed', { n: 2 });
    await elapse(1_200);
    expect(await store.findModel('Client', 'renewed')).toEqual({ n: 2 });
  });

  it('a grant revoked after its short-lived members expired still removes its long-lived ones', async ({ backend: { store, elapse } }) => {
    await store.upsertModel('RefreshToken', 'long-rt', { grantId: 'g3' }, 60);
    await store.upsertModel('AccessToken', 'short-at', { grantId: 'g3' }, 1);
    await elapse(1_200);
    await store.revokeGrant('g3');
    expect(await store.findModel('RefreshToken', 'long-rt')).toBeUndefined();
  });

  it('a grant revoked after its short-lived members expired still removes one kept until destroyed', async ({ backend: { store, elapse } }) => {
    await store.upsertModel('Grant', 'kept-grant', { grantId: 'g4' });
    await store.upsertModel('AccessToken', 'brief-at', { grantId: 'g4' }, 1);
    await elapse(1_200);
    await store.revokeGrant('g4');
    expect(await store.findModel('Grant', 'kept-grant')).toBeUndefined();
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
}
