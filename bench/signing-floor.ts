import { generateKeyPairSync, sign } from 'node:crypto';

/**
 * Signatures per second one core makes with node:crypto: the ceiling of any endpoint that signs
 * one token per request. Synchronous calls on this thread, so exactly one core is measured.
 */
export function signaturesPerSecond(curve: 'P-256' | 'P-384', seconds: number): number {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const hash = curve === 'P-384' ? 'sha384' : 'sha256';
  const input = Buffer.from('eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCJ9.eyJyZXNvdXJjZSI6ImFybjphd3M6aXZzIn0');
  for (let i = 0; i < 200; i += 1) sign(hash, input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  let count = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < end) {
    for (let i = 0; i < 50; i += 1) sign(hash, input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    count += 50;
    now = process.hrtime.bigint();
  }
  return count / (Number(now - start) / 1e9);
}
