import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';

import { createLocalJWKSet, type JWK, type JWTVerifyGetKey } from 'jose';

import type { PrivateJwks } from './signing-keys.js';

export interface ServerSigningKey {
  privateKey: KeyObject;
  kid: string;
  alg: 'ES256';
  /**
   * Every ES256 key of the JWKS, found by the `kid` a token names: a token signed before the
   * newest key was added still verifies while its key stays in the file.
   */
  verificationKeys: JWTVerifyGetKey;
}

const isEs256 = (key: JWK) => key.alg === 'ES256' || (key.kty === 'EC' && key.crv === 'P-256');

/** The first ES256 key of the server's JWKS, imported once; relying parties find it in /jwks by its kid. */
export function serverSigningKey(jwks: PrivateJwks): ServerSigningKey {
  const jwk = jwks.keys.find(isEs256);
  if (!jwk?.kid) throw new Error('the JWKS needs an ES256 (P-256) key with a kid to sign stagepass JWTs');
  const publicKeys = jwks.keys.filter(isEs256).map(({ d: _private, ...publicJwk }) => ({ ...publicJwk, alg: 'ES256' }));
  return {
    privateKey: createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }),
    kid: jwk.kid,
    alg: 'ES256',
    verificationKeys: createLocalJWKSet({ keys: publicKeys }),
  };
}
