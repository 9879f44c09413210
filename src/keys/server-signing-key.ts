import { importJWK, type CryptoKey } from 'jose';

import type { PrivateJwks } from './signing-keys.js';

export interface ServerSigningKey {
  privateKey: CryptoKey;
  /** Verifies what the private key signed, without a round trip through /jwks. */
  publicKey: CryptoKey;
  kid: string;
  alg: 'ES256';
}

/** The ES256 key of the server's JWKS, imported once; relying parties find it in /jwks by its kid. */
export async function serverSigningKey(jwks: PrivateJwks): Promise<ServerSigningKey> {
  const jwk = jwks.keys.find((key) => key.alg === 'ES256' || (key.kty === 'EC' && key.crv === 'P-256'));
  if (!jwk?.kid) throw new Error('the JWKS needs an ES256 (P-256) key with a kid to sign stagepass JWTs');
  const { d: _private, ...publicJwk } = jwk;
  return {
    privateKey: (await importJWK(jwk, 'ES256')) as CryptoKey,
    publicKey: (await importJWK(publicJwk, 'ES256')) as CryptoKey,
    kid: jwk.kid,
    alg: 'ES256',
  };
}
