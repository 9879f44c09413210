import { generateKeyPairSync } from 'node:crypto';

import { createLocalJWKSet, decodeProtectedHeader, exportJWK, jwtVerify, type KeyObject } from 'jose';
import { describe, expect, it } from 'vitest';

import { encodeLicenseToken, newTokenId, type LicenseTokenClaims } from '../../src/grants/license/license-token.js';

const ISSUED_AT = 1_767_225_600; // 2026-01-01T00:00:00Z
const ONE_MINUTE_LATER = new Date((ISSUED_AT + 60) * 1000);
const ISSUER = 'https://stagepass.example.com';

const claims: LicenseTokenClaims = {
  issuer: ISSUER,
  subject: 'account-7',
  licenseArn: 'arn:aws:license-manager::294406891311:license:l-16bf01b2c3d4e5f6a7b8c9d0e1f2a3b4',
  tokenProperties: ['device-1', 'site:berlin'],
  roleArns: ['arn:aws:iam::123456789012:role/LicenseConsumer'],
  tokenId: '3f0c6a0e-4f5e-4b8e-9d62-1a7c0b9f1e23',
  issuedAt: ISSUED_AT,
  expiresAt: ISSUED_AT + 365 * 86_400,
};

/** The server's published JWKS, as a relying party would fetch it. */
async function jwksOf(publicKey: KeyObject, kid: string, alg: string) {
  return createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }] });
}

const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const es256Key = { privateKey: es256.privateKey, kid: 'es256-key-1', alg: 'ES256' as const };
const serverJwks = await jwksOf(es256.publicKey, es256Key.kid, 'ES256');

function verify(token: string, at = ONE_MINUTE_LATER) {
  return jwtVerify(token, serverJwks, { issuer: ISSUER, audience: claims.licenseArn, currentDate: at });
}

describe('License Manager refresh token', () => {
  it('names its algorithm and key in the header', async () => {
    const token = await encodeLicenseToken(claims, es256Key);
    expect(decodeProtectedHeader(token)).toStrictEqual({ alg: 'ES256', kid: 'es256-key-1', typ: 'JWT' });
  });

  it('verifies against the server JWKS and carries every claim', async () => {
    const { payload } = await verify(await encodeLicenseToken(claims, es256Key));
    expect(payload).toStrictEqual({
      iss: ISSUER,
      sub: 'account-7',
      aud: claims.licenseArn,
      amr: ['device-1', 'site:berlin'],
      roles: ['arn:aws:iam::123456789012:role/LicenseConsumer'],
      iat: ISSUED_AT,
      exp: ISSUED_AT + 365 * 86_400,
      jti: claims.tokenId,
    });
  });

  it('carries empty amr and roles when no properties or roles were asked for', async () => {
    const { payload } = await verify(await encodeLicenseToken({ ...claims, tokenProperties: [], roleArns: [] }, es256Key));
    expect(payload.amr).toStrictEqual([]);
    expect(payload.roles).toStrictEqual([]);
  });

  it('is refused by a relying party expecting another license', async () => {
    const token = await encodeLicenseToken(claims, es256Key);
    const other = jwtVerify(token, serverJwks, { audience: 'arn:aws:license-manager::294406891311:license:l-other', currentDate: ONE_MINUTE_LATER });
    await expect(other).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
  });

  it('fails verification once tampered with', async () => {
    const [header, payload, signature] = (await encodeLicenseToken(claims, es256Key)).split('.');
    const granted = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...granted, amr: [...granted.amr, 'device-2'] })).toString('base64url');
    await expect(verify(`${header}.${forged}.${signature}`)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  it('is refused when signed by a key the JWKS does not publish', async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = await encodeLicenseToken(claims, { ...es256Key, privateKey: stranger.privateKey, kid: 'unknown-key' });
    await expect(verify(token)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('is refused after it expires', async () => {
    const token = await encodeLicenseToken(claims, es256Key);
    await expect(verify(token, new Date((claims.expiresAt + 1) * 1000))).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });

  it('can be signed with an RS256 key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await encodeLicenseToken(claims, { privateKey: rsa.privateKey, kid: 'rs256-key-1', alg: 'RS256' });
    const jwks = await jwksOf(rsa.publicKey, 'rs256-key-1', 'RS256');
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { audience: claims.licenseArn, currentDate: ONE_MINUTE_LATER });
    expect(protectedHeader).toStrictEqual({ alg: 'RS256', kid: 'rs256-key-1', typ: 'JWT' });
    expect(payload.jti).toBe(claims.tokenId);
  });
});

describe('token id', () => {
  it('is a version 4 UUID', () => {
    expect(newTokenId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('differs from one token to the next', () => {
    expect(newTokenId()).not.toBe(newTokenId());
  });
});
