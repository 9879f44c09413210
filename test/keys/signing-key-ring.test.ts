import { randomBytes, randomUUID } from 'node:crypto';

import type { JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';

import { sealPrivateKey } from '../../src/keys/key-encryption.js';
import { publicJwkOf } from '../../src/keys/server-signing-key.js';
import { SigningKeyRing, KEY_RING_RECORD, type SigningKeyRingOptions } from '../../src/keys/signing-key-ring.js';
import { generateSigningJwk } from '../../src/keys/signing-keys.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store, ValueStore } from '../../src/store/store.js';
import { TestClock } from '../support/clock.js';
import { STORE_BACKENDS } from '../support/stores.js';

const HOUR_MS = 3_600_000;
const PROMOTE_AFTER_SECONDS = 600;
const MAX_KEYS_PER_ALGORITHM = 20;

/** Each test's store, closed after it. */
const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

/** The store, but the first write of the key set waits until `meanwhile` has run: another instance's rotation lands between this one's read and its write. */
function withRotationInBetween<S extends ValueStore>(real: S, meanwhile: () => Promise<unknown>): S {
  let pending: (() => Promise<unknown>) | undefined = meanwhile;
  return new Proxy(real, {
    get(target, property, receiver) {
      const original = Reflect.get(target, property, receiver) as unknown;
      if (property !== 'replaceValue' || typeof original !== 'function') return typeof original === 'function' ? original.bind(target) : original;
      return async (...args: Parameters<ValueStore['replaceValue']>) => {
        const run = args[0] === KEY_RING_RECORD ? pending : undefined;
        pending = undefined;
        await run?.();
        return (original as ValueStore['replaceValue']).apply(target, args);
      };
    },
  });
}

/** The store, recording every value it answers. */
function recordingReads(real: Store): { store: Store; read: string[] } {
  const read: string[] = [];
  const store = new Proxy(real, {
    get(target, property, receiver) {
      const original = Reflect.get(target, property, receiver) as unknown;
      if (typeof original !== 'function') return original;
      if (property !== 'getValue') return original.bind(target);
      return async (key: string) => {
        const value = await (original as Store['getValue']).call(target, key);
        if (value !== undefined) read.push(value);
        return value;
      };
    },
  });
  return { store, read };
}

/** The store, counting the writes of the key set's record. */
function countingKeySetWrites(real: Store): { store: Store; writes: () => number } {
  let writes = 0;
  const store = new Proxy(real, {
    get(target, property, receiver) {
      const original = Reflect.get(target, property, receiver) as unknown;
      if (typeof original !== 'function') return original;
      if (property !== 'replaceValue') return original.bind(target);
      return async (...args: Parameters<Store['replaceValue']>) => {
        const written = await (original as Store['replaceValue']).apply(target, args);
        if (written && args[0] === KEY_RING_RECORD) writes += 1;
        return written;
      };
    },
  });
  return { store, writes: () => writes };
}

/**
 * New keys without an RSA key generation each (a quarter second of CPU): real ES256 keys, and one
 * RSA key under a new kid every time. What the key set does with them depends on kids and times only.
 */
async function cheapKeys(): Promise<(alg: 'ES256' | 'RS256') => Promise<JWK>> {
  const rsa = await generateSigningJwk('RS256');
  return async (alg) => (alg === 'ES256' ? generateSigningJwk('ES256') : { ...rsa, kid: randomUUID() });
}

async function optionsOn(store: Store, clock: TestClock): Promise<SigningKeyRingOptions> {
  return {
    store,
    clock,
    encryptionKey: randomBytes(32),
    seed: { keys: await Promise.all([generateSigningJwk('ES256'), generateSigningJwk('RS256')]) },
    promoteAfterSeconds: PROMOTE_AFTER_SECONDS,
    tokenLifetimeSeconds: { ES256: 3600, RS256: 3600 },
    longestTokenSeconds: { ES256: 3650 * 86_400, RS256: 3600 },
    generateKey: await cheapKeys(),
  };
}

describe.each(STORE_BACKENDS)('the key set shared through the %s store', (_name, storeFor) => {
  const freshStore = async (clock: TestClock) => {
    const store = await storeFor(clock);
    opened.push(store);
    return store;
  };

  it('a rotation that lands between another\'s read and write is kept: the other applies its own on top of it', async () => {
    const clock = new TestClock();
    const options = await optionsOn(await freshStore(clock), clock);
    const other = await SigningKeyRing.open(options);
    let rotatedElsewhere: string[] = [];
    const here = await SigningKeyRing.open({
      ...options,
      store: withRotationInBetween(options.store, async () => {
        rotatedElsewhere = (await other.rotate()).map((key) => key.kid);
        // Close enough to their promotion that they may sign somewhere already: they are retired, not replaced.
        clock.advance((PROMOTE_AFTER_SECONDS - 30) * 1000);
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
    const clock = new TestClock();
    const store = await freshStore(clock);
    await expect(SigningKeyRing.open({ ...(await optionsOn(store, clock)), seed: { keys: [await generateSigningJwk('RS256')] } })).rejects.toThrow(/ES256/);
    expect(await store.getValue(KEY_RING_RECORD)).toBeUndefined();
  });

  it('a key set sealed under another key-encryption key is neither adopted nor added to: every instance sharing a key can still read what the store holds', async () => {
    const clock = new TestClock();
    const store = await freshStore(clock);
    const options = await optionsOn(store, clock);
    const otherKey = { ...options, encryptionKey: randomBytes(32) };
    const running = await SigningKeyRing.open(options);

    // The store loses its key set, and an instance with another key-encryption key seeds it anew.
    await store.deleteValue(KEY_RING_RECORD);
    const seeded = await SigningKeyRing.open(otherKey);
    await running.refresh().catch(() => {});
    await expect(running.rotate()).rejects.toThrow();

    const sharingTheSeedersKey = await SigningKeyRing.open(otherKey);
    expect(sharingTheSeedersKey.list().map((key) => key.kid)).toEqual(seeded.list().map((key) => key.kid));
    await expect(SigningKeyRing.open(options)).rejects.toThrow(/another key-encryption key/);
  });

  it('a store that kept the key set\'s head but lost the keys it names is refused at start as one that lost its state; an instance holding those keys writes them anew at its next rotation', async () => {
    const clock = new TestClock();
    const store = await freshStore(clock);
    const options = await optionsOn(store, clock);
    const running = await SigningKeyRing.open(options);
    const problems: (string | undefined)[] = [];
    running.onStoreStateChange((problem) => problems.push(problem));

    const { keySet } = JSON.parse((await store.getValue(KEY_RING_RECORD))!) as { keySet: string };
    await store.deleteValue(`${KEY_RING_RECORD}:${keySet}`);
    await expect(SigningKeyRing.open(options)).rejects.toThrow(/lost/);
    // Its key set is still held here: nothing to read until the head changes.
    await running.refresh();
    expect(problems).toEqual([]);
    await expect(running.rotate()).resolves.toHaveLength(2);
  });

  it('refreshing a key set that did not change reads no sealed key, only a small record', async () => {
    const clock = new TestClock();
    const { store, read } = recordingReads(await freshStore(clock));
    const ring = await SigningKeyRing.open(await optionsOn(store, clock));
    await ring.rotate();
    await ring.refresh();
    read.length = 0;

    for (let refresh = 0; refresh < 5; refresh += 1) await ring.refresh();
    expect(read.length).toBeGreaterThan(0);
    for (const value of read) {
      expect(value).not.toContain('"sealed":');
      expect(value.length).toBeLessThan(1024);
    }
  });

  it('a key\'s long-lived tokens are noted in the store before they are signed, once per day of expiry rather than per token', async () => {
    const clock = new TestClock();
    const { store, writes } = countingKeySetWrites(await freshStore(clock));
    const ring = await SigningKeyRing.open(await optionsOn(store, clock));
    // A rotated-in key: the JWKS file's are taken to have signed the longest tokens already.
    await ring.rotate();
    clock.advance(PROMOTE_AFTER_SECONDS * 1000);
    await ring.refresh();
    const day = 86_400;
    const inAYear = (Math.floor(clock.now() / 1000 / day) + 365) * day + 100;
    const before = writes();
    for (let token = 0; token < 10; token += 1) await ring.serverKey.keyFor(inAYear + token);
    expect(writes() - before).toBe(1);
    await ring.serverKey.keyFor(inAYear + 2 * day);
    expect(writes() - before).toBe(2);
    // Tokens that live no longer than the key stays published anyway are not noted.
    await ring.serverKey.keyFor(Math.floor(clock.now() / 1000) + 3600);
    expect(writes() - before).toBe(2);
  });

  it('a key set stored before generations and notes were kept is taken over whole, its ES256 keys kept published for the longest license token', async () => {
    const clock = new TestClock();
    const store = await freshStore(clock);
    const options = await optionsOn(store, clock);
    const [es256, rs256] = options.seed.keys;
    // As the store held it: one record of every key, its private part sealed, current since the seeding.
    const seededAt = clock.now();
    const earlier = {
      keys: [es256!, rs256!].map((jwk) => ({
        kid: jwk.kid!, alg: jwk.alg!, nextSince: seededAt, currentSince: seededAt,
        publicJwk: publicJwkOf(jwk), sealed: sealPrivateKey(jwk, jwk.kid!, options.encryptionKey),
      })),
    };
    await store.setValue(KEY_RING_RECORD, JSON.stringify(earlier), 3600);

    const ring = await SigningKeyRing.open({ ...options, seed: { keys: [await generateSigningJwk('ES256')] } });
    expect(ring.list().map((key) => key.kid)).toEqual([es256!.kid, rs256!.kid]);
    await ring.rotate();
    clock.advance(PROMOTE_AFTER_SECONDS * 1000 + 2 * HOUR_MS);
    await ring.refresh();
    const retired = ring.list().filter((key) => key.status === 'retired');
    expect(retired.map((key) => key.kid)).toEqual([es256!.kid]);
    expect(Date.parse(retired[0]!.publishedUntil!)).toBeGreaterThan(clock.now() + 3649 * 86_400_000);
  });

  it('150 rotations, each promoted before the next, leave a bounded key set: keys that signed only hour-long tokens leave an hour and a minute after they retire', async () => {
    const clock = new TestClock();
    const ring = await SigningKeyRing.open(await optionsOn(await freshStore(clock), clock));
    const tenMinutes = 10 * 60_000;
    for (let rotation = 0; rotation < 150; rotation += 1) {
      await ring.rotate();
      clock.advance(tenMinutes);
      await ring.refresh();
    }
    const published = ring.list();
    expect(published.length).toBeLessThanOrEqual(18);
    expect(ring.publishedJwks().keys).toHaveLength(published.length);
    const lingering = published.filter((key) => key.status === 'retired' && clock.now() - Date.parse(key.retiredSince!) > HOUR_MS + 60_000);
    // Only the JWKS file's ES256 key, which may have signed license tokens before there was a key set.
    expect(lingering.map((key) => key.alg)).toEqual(['ES256']);
  });

  it('a rotation that would publish more than 20 keys of an algorithm is refused, saying when the oldest leaves', async () => {
    const clock = new TestClock();
    // Tokens that live ten days keep each retired key published that long.
    const tenDays = 10 * 86_400;
    const ring = await SigningKeyRing.open({ ...(await optionsOn(await freshStore(clock), clock)), tokenLifetimeSeconds: { ES256: tenDays, RS256: tenDays } });
    let refusal: Error | undefined;
    for (let rotation = 0; rotation < 40 && refusal === undefined; rotation += 1) {
      refusal = await ring.rotate().then(() => undefined, (error: Error) => error);
      clock.advance(PROMOTE_AFTER_SECONDS * 1000);
      await ring.refresh();
    }
    expect(refusal?.message).toMatch(new RegExp(`more than ${MAX_KEYS_PER_ALGORITHM} .*leaves the set at \\d{4}-\\d\\d-\\d\\dT`));
    for (const alg of ['ES256', 'RS256']) expect(ring.list().filter((key) => key.alg === alg).length).toBeLessThanOrEqual(MAX_KEYS_PER_ALGORITHM);
  });
});

describe('the key set\'s records over the years (the memory store, whose expiry follows the test clock)', () => {
  const year = 365 * 86_400_000;
  /** A ring past its first rotation's promotion, and the store problems it reports from then on. */
  async function rotatedRing() {
    const clock = new TestClock();
    const store = new MemoryStore(clock);
    opened.push(store);
    const options = await optionsOn(store, clock);
    const ring = await SigningKeyRing.open(options);
    await ring.rotate();
    clock.advance(PROMOTE_AFTER_SECONDS * 1000);
    await ring.refresh();
    const problems: (string | undefined)[] = [];
    ring.onStoreStateChange((problem) => problems.push(problem));
    return { clock, store, options, ring, problems };
  }

  it('a key set\'s record outlives the long-lived tokens noted while it stands, however late they are signed', async () => {
    const { clock, options, ring, problems } = await rotatedRing();

    clock.advance(9 * year);
    await ring.serverKey.keyFor(Math.floor(clock.now() / 1000) + 3650 * 86_400);
    clock.advance(2 * year);
    for (let refresh = 0; refresh < 2; refresh += 1) await ring.refresh();
    expect(problems).toEqual([]);
    await expect(SigningKeyRing.open(options)).resolves.toBeDefined();
  });
  it('a key set\'s record an earlier stagepass wrote with a ten-year lifetime outlives a long-lived token noted later', async () => {
    const { clock, store, options, ring, problems } = await rotatedRing();
    const { keySet } = JSON.parse((await store.getValue(KEY_RING_RECORD))!) as { keySet: string };
    const record = `${KEY_RING_RECORD}:${keySet}`;
    await store.setValue(record, (await store.getValue(record))!, (10 * year) / 1000);

    clock.advance(5 * year);
    await ring.serverKey.keyFor(Math.floor(clock.now() / 1000) + 3650 * 86_400);
    clock.advance(6 * year);
    for (let refresh = 0; refresh < 2; refresh += 1) await ring.refresh();
    expect(problems).toEqual([]);
    await expect(SigningKeyRing.open(options)).resolves.toBeDefined();
  });
});
