import { createHash } from 'node:crypto';

import { describe, field, invalidRequest } from '../common/minting-error.js';
import type { LicenseTokenRequest } from './request.js';

/** CreateToken keeps a client token for ten minutes. */
export const IDEMPOTENCY_WINDOW_SECONDS = 600;

export interface IssuedLicenseToken {
  tokenId: string;
  token: string;
  /** Epoch seconds. */
  expiresAt: number;
}

/**
 * A client_token as the store holds it: the key the client and its token name, and what the first
 * request asked for, so that a retry can be told apart from a reuse with other parameters.
 */
export interface ClientTokenClaim {
  key: string;
  fingerprint: string;
}

/** `person` undefined: the client mints for itself, which is another request than one for a person named like the client. */
export function clientTokenClaim(clientId: string, person: string | undefined, request: LicenseTokenRequest): ClientTokenClaim {
  return {
    key: `license-idempotency:${clientId}:${sha256(request.clientToken)}`,
    fingerprint: sha256(JSON.stringify([person ?? null, request.licenseArn, request.roleArns, request.expirationInDays, request.tokenProperties])),
  };
}

/** What the claim remembers of the token it was first used for. */
export function rememberIssued(claim: ClientTokenClaim, issued: IssuedLicenseToken): string {
  return JSON.stringify({ fingerprint: claim.fingerprint, ...issued });
}

/** The token a retry gets back; the same client_token with other parameters is refused. */
export function replayIssued(claim: ClientTokenClaim, remembered: string): IssuedLicenseToken {
  const { fingerprint, tokenId, token, expiresAt } = JSON.parse(remembered) as IssuedLicenseToken & { fingerprint: string };
  if (fingerprint !== claim.fingerprint) {
    throw invalidRequest(describe`${field('clientToken')} was already used with other parameters in the last 10 minutes`);
  }
  return { tokenId, token, expiresAt };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
