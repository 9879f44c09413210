import { afterEach, describe, expect, it } from 'vitest';

import { AccountDirectory } from '../../src/accounts/account-directory.js';
import { RuntimeAccounts, type RuntimeAccountWrite } from '../../src/accounts/runtime-accounts.js';
import { UpstreamAccounts } from '../../src/accounts/upstream-accounts.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { TestClock } from '../support/clock.js';

const ACCOUNT = { username: 'u', password: 'scrypt$stored', claims: {}, groups: [] };

const stores: MemoryStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

function directory() {
  const clock = new TestClock();
  const store = new MemoryStore(clock);
  stores.push(store);
  const runtime = new RuntimeAccounts(store, clock);
  const upstream = new UpstreamAccounts(store, ['corp']);
  const accounts = new AccountDirectory([{ ...ACCOUNT, sub: 'configured', username: 'configured' }], { runtime, upstream });
  return { accounts, runtime, upstream };
}

function written(write: RuntimeAccountWrite) {
  if (!write.ok) throw new Error(`the account was not written: ${write.refusal}`);
  return write.account;
}

describe('whether an account was ended here', () => {
  it('a configured account was not; one gone from the configuration was', async () => {
    const { accounts } = directory();
    expect(await accounts.isEnded('configured')).toBe(false);
    expect(await accounts.isEnded('removed-from-the-file')).toBe(true);
  });

  it('an account made here was once it is disabled or deleted', async () => {
    const { accounts, runtime } = directory();
    const made = written(await runtime.create({ ...ACCOUNT, sub: 'made', disabled: false }));
    expect(await accounts.isEnded('made')).toBe(false);
    const disabled = written(await runtime.replace(made, { ...ACCOUNT, sub: 'made', disabled: true }));
    expect(await accounts.isEnded('made')).toBe(true);
    expect(await runtime.remove(disabled)).toBe(true);
    expect(await accounts.isEnded('made')).toBe(true);
  });

  it('an upstream person was once disabled, not when their record lapsed between sign-ins', async () => {
    const { accounts, upstream } = directory();
    expect(await accounts.isEnded('corp:never-seen-or-lapsed')).toBe(false);
    await upstream.save({ sub: 'corp:ursula', provider: 'corp', claims: {}, groups: [], lastSignInAt: 0 });
    expect(await accounts.isEnded('corp:ursula')).toBe(false);
    await upstream.setDisabled((await upstream.find('corp:ursula'))!, true);
    expect(await accounts.isEnded('corp:ursula')).toBe(true);
  });
});
