import type { KoaContextWithOIDC } from 'oidc-provider';

import type { LicenseConfig } from './config.js';
import type { ServerSigningKey } from '../../keys/server-signing-key.js';
import { invalidRequest, invalidTarget, resourceLimitExceeded } from '../common/grant-errors.js';
import { clientPolicy, readParams } from '../common/form-params.js';
import { JWT_TOKEN_TYPE, respondWithMintedToken } from '../common/minted-response.js';
import { MINTING_GRANT_TYPE_PREFIX, type MintingGrant } from '../common/minting-grant.js';
import { resolveSubject } from '../common/subject-token.js';
import { clientTokenClaim, rememberIssued, replayIssued, type ClientTokenClaim, type IssuedLicenseToken } from './idempotency.js';
import { encodeLicenseToken, newTokenId } from './license-token.js';
import { parseLicenseParams, type LicenseTokenRequest } from './params.js';
import { authorizeLicenseRequest } from './policy.js';
import type { LicenseTokenRecord, LicenseTokenRegistry } from './token-registry.js';

export const LICENSE_GRANT_TYPE = `${MINTING_GRANT_TYPE_PREFIX}license-token`;

const PARAMETERS = ['license_arn', 'role_arns', 'expiration_in_days', 'token_properties', 'client_token'] as const;
// Token properties may contain spaces, so only role ARNs may also come space-separated.
const SPACE_SEPARATED = ['role_arns'] as const;
const DAY = 86_400;

export interface LicenseGrantDependencies {
  licenses: LicenseConfig[];
  issuer: string;
  serverKey: ServerSigningKey;
  registry: LicenseTokenRegistry;
  now: () => number;
}

export function licenseTokenGrant({ licenses, issuer, serverKey, registry, now }: LicenseGrantDependencies): MintingGrant {
  const configured = new Map(licenses.map((license) => [license.arn, license]));

  /**
   * A retry within ten minutes gets the token the client_token first got, with the time it has
   * left; a token deleted since is not handed out again as if it were live.
   */
  const replay = async (claim: ClientTokenClaim, remembered: string): Promise<IssuedLicenseToken> => {
    const issued = replayIssued(claim, remembered);
    const record = await registry.find(issued.tokenId);
    if (record?.Status !== 'AVAILABLE') {
      throw invalidRequest('client_token was used for a token that has since been deleted; send a new client_token');
    }
    return issued;
  };

  /** Signs a new token and records it with its client_token, unless an earlier request with it got there first. */
  const issue = async ({ clientId, subject, license, request, claim }: {
    clientId: string; subject: string; license: LicenseConfig; request: LicenseTokenRequest; claim: ClientTokenClaim;
  }): Promise<IssuedLicenseToken> => {
    const tokenId = newTokenId();
    const issuedAt = now();
    const expiresAt = issuedAt + request.expirationInDays * DAY;
    const token = await encodeLicenseToken({
      issuer, subject, licenseArn: license.arn, tokenProperties: request.tokenProperties, roleArns: request.roleArns,
      tokenId, issuedAt, expiresAt,
    }, serverKey);
    const record: LicenseTokenRecord = {
      TokenId: tokenId,
      TokenType: 'REFRESH_TOKEN',
      LicenseArn: license.arn,
      ExpirationTime: new Date(expiresAt * 1000).toISOString(),
      TokenProperties: request.tokenProperties,
      RoleArns: request.roleArns,
      Status: 'AVAILABLE',
      clientId,
      subject,
    };
    const fresh = { tokenId, token, expiresAt };
    const inserted = await registry.insert(record, { key: claim.key, value: rememberIssued(claim, fresh) }, {
      maxTokens: license.maxTokens,
      expiresIn: expiresAt - issuedAt,
    });
    if (inserted.outcome === 'claimed') return replay(claim, inserted.value);
    if (inserted.outcome === 'limit_reached') {
      throw resourceLimitExceeded(`license ${license.arn} already has its maximum of ${license.maxTokens} live tokens; delete one first`);
    }
    return fresh;
  };

  return {
    grantType: LICENSE_GRANT_TYPE,
    async handle(ctx: KoaContextWithOIDC) {
      const parsed = parseLicenseParams(readParams(ctx, PARAMETERS, SPACE_SEPARATED));
      if (!parsed.ok) throw invalidRequest(parsed.message);
      const request = parsed.value;
      const { userId } = await resolveSubject(ctx);
      const clientId = ctx.oidc.client!.clientId;
      const subject = userId ?? clientId;

      // Policy first: a client may not learn which licenses exist beyond those it is allowed.
      authorizeLicenseRequest(clientPolicy(ctx, 'license_arns'), request.licenseArn);
      const license = configured.get(request.licenseArn);
      if (!license) throw invalidTarget(`license ${request.licenseArn} is not configured on this server`);

      // No lookup of the client_token first: the insert checks it atomically anyway, and a
      // retry, which then costs a signature in vain, is rarer than a new token, which would pay a
      // store round trip for the lookup.
      const claim = clientTokenClaim(clientId, subject, request);
      const issued = await issue({ clientId, subject, license, request, claim });

      respondWithMintedToken(ctx, { token: issued.token, issuedTokenType: JWT_TOKEN_TYPE, expiresIn: Math.max(0, issued.expiresAt - now()) }, {
        license_token: { TokenId: issued.tokenId, TokenType: 'REFRESH_TOKEN', Token: issued.token },
      });
    },
  };
}
