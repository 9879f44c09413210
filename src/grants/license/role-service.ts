import { createHash } from 'node:crypto';

import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';

import type { ServerSigningKey } from '../../keys/server-signing-key.js';
import type { Clock } from '../../time/clock.js';
import { MintingError } from '../common/minting-error.js';
import type { IssuedCredentials, RoleCredentials, RoleSession } from './role-credentials.js';
import { heldLicenseToken, type LicenseTokenSources } from './token-liveness.js';

/** STS's bounds on a role session: 15 minutes to 12 hours, an hour unless asked. */
export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 43_200;
const DEFAULT_DURATION_SECONDS = 3600;

/** STS's own error codes for what AssumeRoleWithWebIdentity refuses. */
export type StsErrorCode = 'InvalidIdentityToken' | 'ExpiredTokenException' | 'AccessDenied' | 'ValidationError';

export class StsRefusal extends Error {
  override name = 'StsRefusal';

  constructor(readonly code: StsErrorCode, message: string) {
    super(message);
  }
}

export interface AssumeRoleRequest {
  roleArn: string;
  roleSessionName: string;
  webIdentityToken: string;
  durationSeconds?: number | undefined;
}

export interface AssumedRole {
  credentials: IssuedCredentials;
  session: RoleSession;
  /** The person or client the license token is for. */
  subject: string;
  audience: string;
  provider: string;
  assumedRoleArn: string;
  assumedRoleId: string;
}

export interface RoleServiceDependencies {
  issuer: string;
  serverKey: ServerSigningKey;
  sources: LicenseTokenSources;
  credentials: RoleCredentials;
  clock: Clock;
}

/**
 * AssumeRoleWithWebIdentity for license access tokens: role credentials that act for the token's
 * person (or client) on its license only, for one of the roles the license token names, never
 * past the license token's own expiry.
 */
export class RoleService {
  constructor(private readonly deps: RoleServiceDependencies) {}

  async assume({ roleArn, roleSessionName, webIdentityToken, durationSeconds = DEFAULT_DURATION_SECONDS }: AssumeRoleRequest): Promise<AssumedRole> {
    const claims = await this.#verified(webIdentityToken);
    const record = await heldLicenseToken(String(claims.token_id), this.deps.sources).catch((error: unknown) => {
      if (!(error instanceof MintingError)) throw error;
      throw new StsRefusal(error.code === 'access_denied' ? 'AccessDenied' : 'InvalidIdentityToken', error.message);
    });
    if (record.LicenseArn !== claims.aud || record.clientId !== claims.client_id) throw new StsRefusal('InvalidIdentityToken', 'the web identity token does not match its license token');
    if (!record.RoleArns.includes(roleArn)) {
      throw new StsRefusal('AccessDenied', `Not authorized to perform sts:AssumeRoleWithWebIdentity: RoleArn ${roleArn} is not among the license token's RoleArns`);
    }
    const now = this.deps.clock.now();
    // Credentials last whole seconds, and never past the license token: one in its last second gives none.
    if (Date.parse(record.ExpirationTime) - now < 1000) throw new StsRefusal('ExpiredTokenException', 'the license token expires now: mint a new one');
    const session: RoleSession = {
      tokenId: record.TokenId, licenseArn: record.LicenseArn, clientId: record.clientId, ...(record.person === undefined ? {} : { person: record.person }),
      roleArn, sessionName: roleSessionName, expiresAt: Math.min(now + durationSeconds * 1000, Date.parse(record.ExpirationTime)),
    };
    const [, partition, account, roleName] = /^arn:(aws[a-z-]*):iam::([0-9]{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn) ?? [];
    return {
      credentials: await this.deps.credentials.issue(session),
      session,
      subject: String(claims.sub),
      audience: record.LicenseArn,
      provider: this.deps.issuer,
      // The session is in the role's partition (aws-cn, aws-us-gov), as STS names it.
      assumedRoleArn: `arn:${partition}:sts::${account}:assumed-role/${roleName}/${roleSessionName}`,
      assumedRoleId: `${roleIdOf(roleArn)}:${roleSessionName}`,
    };
  }

  async #verified(token: string): Promise<JWTPayload> {
    const { issuer, serverKey, clock } = this.deps;
    try {
      const { payload } = await jwtVerify(token, serverKey.verificationKeys, {
        issuer, algorithms: [serverKey.alg], typ: 'at+jwt', currentDate: new Date(clock.now()), requiredClaims: ['token_id', 'aud', 'sub', 'client_id', 'exp'],
      });
      return payload;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new StsRefusal('ExpiredTokenException', 'the web identity token has expired: exchange the license token for a new access token');
      throw new StsRefusal('InvalidIdentityToken', 'WebIdentityToken is not a license access token of this server (GetAccessToken, or the jwt-bearer exchange at /token)');
    }
  }
}

/** A role's unique id as STS shapes it (AROA and 17 characters), the same for every session of the role. */
function roleIdOf(roleArn: string): string {
  return `AROA${createHash('sha256').update(roleArn).digest('hex').slice(0, 17).toUpperCase()}`;
}
