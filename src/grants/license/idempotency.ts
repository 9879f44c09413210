import { createHash } from 'node:crypto';

import type { Store } from '../../store/store.js';
import { invalidRequest } from '../common/grant-errors.js';
import type { LicenseTokenRequest } from './params.js';

/** CreateToken keeps a client token for ten minutes. */
const IDEMPOTENCY_WINDOW_SECONDS = 600;

export interface IssuedLicenseToken {
  tokenId: string;
  token: string;
}

interface Remembered extends IssuedLicenseToken {
  fingerprint: string;
}

/**
 * Within ten minutes, the same client with the same client_token gets the token it got the first
 * time; the same client_token with other parameters is refused. The first writer wins in the
 * store, so two racing requests end with one token.
 */
export class LicenseIdempotency {
  constructor(private readonly store: Store) {}

  async issueOnce(
    clientId: string,
    subject: string,
    request: LicenseTokenRequest,
    issue: () => Promise<IssuedLicenseToken & { commit(): Promise<void> }>,
  ): Promise<IssuedLicenseToken> {
    const key = `license-idempotency:${clientId}:${sha256(request.clientToken)}`;
    const fingerprint = sha256(JSON.stringify([subject, request.licenseArn, request.roleArns, request.expirationInDays, request.tokenProperties]));
    const earlier = await this.store.getValue(key);
    if (earlier !== undefined) return sameRequestOrRefuse(earlier, fingerprint);

    const issued = await issue();
    const mine = JSON.stringify({ fingerprint, tokenId: issued.tokenId, token: issued.token } satisfies Remembered);
    const winner = await this.store.setValueIfAbsent(key, mine, IDEMPOTENCY_WINDOW_SECONDS);
    if (winner !== mine) return sameRequestOrRefuse(winner, fingerprint);
    try {
      await issued.commit();
    } catch (error) {
      // Not issued after all: the client_token is free for a retry.
      await this.store.deleteValue(key);
      throw error;
    }
    return { tokenId: issued.tokenId, token: issued.token };
  }
}

function sameRequestOrRefuse(remembered: string, fingerprint: string): IssuedLicenseToken {
  const earlier = JSON.parse(remembered) as Remembered;
  if (earlier.fingerprint !== fingerprint) {
    throw invalidRequest('client_token was already used with other parameters in the last 10 minutes');
  }
  return { tokenId: earlier.tokenId, token: earlier.token };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
