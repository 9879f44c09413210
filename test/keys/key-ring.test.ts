import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';

import { KeyNotRetiredError, publishedAt, rotate, seededRing, signingKeyAt, statusAt, withdraw, type KeyRing } from '../../src/keys/key-ring.js';
import { generateSigningJwk } from '../../src/keys/signing-keys.js';
import { TestClock } from '../support/clock.js';

const HOUR_MS = 3_600_000;
const RETENTION = { ES256: 10 * 86_400, RS256: 3600 };
const LAG_ALLOWANCE_SECONDS = 60;
const LIFETIMES = { tokenLifetimeSeconds: RETENTION, lagAllowanceSeconds: LAG_ALLOWANCE_SECONDS, maxKeysPerAlgorithm: 20 };

async function newKeys(): Promise<JWK[]> {
  return Promise.all([generateSigningJwk('ES256'), generateSigningJwk('RS256')]);
}

async function startingRing(clock: TestClock): Promise<{ ring: KeyRing; original: JWK[] }> {
  const original = await newKeys();
  return { ring: seededRing(original), original };
}

/** A clock held still but for the test's own moves: the statuses at a moment are the model's, not the test's speed. */
function onStoppedClock(test: (clock: TestClock) => Promise<void>): () => Promise<void> {
  return () => {
    const clock = new TestClock();
    return clock.stoppedDuring(() => test(clock));
  };
}

const kidsOf = (ring: KeyRing, now: number) => publishedAt(ring, now).map((key) => key.kid);

