import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

import type { JWK } from 'jose';

/** A private key or secret as it rests in the store: AES-256-GCM under the key-encryption key, bound to what it belongs to. */
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
  // The kid is authenticated with it: a sealed key moved to another key's entry does not open.
  return sealSecret(JSON.stringify(jwk), kid, encryptionKey);
}

export function openPrivateKey(sealed: SealedKey, kid: string, encryptionKey: Buffer): JWK {
  const opened = openSecret(sealed, kid, encryptionKey);
  if (opened === undefined) throw new KeyDecryptionError(`signing key ${kid} does not decrypt with this key-encryption key`);
  return JSON.parse(opened) as JWK;
}

/**
 * Any secret at rest (an authenticator app's key), sealed as a private key is: `boundTo` names
 * what it belongs to and is authenticated with it, so a sealed secret copied to another record
 * does not open there.
 */
export function sealSecret(secret: string, boundTo: string, encryptionKey: Buffer): SealedKey {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
  cipher.setAAD(Buffer.from(boundTo));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return { iv: iv.toString('base64url'), ciphertext: ciphertext.toString('base64url'), tag: cipher.getAuthTag().toString('base64url') };
}

/** The secret, or undefined when it does not open with this key for `boundTo`. */
export function openSecret(sealed: SealedKey, boundTo: string, encryptionKey: Buffer): string | undefined {
  const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(sealed.iv, 'base64url'));
  decipher.setAAD(Buffer.from(boundTo));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
