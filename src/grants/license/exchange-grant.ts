import { jwtVerify } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';

import type { ServerSigningKey } from '../../keys/server-signing-key.js';
import { invalidGrant, invalidRequest } from '../common/grant-errors.js';
import { readParams } from '../common/form-params.js';
import type { MintingGrant } from '../common/minting-grant.js';
import { ACCESS_TOKEN_TYPE } from '../common/subject-token.js';
import { encodeLicenseAccessToken } from './license-token.js';
import type { LicenseTokenRegistry } from './token-registry.js';

/** RFC 7523: the license refresh token is the assertion. */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** GetAccessToken's access tokens last an hour. */
const ACCESS_TOKEN_SECONDS = 3600;
const PARAMETERS = ['assertion', 'token_properties'] as const;

export interface LicenseExchangeDependencies {
  issuer: string;
  serverKey: ServerSigningKey;
  registry: LicenseTokenRegistry;
  now: () => number;
}

/**
 * The GetAccessToken step: a live license refresh token of this client, signed by this server,
 * becomes a one-hour access token with the same audience, properties (or a subset) and roles.
 */
export function licenseExchangeGrant({ issuer, serverKey, registry, now }: LicenseExchangeDependencies): MintingGrant {
  return {
    grantType: JWT_BEARER_GRANT_TYPE,
    async handle(ctx: KoaContextWithOIDC) {
      const params = readParams(ctx, PARAMETERS);
      const assertion = params.assertion;
      if (Array.isArray(assertion)) throw invalidRequest('assertion must be sent once');
      if (assertion === undefined) throw invalidRequest('assertion is required: the license refresh token');
      const requested = [params.token_properties ?? []].flat();

      const claims = await jwtVerify(assertion, serverKey.verificationKeys, { issuer, algorithms: [serverKey.alg], requiredClaims: ['jti', 'aud', 'exp'] })
        .then(({ payload }) => payload)
        .catch(() => {
          throw invalidGrant('assertion is not a valid, unexpired license token of this server');
        });
      const record = await registry.find(String(claims.jti));
      if (!record || record.Status !== 'AVAILABLE') throw invalidGrant('the license token was deleted or has expired');
      if (record.clientId !== ctx.oidc.client!.clientId) throw invalidGrant('the license token was issued to another client');

      const outside = requested.filter((property) => !record.TokenProperties.includes(property));
      if (outside.length > 0) throw invalidRequest(`token_properties must be among the token's own; not: ${outside.join(', ')}`);

      const issuedAt = now();
      const token = await encodeLicenseAccessToken({
        issuer,
        subject: record.subject,
        clientId: record.clientId,
        licenseArn: record.LicenseArn,
        tokenProperties: requested.length > 0 ? requested : record.TokenProperties,
        roleArns: record.RoleArns,
        refreshTokenId: record.TokenId,
        issuedAt,
        expiresAt: issuedAt + ACCESS_TOKEN_SECONDS,
      }, serverKey);
      ctx.body = {
        access_token: token,
        token_type: 'Bearer',
        expires_in: ACCESS_TOKEN_SECONDS,
        issued_token_type: ACCESS_TOKEN_TYPE,
      };
    },
  };
}
