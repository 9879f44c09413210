import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';

import { createLocalJWKSet, type JWK, type JWTVerifyGetKey } from 'jose';

import type { PrivateJwks } from './signing-keys.js';

/** One ES256 key, imported once, and the `kid` relying parties find it by in /jwks. */
export interface SigningKey {
  privateKey: KeyObject;
  kid: string;
  alg: 'ES256';
}

/** The ES256 key stagepass signs its own JWTs (license tokens) with, and the keys it accepts them from. */
export interface ServerSigningKey {
  alg: 'ES256';
  /**
   * The key that signs now (after a rotation's promotion, the new one), for a token valid until
   * `expiresAt` (epoch seconds): a key set that retires keys by what they signed notes a
   * long-lived token before answering, so ask for the key right before signing, with the token's expiry.
   */
  keyFor(expiresAt: number): Promise<SigningKey>;
  /**
   * Every published ES256 key, found by the `kid` a token names: a token signed before a rotation
   * still verifies while its key stays published.
   */
  verificationKeys: JWTVerifyGetKey;
}

export const isEs256 = (key: JWK) => key.alg === 'ES256' || (key.kty === 'EC' && key.crv === 'P-256');

/** The private parts of a JWK, which /jwks and the admin answers never show. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'priv', 'k'] as const;

export function publicJwkOf(jwk: JWK): JWK {
  const publicJwk: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete publicJwk[member];
  return publicJwk as JWK;
}

export function importSigningKey(jwk: JWK): SigningKey {
  if (!jwk.kid) throw new Error('a signing key needs a kid');
  return { privateKey: createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }), kid: jwk.kid, alg: 'ES256' };
}

/** Verifies by the ES256 keys given (private or public), by the `kid` a token names. */
export function es256VerificationKeys(keys: readonly JWK[]): JWTVerifyGetKey {
  return createLocalJWKSet({ keys: keys.filter(isEs256).map((jwk) => ({ ...publicJwkOf(jwk), alg: 'ES256' })) });
}

/** The first ES256 key of a fixed JWKS, imported once; relying parties find it in /jwks by its kid. */
export function serverSigningKey(jwks: PrivateJwks): ServerSigningKey {
  const jwk = jwks.keys.find(isEs256);
  if (!jwk?.kid) throw new Error('the JWKS needs an ES256 (P-256) key with a kid to sign stagepass JWTs');
  const key = importSigningKey(jwk);
  return { alg: 'ES256', keyFor: async () => key, verificationKeys: es256VerificationKeys(jwks.keys) };
}

/** A PS384 key and the `kid` /jwks publishes it under: what signs the license minter's leases, verifiable offline. */
export interface Ps384SigningKey {
  privateKey: KeyObject;
  kid: string;
  alg: 'PS384';
}

/** The PS384 key of the moment, for a token valid until `expiresAt` (epoch seconds), published long enough for it. */
export interface LeaseSigningKey {
  keyFor(expiresAt: number): Promise<Ps384SigningKey>;
}

/**
 * The server's RSA keys also sign PS384, published in /jwks under a `kid` of their own (an
 * `alg` per JWK, as relying parties choose keys by it), so that they rotate, are noted and
 * withdrawn with the RS256 key they are.
 */
export const ps384KidOf = (rs256Kid: string): string => `${rs256Kid}.ps384`;

export function ps384TwinOf(jwk: JWK): JWK | undefined {
  return jwk.alg === 'RS256' && jwk.kid ? { ...jwk, alg: 'PS384', kid: ps384KidOf(jwk.kid) } : undefined;
}

export function importPs384Key(rs256Jwk: JWK): Ps384SigningKey {
  return { privateKey: createPrivateKey({ key: rs256Jwk as JsonWebKey, format: 'jwk' }), kid: ps384KidOf(rs256Jwk.kid!), alg: 'PS384' };
}
