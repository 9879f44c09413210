import { randomUUID, type KeyObject } from 'node:crypto';

import { SignJWT } from 'jose';

export interface LicenseTokenClaims {
  issuer: string;
  subject: string;
  licenseArn: string;
  tokenProperties: string[];
  roleArns: string[];
  tokenId: string;
  /** Epoch seconds. */
  issuedAt: number;
  /** Epoch seconds. */
  expiresAt: number;
}

export interface LicenseSigningKey {
  privateKey: CryptoKey | KeyObject;
  /** Names the key in the server's JWKS so that relying parties can pick it. */
  kid: string;
  alg: 'ES256' | 'RS256';
}

/**
 * Signs a License Manager refresh token. The license ARN is the audience and the token properties
 * the `amr`, as CreateToken maps them.
 */
export async function encodeLicenseToken(claims: LicenseTokenClaims, key: LicenseSigningKey): Promise<string> {
  return new SignJWT({
    iss: claims.issuer,
    sub: claims.subject,
    aud: claims.licenseArn,
    amr: claims.tokenProperties,
    roles: claims.roleArns,
    iat: claims.issuedAt,
    exp: claims.expiresAt,
    jti: claims.tokenId,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey);
}

/** The TokenId CreateToken returns and DeleteToken later names; also the token's `jti`. */
export function newTokenId(): string {
  return randomUUID();
}
