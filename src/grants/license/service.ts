import type { ServerSigningKey } from '../../keys/server-signing-key.js';
import { MINTING_GRANT_TYPE_PREFIX } from '../common/minting-grant.js';
import { describe, field, invalidGrant, invalidRequest, invalidTarget, resourceLimitExceeded } from '../common/minting-error.js';
import type { MintingCaller, MintingService } from '../common/minting-service.js';
import type { LicenseConfig } from './config.js';
import type { BanList } from '../common/ban-list.js';
import type { People } from '../common/people.js';
import type { LicenseDirectory } from './license-directory.js';
import { clientTokenClaim, rememberIssued, replayIssued, type ClientTokenClaim, type IssuedLicenseToken } from './idempotency.js';
import { encodeLicenseToken, newTokenId } from './license-token.js';
import { authorizeLicenseRequest } from './policy.js';
import { validateLicenseRequest, type LicenseTokenInput, type LicenseTokenRequest } from './request.js';
import type { LicenseTokenRecord, LicenseTokenRegistry } from './token-registry.js';

export const LICENSE_GRANT_TYPE = `${MINTING_GRANT_TYPE_PREFIX}license-token`;

const DAY = 86_400;

/** A license refresh token, as CreateToken answers it, with the seconds it has left. */
export interface MintedLicenseToken {
  tokenId: string;
  token: string;
  expiresIn: number;
}

export type LicenseMintingService = MintingService<LicenseTokenInput, MintedLicenseToken>;

export interface LicenseServiceDependencies {
  licenses: LicenseDirectory;
  bans: BanList;
  /** Whether a person may still be minted for (a license token minted for a person ends with their account). */
  people: Pick<People, 'isActive'>;
  /** Whether the client still exists (a license token ends with its client). */
  clientExists(clientId: string): Promise<boolean>;
  issuer: string;
  serverKey: ServerSigningKey;
  registry: LicenseTokenRegistry;
  now: () => number;
}

/** License refresh tokens as CreateToken issues them: idempotent by client token, at most maxTokens live per license. */
export function licenseMintingService({
  licenses, bans, people, clientExists, issuer, serverKey, registry, now,
}: LicenseServiceDependencies): LicenseMintingService {

  /**
   * A retry within ten minutes gets the token the client_token first got, with the time it has
   * left; a token deleted since is not handed out again as if it were live.
   */
  const replay = async (claim: ClientTokenClaim, remembered: string): Promise<IssuedLicenseToken> => {
    const issued = replayIssued(claim, remembered);
    const record = await registry.find(issued.tokenId);
    if (record?.Status !== 'AVAILABLE') {
      throw invalidRequest(describe`${field('clientToken')} was used for a token that has since been deleted; send a new ${field('clientToken')}`);
    }
    return issued;
  };

  /** Signs a new token and records it with its client_token, unless an earlier request with it got there first. */
  const issue = async ({ clientId, person, groups, license, request, claim }: {
    clientId: string; person: string | undefined; groups: readonly string[] | undefined; license: LicenseConfig; request: LicenseTokenRequest; claim: ClientTokenClaim;
  }): Promise<IssuedLicenseToken> => {
    const subject = person ?? clientId;
    const tokenId = newTokenId();
    const issuedAt = now();
    const expiresAt = issuedAt + request.expirationInDays * DAY;
    const token = await encodeLicenseToken({
      issuer, subject, licenseArn: license.arn, tokenProperties: request.tokenProperties, roleArns: request.roleArns,
      tokenId, issuedAt, expiresAt,
    }, await serverKey.keyFor(expiresAt));
    const record: LicenseTokenRecord = {
      TokenId: tokenId,
      TokenType: 'REFRESH_TOKEN',
      LicenseArn: license.arn,
      ExpirationTime: new Date(expiresAt * 1000).toISOString(),
      TokenProperties: request.tokenProperties,
      RoleArns: request.roleArns,
      Status: 'AVAILABLE',
      clientId,
      ...(person === undefined ? {} : { person, groups: [...(groups ?? [])] }),
    };
    const fresh = { tokenId, token, expiresAt };
    const inserted = await registry.insert(record, { key: claim.key, value: rememberIssued(claim, fresh) }, {
      maxTokens: license.maxTokens,
      ...(license.maxTokensPerPerson === undefined ? {} : { maxTokensOfPerson: license.maxTokensPerPerson }),
      expiresIn: expiresAt - issuedAt,
    });
    if (inserted.outcome === 'claimed') return replay(claim, inserted.value);
    if (inserted.outcome === 'limit_reached' && inserted.which === 'alsoCountedIn') {
      throw resourceLimitExceeded(describe`this person already holds the maximum of ${license.maxTokensPerPerson!} live tokens of license ${license.arn}; delete one first`);
    }
    if (inserted.outcome === 'limit_reached') {
      throw resourceLimitExceeded(describe`license ${license.arn} already has its maximum of ${license.maxTokens} live tokens; delete one first`);
    }
    return fresh;
  };

  /**
   * Recorded first, then checked: a client deleted, or an account disabled or deleted, while the
   * token was being recorded (after what they held was ended) keeps no token and no seat.
   */
  const assertHoldersRemain = async (tokenId: string, clientId: string, person: string | undefined): Promise<void> => {
    if (!(await clientExists(clientId))) {
      await registry.forget(tokenId);
      throw invalidGrant(describe`this client was deleted while the license token was being issued`);
    }
    if (person !== undefined && !(await people.isActive(person))) {
      await registry.retire(tokenId);
      throw invalidGrant(describe`the person's account was disabled or deleted while the license token was being issued`);
    }
  };

  return {
    grantType: LICENSE_GRANT_TYPE,
    resourceField: 'licenseArn',

    authorize(input, caller) {
      authorizeLicenseRequest(caller, validateLicenseRequest(input).licenseArn);
    },

    async mint(input: LicenseTokenInput, caller: MintingCaller) {
      const request = validateLicenseRequest(input);
      const person = caller.person?.id;
      // Policy first: a client may not learn which licenses exist beyond those it is allowed.
      authorizeLicenseRequest(caller, request.licenseArn);
      const license = await licenses.find(request.licenseArn);
      if (!license) throw invalidTarget(describe`license ${request.licenseArn} is not configured on this server`);
      await bans.refuse(person, license.arn);

      // No lookup of the client_token first: the insert checks it atomically anyway, and a
      // retry, which then costs a signature in vain, is rarer than a new token, which would pay a
      // store round trip for the lookup.
      const claim = clientTokenClaim(caller.clientId, person, request);
      const issued = await issue({ clientId: caller.clientId, person, groups: caller.person?.groups, license, request, claim });
      await assertHoldersRemain(issued.tokenId, caller.clientId, person);
      return { tokenId: issued.tokenId, token: issued.token, expiresIn: Math.max(0, issued.expiresAt - now()) };
    },

    audited: () => ({}),
  };
}