describe('the key ring over time', () => {
  it('the keys of the JWKS file sign from the first moment', onStoppedClock(async (clock) => {
    const { ring, original } = await startingRing(clock);
    expect(signingKeyAt(ring, 'ES256', clock.now())?.kid).toBe(original[0]!.kid);
    expect(signingKeyAt(ring, 'RS256', clock.now())?.kid).toBe(original[1]!.kid);
    expect(ring.keys.map((key) => statusAt(key, clock.now()))).toEqual(['current', 'current']);
  }));

  it('rotated-in keys are published as next at once, and sign only once promoted', onStoppedClock(async (clock) => {
    const { ring, original } = await startingRing(clock);
    const fresh = await newKeys();
    const rotated = rotate(ring, { newKeys: fresh, now: clock.now(), promoteAfterSeconds: 3600, ...LIFETIMES });

    const now = clock.now();
    expect(kidsOf(rotated, now)).toEqual([original[0]!.kid, original[1]!.kid, fresh[0]!.kid, fresh[1]!.kid]);
    expect(rotated.keys.map((key) => statusAt(key, now))).toEqual(['current', 'current', 'next', 'next']);
    expect(signingKeyAt(rotated, 'ES256', now)?.kid).toBe(original[0]!.kid);

    clock.advance(HOUR_MS - 1);
    expect(signingKeyAt(rotated, 'ES256', clock.now())?.kid).toBe(original[0]!.kid);
    clock.advance(1);
    expect(signingKeyAt(rotated, 'ES256', clock.now())?.kid).toBe(fresh[0]!.kid);
    expect(signingKeyAt(rotated, 'RS256', clock.now())?.kid).toBe(fresh[1]!.kid);
    expect(rotated.keys.map((key) => statusAt(key, clock.now()))).toEqual(['retired', 'retired', 'current', 'current']);
    // The signing keys come first: whoever takes the first key of an algorithm takes the one that signs.
    expect(kidsOf(rotated, clock.now())).toEqual([fresh[0]!.kid, fresh[1]!.kid, original[0]!.kid, original[1]!.kid]);
  }));

  it('only a retired key is withdrawn, at once; one that signs or is about to is refused', onStoppedClock(async (clock) => {
    const { ring, original } = await startingRing(clock);
    const fresh = await newKeys();
    const rotated = rotate(ring, { newKeys: fresh, now: clock.now(), promoteAfterSeconds: 3600, ...LIFETIMES });
    expect(() => withdraw(rotated, original[0]!.kid!, clock.now())).toThrow(new KeyNotRetiredError(`key ${original[0]!.kid} is signing: rotate the keys first, and withdraw it once it is retired`));
    expect(() => withdraw(rotated, fresh[0]!.kid!, clock.now())).toThrow(new KeyNotRetiredError(`key ${fresh[0]!.kid} is about to sign: rotate the keys first, and withdraw it once it is retired`));
    expect(withdraw(rotated, 'no-such-key', clock.now())).toBeUndefined();

    clock.advance(HOUR_MS);
    const withdrawn = withdraw(rotated, original[0]!.kid!, clock.now())!;
    expect(kidsOf(withdrawn, clock.now())).toEqual([fresh[0]!.kid, fresh[1]!.kid, original[1]!.kid]);
    expect(withdraw(withdrawn, original[0]!.kid!, clock.now())).toBeUndefined();
  }));

  it('a retired key stays published as long as its algorithm\'s tokens live, then is gone', onStoppedClock(async (clock) => {
    const { ring, original } = await startingRing(clock);
    const rotated = rotate(ring, { newKeys: await newKeys(), now: clock.now(), promoteAfterSeconds: 0, ...LIFETIMES });

    clock.advance((RETENTION.RS256 + LAG_ALLOWANCE_SECONDS) * 1000 - 1);
    expect(kidsOf(rotated, clock.now())).toContain(original[1]!.kid);
    clock.advance(1);
    expect(kidsOf(rotated, clock.now())).not.toContain(original[1]!.kid);
    expect(kidsOf(rotated, clock.now())).toContain(original[0]!.kid);
    clock.advance((RETENTION.ES256 - RETENTION.RS256) * 1000);
    expect(kidsOf(rotated, clock.now())).toHaveLength(2);
  }));

  it('promoting at once makes the new keys sign from the moment of the rotation', onStoppedClock(async (clock) => {
    const { ring } = await startingRing(clock);
    const fresh = await newKeys();
    const rotated = rotate(ring, { newKeys: fresh, now: clock.now(), promoteAfterSeconds: 0, ...LIFETIMES });
    expect(signingKeyAt(rotated, 'ES256', clock.now())?.kid).toBe(fresh[0]!.kid);
  }));

  it('a rotation before the previous one\'s promotion replaces its keys, which never signed; the current ones sign until the new promotion', onStoppedClock(async (clock) => {
    const { ring, original } = await startingRing(clock);
    const first = await newKeys();
    const once = rotate(ring, { newKeys: first, now: clock.now(), promoteAfterSeconds: 3600, ...LIFETIMES });
    clock.advance(HOUR_MS / 2);
    const second = await newKeys();
    const twice = rotate(once, { newKeys: second, now: clock.now(), promoteAfterSeconds: 3600, ...LIFETIMES });

    expect(twice.keys.map((key) => key.kid)).toEqual([...original, ...second].map((jwk) => jwk.kid));
    clock.advance(HOUR_MS / 2);
    expect(signingKeyAt(twice, 'ES256', clock.now())?.kid).toBe(original[0]!.kid);
    clock.advance(HOUR_MS / 2);
    expect(signingKeyAt(twice, 'ES256', clock.now())?.kid).toBe(second[0]!.kid);
  }));

  it('a key that may already sign somewhere (due within the lag allowance) is retired, not dropped', onStoppedClock(async (clock) => {
    const { ring } = await startingRing(clock);
    const first = await newKeys();
    const once = rotate(ring, { newKeys: first, now: clock.now(), promoteAfterSeconds: LAG_ALLOWANCE_SECONDS, ...LIFETIMES });
    const twice = rotate(once, { newKeys: await newKeys(), now: clock.now(), promoteAfterSeconds: 0, ...LIFETIMES });
    const kept = twice.keys.find((key) => key.kid === first[1]!.kid);
    expect(kept?.publishedUntil).toBe(clock.now() + LAG_ALLOWANCE_SECONDS * 1000 + (RETENTION.RS256 + LAG_ALLOWANCE_SECONDS) * 1000);
  }));
});
