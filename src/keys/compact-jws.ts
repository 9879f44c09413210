import { constants, createHmac, sign, type KeyObject } from 'node:crypto';

export type JwsAlgorithm = 'HS256' | 'ES256' | 'ES384' | 'RS256' | 'PS384';

/** A key imported once (node:crypto KeyObject: private for ES and RS, secret for HS) and its algorithm. */
export interface JwsKey {
  alg: JwsAlgorithm;
  key: KeyObject;
}

const HASH: Record<JwsAlgorithm, string> = { HS256: 'sha256', ES256: 'sha256', ES384: 'sha384', RS256: 'sha256', PS384: 'sha384' };

/**
 * Signatures that take hundreds of microseconds go to the libuv pool, so concurrent requests do
 * not queue behind them on the event loop; the cheap ones are made in place, where the hand-off
 * would cost more than the signature.
 */
const SIGNED_OFF_THREAD: ReadonlySet<JwsAlgorithm> = new Set(['ES384', 'RS256', 'PS384']);

/**
 * A JWS in compact serialization (RFC 7515), header and claims serialized in the order given.
 * node:crypto signs directly: WebCrypto, which jose uses, imports the key and allocates a job per
 * signature. ECDSA signatures are r‖s as JOSE wants them (ieee-p1363), not DER.
 */
export async function signCompactJws(header: { alg: JwsAlgorithm } & Record<string, unknown>, claims: object, { alg, key }: JwsKey): Promise<string> {
  if (header.alg !== alg) throw new RangeError(`the header names ${header.alg} but the key is for ${alg}`);
  const signingInput = `${base64urlJson(header)}.${base64urlJson(claims)}`;
  const signature = await signatureOf(Buffer.from(signingInput), alg, key);
  return `${signingInput}.${signature.toString('base64url')}`;
}

function signatureOf(data: Buffer, alg: JwsAlgorithm, key: KeyObject): Buffer | Promise<Buffer> {
  if (alg === 'HS256') return createHmac(HASH[alg], key).update(data).digest();
  // PS384: RSASSA-PSS with a salt as long as the hash (RFC 7518, 3.5).
  const options = alg === 'PS384'
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }
    : { key, dsaEncoding: 'ieee-p1363' as const };
  if (!SIGNED_OFF_THREAD.has(alg)) return sign(HASH[alg], data, options);
  return new Promise((resolve, reject) => {
    sign(HASH[alg], data, options, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}

function base64urlJson(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
