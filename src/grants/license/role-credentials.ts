import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, randomInt } from 'node:crypto';

import type { ValueStore } from '../../store/store.js';
import type { Clock } from '../../time/clock.js';

/** What role credentials act for: a license token's person (or client), on that token's license only. */
export interface RoleSession {
  /** The license token (refresh token) the access token they were assumed with came from. */
  tokenId: string;
  licenseArn: string;
  clientId: string;
  person?: string;
  roleArn: string;
  sessionName: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const recordKey = (sessionToken: string) => `role-credentials:${createHash('sha256').update(sessionToken).digest('base64url')}`;

/**
 * Temporary credentials, as STS gives them: an `ASIA…` access key id, a secret access key and a
 * session token, kept until they expire. The store holds neither the session token (its record is
 * found by the token's hash) nor the secret in the clear: the secret is sealed under a key derived
 * from the session token, so a copy of the store alone signs nothing.
 */
export class RoleCredentials {
  constructor(private readonly store: ValueStore, private readonly clock: Clock) {}

  async issue(session: RoleSession): Promise<IssuedCredentials> {
    const accessKeyId = `ASIA${Array.from({ length: 16 }, () => KEY_ID_ALPHABET[randomInt(KEY_ID_ALPHABET.length)]).join('')}`;
    const secretAccessKey = randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
    const sessionToken = randomBytes(48).toString('base64url');
    const seconds = Math.ceil((session.expiresAt - this.clock.now()) / 1000);
    await this.store.setValue(recordKey(sessionToken), JSON.stringify({ accessKeyId, session, sealed: seal(secretAccessKey, sessionToken, accessKeyId) }), seconds);
    return { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(session.expiresAt) };
  }

  /** The session and its secret, while the credentials live; undefined for any other access key id or token. */
  async resolve(accessKeyId: string, sessionToken: string): Promise<{ session: RoleSession; secretAccessKey: string } | undefined> {
    const json = await this.store.getValue(recordKey(sessionToken));
    if (json === undefined) return undefined;
    const kept = JSON.parse(json) as { accessKeyId: string; session: RoleSession; sealed: string };
    if (kept.accessKeyId !== accessKeyId || kept.session.expiresAt <= this.clock.now()) return undefined;
    return { session: kept.session, secretAccessKey: unseal(kept.sealed, sessionToken, accessKeyId) };
  }
}

function keyOf(sessionToken: string, accessKeyId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', sessionToken, accessKeyId, 'stagepass role credentials', 32));
}

function seal(secret: string, sessionToken: string, accessKeyId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(sessionToken, accessKeyId), iv);
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

function unseal(sealed: string, sessionToken: string, accessKeyId: string): string {
  const bytes = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', keyOf(sessionToken, accessKeyId), bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(12, 28));
  return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
}
