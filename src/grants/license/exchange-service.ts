import { jwtVerify } from 'jose';

import type { ServerSigningKey } from '../../keys/server-signing-key.js';
import { describe, field, invalidGrant, invalidRequest } from '../common/minting-error.js';
import type { MintingCaller, MintingService } from '../common/minting-service.js';
import type { BanList } from '../common/ban-list.js';
import type { People } from '../common/people.js';
import { encodeLicenseAccessToken } from './license-token.js';
import type { LicenseDirectory } from './license-directory.js';
import type { LicenseExchangeInput } from './request.js';
import type { LicenseTokenRegistry } from './token-registry.js';

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
  registry: LicenseTokenRegistry;
  licenses: LicenseDirectory;
  bans: BanList;
  /** Whether the account a token was minted for was ended: a disabled or deleted account's tokens no longer exchange. */
  people: Pick<People, 'isEnded'>;
  now: () => number;
}

/**
 * The GetAccessToken step: a live license refresh token of this client, signed by this server,
 * becomes a one-hour access token with the same audience, properties (or a subset) and roles.
 */
export function licenseExchangeService({ issuer, serverKey, registry, licenses, bans, people, now }: LicenseExchangeDependencies): LicenseExchangeService {
  return {
    grantType: JWT_BEARER_GRANT_TYPE,

    async mint({ assertion, tokenProperties: requested = [] }: LicenseExchangeInput, caller: MintingCaller) {
      if (assertion === undefined) throw invalidRequest(describe`${field('assertion')} is required: the license refresh token`);
      const claims = await jwtVerify(assertion, serverKey.verificationKeys, { issuer, algorithms: [serverKey.alg], requiredClaims: ['jti', 'aud', 'exp'] })
        .then(({ payload }) => payload)
        .catch(() => {
          throw invalidGrant(describe`${field('assertion')} is not a valid, unexpired license token of this server`);
        });
      const record = await registry.find(String(claims.jti));
      if (!record || record.Status !== 'AVAILABLE') throw invalidGrant(describe`the license token was deleted or has expired`);
      if (record.clientId !== caller.clientId) throw invalidGrant(describe`the license token was issued to another client`);
      // Ending an account ends its tokens; this also refuses those no ending reached (an account gone from the configuration file).
      if (record.person !== undefined && (await people.isEnded(record.person))) {
        throw invalidGrant(describe`the license token was minted for an account that is disabled or deleted`);
      }
      if (!(await licenses.find(record.LicenseArn))) throw invalidGrant(describe`license ${record.LicenseArn} no longer exists on this server`);
      await bans.refuse(record.person, record.LicenseArn);

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
