import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { SigningKeyRing, KEY_RING_RECORD, type SigningKeyRingOptions } from '../../src/keys/signing-key-ring.js';
import { generateSigningJwk } from '../../src/keys/signing-keys.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Store } from '../../src/store/store.js';
import { TestClock } from '../support/clock.js';
import { uniqueRedisPrefix } from '../support/stagepass.js';

let store: RedisStore;
beforeAll(async () => {
  store = new RedisStore({ url: inject('redisUrl'), keyPrefix: uniqueRedisPrefix() });
  await store.connect();
});
afterAll(() => store?.close());

/** The store, but the first write of the key set waits until `meanwhile` has run: another instance's rotation lands between this one's read and its write. */
function withRotationInBetween(real: Store, meanwhile: () => Promise<unknown>): Store {
  let pending: (() => Promise<unknown>) | undefined = meanwhile;
  return new Proxy(real, {
    get(target, property, receiver) {
      const original = Reflect.get(target, property, receiver) as unknown;
      if (property !== 'replaceValue' || typeof original !== 'function') return typeof original === 'function' ? original.bind(target) : original;
      return async (...args: Parameters<Store['replaceValue']>) => {
        const run = args[0] === KEY_RING_RECORD ? pending : undefined;
        pending = undefined;
        await run?.();
        return (original as Store['replaceValue']).apply(target, args);
      };
    },
  });
}

describe('the key set shared through the store', () => {
  it('a rotation that lands between another\'s read and write is kept: the other applies its own on top of it', async () => {
    const options: Omit<SigningKeyRingOptions, 'store'> = {
      clock: new TestClock(),
      encryptionKey: randomBytes(32),
      seed: { keys: await Promise.all([generateSigningJwk('ES256'), generateSigningJwk('RS256')]) },
      // Promoted at once, both rotations' keys may sign: losing either would leave tokens nobody can verify.
      promoteAfterSeconds: 0,
      tokenLifetimeSeconds: { ES256: 3600, RS256: 3600 },
    };
    const other = await SigningKeyRing.open({ ...options, store });
    let rotatedElsewhere: string[] = [];
    const here = await SigningKeyRing.open({
      ...options,
      store: withRotationInBetween(store, async () => {
        rotatedElsewhere = (await other.rotate()).map((key) => key.kid);
      }),
    });

    const rotatedHere = (await here.rotate()).map((key) => key.kid);
    expect(rotatedElsewhere).toHaveLength(2);
    for (const ring of [here, other]) {
      await ring.refresh();
      expect(ring.list().map((key) => key.kid)).toEqual(expect.arrayContaining([...rotatedHere, ...rotatedElsewhere]));
    }
  });

  it('refuses to start from a JWKS file without an ES256 key, which stagepass\'s own JWTs need, naming it, and stores nothing', async () => {
    const fresh = new RedisStore({ url: inject('redisUrl'), keyPrefix: uniqueRedisPrefix() });
    await fresh.connect();
    try {
      await expect(SigningKeyRing.open({
        store: fresh, clock: new TestClock(), encryptionKey: randomBytes(32), seed: { keys: [await generateSigningJwk('RS256')] },
        promoteAfterSeconds: 0, tokenLifetimeSeconds: { RS256: 3600 },
      })).rejects.toThrow(/ES256/);
      expect(await fresh.getValue(KEY_RING_RECORD)).toBeUndefined();
    } finally {
      await fresh.close();
    }
  });
});
