import type { JWTVerifyGetKey } from 'jose';

import { publishedAt, signingKeyAt, statusAt, unpublishedAt, type KeyRing, type KeyStatus, type RingKey } from './key-ring.js';
import { es256VerificationKeys, importSigningKey, type SigningKey } from './server-signing-key.js';

/** The keys as published at one moment, each part derived once. */
export interface PublishedView {
  published: RingKey[];
  /** The kids in published order with their statuses: what tells a change apart. */
  fingerprint: string;
  serverKey: SigningKey | undefined;
  verificationKeys: JWTVerifyGetKey;
}

/** What anyone may know of a key: never its private parts. */
export interface KeyDescription {
  kid: string;
  alg: string;
  use: 'sig';
  status: KeyStatus;
  /** ISO 8601 times each status begins (in the future for one still to come). */
  nextSince: string;
  currentSince: string;
  retiredSince?: string;
  publishedUntil?: string;
}

/** The view at `now`; `previous` itself when nothing published changed, and its imported key while the same one signs. */
export function viewAt(ring: KeyRing, now: number, previous: PublishedView | undefined): PublishedView {
  const published = publishedAt(ring, now);
  const fingerprint = published.map((key) => `${key.kid}:${statusAt(key, now)}`).join(',');
  if (previous?.fingerprint === fingerprint) return previous;
  const serverKey = signingKeyAt(ring, 'ES256', now);
  return {
    published,
    fingerprint,
    serverKey: serverKey && (previous?.serverKey?.kid === serverKey.kid ? previous.serverKey : importSigningKey(serverKey.privateJwk)),
    verificationKeys: es256VerificationKeys(published.map((key) => key.privateJwk)),
  };
}

export function describeKey(key: RingKey, now: number): KeyDescription {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const until = unpublishedAt(key);
  return {
    kid: key.kid,
    alg: key.alg,
    use: 'sig',
    status: statusAt(key, now) ?? 'retired',
    nextSince: iso(key.nextSince)!,
    currentSince: iso(key.currentSince)!,
    ...(key.retiredSince !== undefined ? { retiredSince: iso(key.retiredSince) } : {}),
    ...(until !== undefined ? { publishedUntil: iso(until) } : {}),
  };
}
