import { jwtVerify } from 'jose';

import type { ServerSigningKey } from '../../keys/server-signing-key.js';
import { describe, field, invalidGrant, invalidRequest } from '../common/minting-error.js';
import type { MintingCaller, MintingService } from '../common/minting-service.js';
import { encodeLicenseAccessToken } from './license-token.js';
import type { LicenseExchangeInput } from './request.js';
import { heldLicenseToken, type LicenseTokenSources } from './token-liveness.js';

/** RFC 7523: the license refresh token is the assertion. */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** GetAccessToken's access tokens last an hour. */
const ACCESS_TOKEN_SECONDS = 3600;

export interface LicenseAccessToken {
  token: string;
  expiresIn: number;
}

export type LicenseExchangeService = MintingService<LicenseExchangeInput, LicenseAccessToken>;

export interface LicenseExchangeDependencies {
  issuer: string;
  serverKey: ServerSigningKey;
  /** What the token came from, each of which must still hold at the exchange. */
  sources: LicenseTokenSources;
  now: () => number;
}

/**
 * The GetAccessToken step: a live license refresh token of this client, signed by this server,
 * becomes a one-hour access token with the same audience, properties (or a subset) and roles.
 */
export function licenseExchangeService({ issuer, serverKey, sources, now }: LicenseExchangeDependencies): LicenseExchangeService {
  return {
    grantType: JWT_BEARER_GRANT_TYPE,

    async mint({ assertion, tokenProperties: requested = [] }: LicenseExchangeInput, caller: MintingCaller) {
      if (assertion === undefined) throw invalidRequest(describe`${field('assertion')} is required: the license refresh token`);
      const claims = await jwtVerify(assertion, serverKey.verificationKeys, { issuer, algorithms: [serverKey.alg], requiredClaims: ['jti', 'aud', 'exp'] })
        .then(({ payload }) => payload)
        .catch(() => {
          throw invalidGrant(describe`${field('assertion')} is not a valid, unexpired license token of this server`);
        });
      const found = await sources.registry.find(String(claims.jti));
      if (found !== undefined && found.clientId !== caller.clientId) throw invalidGrant(describe`the license token was issued to another client`);
      const record = await heldLicenseToken(String(claims.jti), sources);

      const outside = requested.filter((property) => !record.TokenProperties.includes(property));
      if (outside.length > 0) throw invalidRequest(describe`${field('tokenProperties')} must be among the token's own; not: ${outside.join(', ')}`);

      const issuedAt = now();
      const expiresAt = issuedAt + ACCESS_TOKEN_SECONDS;
      const token = await encodeLicenseAccessToken({
        issuer,
        // A token minted for a person names them; one a client minted for itself names the client.
        subject: record.person ?? record.clientId,
        clientId: record.clientId,
        licenseArn: record.LicenseArn,
        tokenProperties: requested.length > 0 ? [...requested] : record.TokenProperties,
        roleArns: record.RoleArns,
        refreshTokenId: record.TokenId,
        issuedAt,
        expiresAt,
      }, await serverKey.keyFor(expiresAt));
      return { token, expiresIn: ACCESS_TOKEN_SECONDS };
    },

    audited: () => ({}),
  };
}
