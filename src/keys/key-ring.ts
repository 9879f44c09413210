import type { JWK } from 'jose';

/** The algorithms a rotation makes a new key for: RS256 for ID tokens, ES256 for stagepass's own JWTs. */
export const ROTATED_ALGORITHMS = ['ES256', 'RS256'] as const;

export type KeyStatus = 'next' | 'current' | 'retired';

/**
 * One signing key and the moments its statuses begin, in epoch milliseconds. Its status at any
 * moment follows from these and the clock alone, so every instance holding the same ring agrees
 * on which key signs without telling each other when a promotion happens.
 */
export interface RingKey {
  kid: string;
  alg: string;
  /** The private JWK, with `kid`, `alg` and `use`. */
  privateJwk: JWK;
  /** Published from here on, before it signs: relying parties that cache the JWKS learn it in time. */
  nextSince: number;
  /** Signs from here on (the newest current key of its algorithm signs). */
  currentSince: number;
  /** Replaced from here on: no longer signs, still published. */
  retiredSince?: number;
  /** Unpublished from here on: every token it may have signed without noting it has expired. */
  publishedUntil?: number;
  /**
   * Published until then at least: the latest expiry of the long-lived tokens it signed, as noted
   * before each was signed, and the lag allowance.
   */
  signedUntil?: number;
}

export interface KeyRing {
  keys: RingKey[];
}

/** When a retired key leaves the published set: once every token it signed, noted or not, has expired. */
export function unpublishedAt(key: RingKey): number | undefined {
  return key.publishedUntil === undefined ? undefined : Math.max(key.publishedUntil, key.signedUntil ?? 0);
}

/** A key's status at a moment; undefined once it is no longer published. */
export function statusAt(key: RingKey, now: number): KeyStatus | undefined {
  const until = unpublishedAt(key);
  if (until !== undefined && now >= until) return undefined;
  if (key.retiredSince !== undefined && now >= key.retiredSince) return 'retired';
  return now >= key.currentSince ? 'current' : 'next';
}

/**
 * The keys published at a moment, the signing ones first, newest first within a status: a
 * verifier or signer that takes the first key of an algorithm takes the one that signs now.
 */
export function publishedAt(ring: KeyRing, now: number): RingKey[] {
  const rank: Record<KeyStatus, number> = { current: 0, next: 1, retired: 2 };
  return ring.keys
    .map((key, order) => ({ key, order, status: statusAt(key, now) }))
    .filter((entry): entry is { key: RingKey; order: number; status: KeyStatus } => entry.status !== undefined)
    .sort((a, b) => rank[a.status] - rank[b.status] || b.key.currentSince - a.key.currentSince || a.order - b.order)
    .map(({ key }) => key);
}

/** The key that signs with `alg` at a moment: the current one promoted last. */
export function signingKeyAt(ring: KeyRing, alg: string, now: number): RingKey | undefined {
  return publishedAt(ring, now).find((key) => key.alg === alg && statusAt(key, now) === 'current');
}

export interface Rotation {
  /** The new keys, one per algorithm, each with its `kid`, `alg` and `use`. */
  newKeys: JWK[];
  now: number;
  promoteAfterSeconds: number;
  /**
   * Per algorithm, the longest a token signed with such a key stays valid unless its signing was
   * noted (`signedUntil`): a retired key stays published that much longer.
   */
  tokenLifetimeSeconds: Readonly<Record<string, number>>;
  /**
   * How far behind the ring an instance may be (it reads it again every so often, and clocks
   * differ a little): a retired key stays published this much longer still, and a key due to
   * sign within this is never taken for one that has not signed yet.
   */
  lagAllowanceSeconds: number;
  /**
   * The most keys of one algorithm the ring may publish: relying parties fetch the whole set, and
   * every instance holds it. A rotation that would publish more is refused.
   */
  maxKeysPerAlgorithm: number;
}

/** A rotation refused: it would publish more keys of an algorithm than the ring may hold. */
export class TooManyKeysError extends Error {
  override name = 'TooManyKeysError';
}

/**
 * The ring after a rotation: the new keys are next from `now` and current `promoteAfterSeconds`
 * later, the moment the keys of their algorithms that sign until then are retired. A key of an
 * earlier rotation still waiting for its promotion is replaced outright: it never signed, and
 * rotating again means its successor should sign instead, so the ring does not grow by keys
 * nobody used. Keys no longer published are dropped too.
 */
