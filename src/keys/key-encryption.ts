import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

import type { JWK } from 'jose';

/** A private key as it rests in the store: AES-256-GCM under the key-encryption key, bound to its kid. */
export interface SealedKey {
  iv: string;
  ciphertext: string;
  tag: string;
}

/** 96 bits, the IV length GCM is specified for; random per key, never reused under one key-encryption key. */
const IV_BYTES = 12;

export class KeyDecryptionError extends Error {
  override name = 'KeyDecryptionError';
}

/**
 * Names a key-encryption key without revealing it (an HMAC of a fixed label under it): what a
 * record says it was sealed under, so that an instance holding another key can tell before it
 * mixes its own ciphertext in.
 */
export function keyEncryptionKeyId(encryptionKey: Buffer): string {
  return createHmac('sha256', encryptionKey).update('stagepass key-encryption key id').digest().subarray(0, 16).toString('base64url');
}

export function sealPrivateKey(jwk: JWK, kid: string, encryptionKey: Buffer): SealedKey {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
  // The kid is authenticated with it: a sealed key moved to another key's entry does not open.
  cipher.setAAD(Buffer.from(kid));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(jwk)), cipher.final()]);
  return { iv: iv.toString('base64url'), ciphertext: ciphertext.toString('base64url'), tag: cipher.getAuthTag().toString('base64url') };
}

export function openPrivateKey(sealed: SealedKey, kid: string, encryptionKey: Buffer): JWK {
  const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(sealed.iv, 'base64url'));
  decipher.setAAD(Buffer.from(kid));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64url')), decipher.final()]);
  } catch {
    throw new KeyDecryptionError(`signing key ${kid} does not decrypt with this key-encryption key`);
  }
  return JSON.parse(plaintext.toString('utf8')) as JWK;
}
