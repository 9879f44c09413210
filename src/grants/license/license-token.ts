import { randomUUID, type KeyObject } from 'node:crypto';

import { signCompactJws } from '../../keys/compact-jws.js';

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
  privateKey: KeyObject;
  /** Names the key in the server's JWKS so that relying parties can pick it. */
  kid: string;
  alg: 'ES256' | 'RS256';
}

/**
 * Signs a License Manager refresh token. The license ARN is the audience and the token properties
 * the `amr`, as CreateToken maps them.
 */
export async function encodeLicenseToken(claims: LicenseTokenClaims, key: LicenseSigningKey): Promise<string> {
  return signCompactJws({ alg: key.alg, kid: key.kid, typ: 'JWT' }, {
    iss: claims.issuer,
    sub: claims.subject,
    aud: claims.licenseArn,
    amr: claims.tokenProperties,
    roles: claims.roleArns,
    iat: claims.issuedAt,
    exp: claims.expiresAt,
    jti: claims.tokenId,
  }, { alg: key.alg, key: key.privateKey });
}

/** The TokenId CreateToken returns and DeleteToken later names; also the token's `jti`. */
export function newTokenId(): string {
  return randomUUID();
}

export interface LicenseAccessTokenClaims {
  issuer: string;
  subject: string;
  clientId: string;
  licenseArn: string;
  tokenProperties: string[];
  roleArns: string[];
  /** The refresh token this access token was exchanged for. */
  refreshTokenId: string;
  issuedAt: number;
  expiresAt: number;
}

/**
 * The short-lived access token GetAccessToken returns, as an RFC 9068 JWT access token: same
 * audience, properties and roles as the refresh token it came from.
 */
export async function encodeLicenseAccessToken(claims: LicenseAccessTokenClaims, key: LicenseSigningKey): Promise<string> {
  return signCompactJws({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }, {
    iss: claims.issuer,
    sub: claims.subject,
    aud: claims.licenseArn,
    client_id: claims.clientId,
    amr: claims.tokenProperties,
    roles: claims.roleArns,
    token_id: claims.refreshTokenId,
    iat: claims.issuedAt,
    exp: claims.expiresAt,
    jti: randomUUID(),
  }, { alg: key.alg, key: key.privateKey });
}