export function rotate(ring: KeyRing, rotation: Rotation): KeyRing {
  const { newKeys, now, promoteAfterSeconds, tokenLifetimeSeconds, lagAllowanceSeconds } = rotation;
  const promotion = now + promoteAfterSeconds * 1000;
  const lagAllowance = lagAllowanceSeconds * 1000;
  const rotatedAlgorithms = new Set(newKeys.map((jwk) => jwk.alg));
  const kept = ring.keys.flatMap((key): RingKey[] => {
    if (statusAt(key, now) === undefined) return [];
    // Retired already: stays as it is. Still to retire at an earlier rotation's promotion: retires at this one's instead.
    if (!rotatedAlgorithms.has(key.alg) || statusAt(key, now) === 'retired') return [key];
    if (key.currentSince > now + lagAllowance) return [];
    const lifetime = tokenLifetimeSeconds[key.alg];
    if (lifetime === undefined) throw new RangeError(`no token lifetime is known for ${key.alg} keys`);
    // A key due to sign before the new ones retires when they take over, even if that is sooner than its own promotion.
    const retiredSince = Math.max(promotion, key.currentSince);
    return [{ ...key, retiredSince, publishedUntil: retiredSince + lifetime * 1000 + lagAllowance }];
  });
  const added = newKeys.map((jwk): RingKey => ({
    kid: jwk.kid!, alg: jwk.alg!, privateJwk: jwk, nextSince: now, currentSince: promotion,
  }));
  const rotated = { keys: [...kept, ...added] };
  assertWithinBound(rotated, rotation);
  return rotated;
}

/** A withdrawal refused: the key signs, or is to sign, so taking it out would leave nothing to sign with. */
export class KeyNotRetiredError extends Error {
  override name = 'KeyNotRetiredError';
}

/**
 * The ring without a retired key, unpublished from `now` on: the tokens it signed stop verifying
 * at once, whenever they were to expire. What an operator does with a key that leaked, or one kept
 * published for years by long-lived tokens they choose to end. Undefined when the key is not
 * published; a key that signs, or is to, is refused: rotate first, and withdraw it once retired.
 */
export function withdraw(ring: KeyRing, kid: string, now: number): KeyRing | undefined {
  const key = ring.keys.find((candidate) => candidate.kid === kid);
  const status = key === undefined ? undefined : statusAt(key, now);
  if (status === undefined) return undefined;
  if (status !== 'retired') {
    throw new KeyNotRetiredError(`key ${kid} is ${status === 'current' ? 'signing' : 'about to sign'}: rotate the keys first, and withdraw it once it is retired`);
  }
  return { keys: ring.keys.filter((candidate) => candidate !== key && statusAt(candidate, now) !== undefined) };
}

function assertWithinBound(ring: KeyRing, { now, maxKeysPerAlgorithm }: Rotation): void {
  const published = publishedAt(ring, now);
  for (const alg of new Set(published.map((key) => key.alg))) {
    const ofAlgorithm = published.filter((key) => key.alg === alg);
    if (ofAlgorithm.length <= maxKeysPerAlgorithm) continue;
    const leaving = Math.min(...ofAlgorithm.map((key) => unpublishedAt(key) ?? Infinity));
    const when = Number.isFinite(leaving) ? `the first of them leaves the set at ${new Date(leaving).toISOString()}` : 'none of them is due to leave yet';
    throw new TooManyKeysError(`a rotation now would publish ${ofAlgorithm.length} ${alg} keys, more than ${maxKeysPerAlgorithm} keys of one algorithm: ${when}; rotate again after that`);
  }
}

/**
 * The ring a server starts from when none is stored yet: the keys of its JWKS file, current since
 * the epoch, so that every instance finds them signing from its first moment, whatever its clock.
 */
export function seededRing(keys: readonly JWK[]): KeyRing {
  return {
    keys: keys.map((jwk) => {
      const alg = algorithmOf(jwk);
      const kid = jwk.kid;
      if (!kid) throw new Error('every key of the JWKS file needs a kid');
      return { kid, alg, privateJwk: { ...jwk, alg, use: jwk.use ?? 'sig' }, nextSince: 0, currentSince: 0 };
    }),
  };
}

/** A JWKS file's key may leave `alg` out; its type and curve then say what it signs. */
function algorithmOf(jwk: JWK): string {
  if (jwk.alg) return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-384') return 'ES384';
  throw new Error(`the JWKS file's key ${jwk.kid ?? ''} needs an "alg"`);
}
