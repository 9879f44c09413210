import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { createFileOnce } from './create-file-once.js';

/**
 * Loads a P-384 private key from a PEM file, creating one when the file is missing so that a
 * development server can mint at once. The key is imported here, once, and reused for every token.
 */
export async function loadOrCreateP384Key(path: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    await createFileOnce(path, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    pem = await readFile(path, 'utf8');
  }
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
    throw new Error(`${path} must hold an EC P-384 private key (IVS participant tokens are ES384)`);
  }
  return key;
}

/** Loads an RSA private key (PEM) that already exists: application credentials come from the vendor. */
export async function loadRsaPrivateKey(path: string): Promise<KeyObject> {
  const key = createPrivateKey(await readFile(path, 'utf8'));
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`${path} must hold an RSA private key`);
  return key;
}
