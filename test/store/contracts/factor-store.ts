import { randomBytes } from 'node:crypto';

import { expect } from 'vitest';

import { FactorStore, type NewPasskey } from '../../../src/accounts/factors/factor-store.js';
import { authenticatorCode } from '../../support/totp.js';
import type { Backend, ContractTest } from './backend.js';

const STEP_MS = 30_000;

const factorsOf = ({ store, clock }: Backend, key = randomBytes(32)) => new FactorStore(store, key, clock);

const passkey = (credentialId: string, counter = 0): NewPasskey => ({
  credentialId, publicKey: 'pQECAyYgASFYIA', counter, transports: ['internal'], deviceType: 'singleDevice', backedUp: false, name: 'Laptop',
});

/** An authenticator app set up for `sub`, confirmed with a code of the step the clock is in; its secret. */
async function withApp(factors: FactorStore, backend: Backend, sub: string): Promise<string> {
  const secret = await factors.beginTotp(sub);
  expect(await factors.confirmTotp(sub, authenticatorCode(secret, backend.clock.now()))).toMatchObject({ type: 'totp' });
  return secret;
}

/** FactorStore: the second factors of people, each used once where a use must be once, on every instance. */
export function factorStoreContract(it: ContractTest): void {
  it('an authenticator code is accepted once: the confirming code, a replayed one and a wrong one are refused, the next step\'s is accepted', async ({ backend }) => {
    const factors = factorsOf(backend);
    const secret = await withApp(factors, backend, 'ada');
    const now = backend.clock.now();
    expect(await factors.useTotp('ada', authenticatorCode(secret, now))).toBe('replayed');
    expect(await factors.useTotp('ada', authenticatorCode(secret, now + 3 * STEP_MS))).toBe('wrong');
    backend.clock.advance(STEP_MS);
    const next = authenticatorCode(secret, backend.clock.now());
    expect(await factors.useTotp('ada', next)).toBe('accepted');
    expect(await factors.useTotp('ada', next)).toBe('replayed');
    // The code of the step before, still within the drift allowed, is older than one accepted.
    expect(await factors.useTotp('ada', authenticatorCode(secret, now))).toBe('replayed');
    expect(await factors.useTotp('nobody', next)).toBe('none');
  });

  it('of one authenticator code sent to several instances at once, exactly one is accepted', async ({ backend }) => {
    const key = randomBytes(32);
    const [first, second] = [factorsOf(backend, key), factorsOf(backend, key)];
    const secret = await withApp(first, backend, 'ada');
    backend.clock.advance(STEP_MS);
    const code = authenticatorCode(secret, backend.clock.now());
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? first : second).useTotp('ada', code)));
    expect(outcomes.filter((outcome) => outcome === 'accepted')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'replayed')).toHaveLength(5);
  });

  it('keeps the app\'s secret sealed: the store holds no secret, and a server with another key-encryption key accepts none of its codes', async ({ backend }) => {
    const factors = factorsOf(backend);
    const secret = await withApp(factors, backend, 'ada');
    expect(await backend.store.getValue('factors:ada')).not.toContain(secret);
    backend.clock.advance(STEP_MS);
    expect(await factorsOf(backend).useTotp('ada', authenticatorCode(secret, backend.clock.now()))).toBe('none');
  });

  it('an app is set up only with a code of the secret shown, and not after the setup expired', async ({ backend }) => {
    const factors = factorsOf(backend);
    await factors.beginTotp('ada');
    const otherSecret = await factorsOf(backend).beginTotp('someone else');
    expect(await factors.confirmTotp('ada', authenticatorCode(otherSecret, backend.clock.now()))).toBeUndefined();
    expect(await factors.confirmTotp('ada', 'not a code')).toBeUndefined();
    expect(await factors.hasSecondFactor('ada')).toBe(false);
    const late = await factors.beginTotp('bo');
    await backend.yearsPass(1);
    expect(await factors.confirmTotp('bo', authenticatorCode(late, backend.clock.now()))).toBeUndefined();
  });

  it('ten recovery codes, each used once ever, in any spelling; new ones replace the old', async ({ backend }) => {
    const factors = factorsOf(backend);
    const codes = await factors.replaceRecoveryCodes('ada');
    expect(new Set(codes).size).toBe(10);
    expect(await factors.useRecoveryCode('ada', codes[0]!.toUpperCase().replaceAll('-', ' '))).toBe(true);
    expect(await factors.useRecoveryCode('ada', codes[0]!)).toBe(false);
    expect(await factors.useRecoveryCode('bo', codes[1]!)).toBe(false);
    expect(await factors.list('ada')).toEqual([expect.objectContaining({ type: 'recovery_codes', remaining: 9, last_used: expect.any(String) })]);
    expect(JSON.stringify(await backend.store.getValue('factors:ada'))).not.toContain(codes[1]);
    const outcomes = await Promise.all([1, 2, 3].map(() => factors.useRecoveryCode('ada', codes[1]!)));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const renewed = await factors.replaceRecoveryCodes('ada');
    expect(await factors.useRecoveryCode('ada', codes[2]!)).toBe(false);
    expect(await factors.useRecoveryCode('ada', renewed[2]!)).toBe(true);
  });

  it('passkeys are added, renamed and removed by id; a counter that does not move forward is refused', async ({ backend }) => {
    const factors = factorsOf(backend);
    const laptop = await factors.addPasskey('ada', passkey('cred-laptop', 5));
    const phone = await factors.addPasskey('ada', { ...passkey('cred-phone'), deviceType: 'multiDevice', backedUp: true });
    expect(await factors.renamePasskey('ada', laptop.id, 'Work laptop')).toBe(true);
    expect(await factors.renamePasskey('ada', 'no-such-id', 'x')).toBe(false);
    expect(await factors.usedPasskey('ada', 'cred-laptop', { counter: 5, backedUp: false })).toBe(false);
    expect(await factors.usedPasskey('ada', 'cred-laptop', { counter: 6, backedUp: false })).toBe(true);
    // A synced passkey counts nothing: zero stays zero.
    expect(await factors.usedPasskey('ada', 'cred-phone', { counter: 0, backedUp: true })).toBe(true);
    expect((await factors.passkeys('ada')).map(({ name, counter }) => [name, counter])).toEqual([['Work laptop', 6], ['Laptop', 0]]);
    expect(await factors.remove('ada', phone.id)).toMatchObject({ id: phone.id, type: 'passkey' });
    expect(await factors.remove('ada', phone.id)).toBeUndefined();
    expect((await factors.list('ada')).map(({ name }) => name)).toEqual(['Work laptop']);
    expect(await factors.hasSecondFactor('ada')).toBe(true);
  });

  it('changes made at once by several instances all land', async ({ backend }) => {
    const [first, second] = [factorsOf(backend), factorsOf(backend)];
    await Promise.all([
      ...['a', 'b', 'c'].map((name) => first.addPasskey('ada', passkey(`cred-${name}`))),
      ...['d', 'e', 'f'].map((name) => second.addPasskey('ada', passkey(`cred-${name}`))),
      second.replaceRecoveryCodes('ada'),
    ]);
    expect((await first.list('ada')).map(({ type }) => type).sort()).toEqual([...Array(6).fill('passkey'), 'recovery_codes']);
  });
}
