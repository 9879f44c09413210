import type { KoaContextWithOIDC } from 'oidc-provider';

import type { LicenseConfig } from '../../config/schema.js';
import type { ServerSigningKey } from '../../keys/server-signing-key.js';
import { invalidRequest, invalidTarget, resourceLimitExceeded } from '../common/grant-errors.js';
import { clientPolicy, readParams } from '../common/form-params.js';
import { JWT_TOKEN_TYPE, respondWithMintedToken } from '../common/minted-response.js';
import type { MintingGrant } from '../common/minting-grant.js';
import { resolveSubject } from '../common/subject-token.js';
import type { LicenseIdempotency } from './idempotency.js';
import { encodeLicenseToken, newTokenId } from './license-token.js';
import { parseLicenseParams } from './params.js';
import { authorizeLicenseRequest } from './policy.js';
import type { LicenseTokenRecord, LicenseTokenRegistry } from './token-registry.js';

export const LICENSE_GRANT_TYPE = 'urn:stagepass:grant-type:license-token';

const PARAMETERS = ['license_arn', 'role_arns', 'expiration_in_days', 'token_properties', 'client_token'] as const;
const REPEATABLE = ['role_arns', 'token_properties'] as const;
// Token properties may contain spaces, so only role ARNs may also come space-separated.
const SPACE_SEPARATED = ['role_arns'] as const;
const DAY = 86_400;

export interface LicenseGrantDependencies {
  licenses: LicenseConfig[];
  issuer: string;
  serverKey: ServerSigningKey;
  registry: LicenseTokenRegistry;
  idempotency: LicenseIdempotency;
  now: () => number;
}

export function licenseTokenGrant({ licenses, issuer, serverKey, registry, idempotency, now }: LicenseGrantDependencies): MintingGrant {
  const configured = new Map(licenses.map((license) => [license.arn, license]));

  return {
    grantType: LICENSE_GRANT_TYPE,
    parameters: PARAMETERS,
    repeatableParameters: REPEATABLE,
    async handle(ctx: KoaContextWithOIDC) {
      const parsed = parseLicenseParams(readParams(ctx, PARAMETERS, SPACE_SEPARATED));
      if (!parsed.ok) throw invalidRequest(parsed.message);
      const request = parsed.value;
      const { userId } = await resolveSubject(ctx);
      const clientId = ctx.oidc.client!.clientId;
      const subject = userId ?? clientId;

      const license = configured.get(request.licenseArn);
      if (!license) throw invalidTarget(`license ${request.licenseArn} is not configured on this server`);
      authorizeLicenseRequest(clientPolicy(ctx, 'license_arns'), license.arn);

      const expiresIn = request.expirationInDays * DAY;
      const limitReached = () =>
        resourceLimitExceeded(`license ${license.arn} already has its maximum of ${license.maxTokens} live tokens; delete one first`);
      const issued = await idempotency.issueOnce(clientId, subject, request, async () => {
        // A cheap early refusal; the limit itself is enforced when the token is recorded.
        if ((await registry.countAvailable(license.arn)) >= license.maxTokens) throw limitReached();
        const tokenId = newTokenId();
        const issuedAt = now();
        const token = await encodeLicenseToken({
          issuer, subject, licenseArn: license.arn, tokenProperties: request.tokenProperties, roleArns: request.roleArns,
          tokenId, issuedAt, expiresAt: issuedAt + expiresIn,
        }, serverKey);
        const record: LicenseTokenRecord = {
          TokenId: tokenId,
          TokenType: 'REFRESH_TOKEN',
          LicenseArn: license.arn,
          ExpirationTime: new Date((issuedAt + expiresIn) * 1000).toISOString(),
          TokenProperties: request.tokenProperties,
          RoleArns: request.roleArns,
          Status: 'AVAILABLE',
          clientId,
          subject,
        };
        const commit = async () => {
          if (!(await registry.recordWithinLimit(record, expiresIn, license.maxTokens))) throw limitReached();
        };
        return { tokenId, token, commit };
      });

      respondWithMintedToken(ctx, { token: issued.token, issuedTokenType: JWT_TOKEN_TYPE, expiresIn }, {
        license_token: { TokenId: issued.tokenId, TokenType: 'REFRESH_TOKEN', Token: issued.token },
      });
    },
  };
}
