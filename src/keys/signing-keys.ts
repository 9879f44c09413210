import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

import { createFileOnce } from './create-file-once.js';

export interface PrivateJwks {
  keys: JWK[];
}

/**
 * RS256 signs ID tokens unless a client registers another algorithm (OpenID Connect's default,
 * which every relying party accepts); ES256 signs stagepass's own JWTs, the license tokens.
 */
const GENERATED_ALGORITHMS = ['ES256', 'RS256'] as const;

/**
 * Loads the private JWKS, generating and saving one on first start so that tokens signed before a
 * restart still verify after it.
 */
export async function loadOrCreateJwks(path: string): Promise<PrivateJwks> {
  const value = await loadOrCreateJson(path, async () => ({
    keys: await Promise.all(GENERATED_ALGORITHMS.map(generateSigningJwk)),
  }));
  return parseJwks(value, path);
}

/** Secrets that sign oidc-provider's cookies; shared by every instance that reads the same file. */
export async function loadOrCreateCookieKeys(path: string): Promise<string[]> {
  const value = await loadOrCreateJson(path, async () => [randomBytes(32).toString('base64url')]);
  if (!Array.isArray(value) || value.length === 0 || !value.every((k) => typeof k === 'string' && k.length >= 32)) {
    throw new Error(`${path} must be a JSON array of strings of at least 32 characters`);
  }
  return value as string[];
}

/**
 * The AES-256 key that encrypts the signing keys kept in the store, as an `oct` JWK; every
 * instance sharing the store must read the same file.
 */
export async function loadOrCreateKeyEncryptionKey(path: string): Promise<Buffer> {
  const value = await loadOrCreateJson(path, async () => ({ kty: 'oct', alg: 'A256GCM', k: randomBytes(32).toString('base64url') }));
  const { kty, k } = (value ?? {}) as { kty?: unknown; k?: unknown };
  const key = kty === 'oct' && typeof k === 'string' ? Buffer.from(k, 'base64url') : undefined;
  if (key?.length !== 32) throw new Error(`${path} must hold a JWK of "kty": "oct" whose "k" is 32 bytes (AES-256), base64url`);
  return key;
}

/** A new private signing key, named by its thumbprint. */
export async function generateSigningJwk(alg: (typeof GENERATED_ALGORITHMS)[number]): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg, use: 'sig' };
}

function parseJwks(value: unknown, path: string): PrivateJwks {
  const keys = (value as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'object' && k !== null && 'd' in k)) {
    throw new Error(`${path} must be a JWKS whose "keys" are private keys`);
  }
  return { keys: keys as JWK[] };
}

async function loadOrCreateJson(path: string, create: () => Promise<unknown>): Promise<unknown> {
  const existing = await readJsonIfPresent(path);
  if (existing !== undefined) return existing;
  await createFileOnce(path, `${JSON.stringify(await create(), null, 2)}\n`);
  return readJsonIfPresent(path);
}

async function readJsonIfPresent(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new Error(`${path} is not valid JSON: ${(cause as Error).message}`);
  }
}
