import { generateKeyPairSync } from 'node:crypto';

import { exportJWK, jwtVerify, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';

import { encodeLicenseToken } from '../../src/grants/license/license-token.js';
import { serverSigningKey } from '../../src/keys/server-signing-key.js';

async function es256Jwk(kid: string): Promise<JWK> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
}

const claims = {
  issuer: 'https://stagepass.example.com', subject: 'client-1', licenseArn: 'arn:aws:license-manager::123456789012:license:l-1',
  tokenProperties: [], roleArns: [], tokenId: 'token-1', issuedAt: Math.floor(Date.now() / 1000), expiresAt: Math.floor(Date.now() / 1000) + 3600,
};

describe('the server signing key', () => {
  it('signs with the first ES256 key of the JWKS and still verifies tokens of the ES256 keys after it', async () => {
    const older = await es256Jwk('older');
    const newer = await es256Jwk('newer');
    const beforeRotation = serverSigningKey({ keys: [older] });
    const afterRotation = serverSigningKey({ keys: [newer, older] });
    expect((await afterRotation.keyFor(claims.expiresAt)).kid).toBe('newer');

    const signedBefore = await encodeLicenseToken(claims, await beforeRotation.keyFor(claims.expiresAt));
    const signedAfter = await encodeLicenseToken(claims, await afterRotation.keyFor(claims.expiresAt));
    for (const token of [signedBefore, signedAfter]) {
      const { payload } = await jwtVerify(token, afterRotation.verificationKeys, { issuer: claims.issuer, algorithms: ['ES256'] });
      expect(payload.jti).toBe('token-1');
    }
  });

  it('refuses a token of a key the JWKS no longer holds', async () => {
    const removed = serverSigningKey({ keys: [await es256Jwk('removed')] });
    const current = serverSigningKey({ keys: [await es256Jwk('current')] });
    await expect(jwtVerify(await encodeLicenseToken(claims, await removed.keyFor(claims.expiresAt)), current.verificationKeys)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('refuses a JWKS without an ES256 key, naming what it needs', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsa = { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: 'rsa', alg: 'RS256' };
    expect(() => serverSigningKey({ keys: [rsa] })).toThrow(/ES256/);
  });
});
