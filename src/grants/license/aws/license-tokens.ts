import type { GatewayMint, MintingClient } from '../../common/minting-gateway.js';
import type { LicenseAccessToken } from '../exchange-service.js';
import type { LicenseExchangeInput, LicenseTokenInput } from '../request.js';
import type { MintedLicenseToken } from '../service.js';
import { listedToken, type ListedLicenseToken, type LicenseTokenRegistry } from '../token-registry.js';
import { pageOf } from '../../../aws/pagination.js';
import { LICENSE_MANAGER_ERRORS, licenseManagerError } from './errors.js';
import type { CreateTokenInput, DeleteTokenInput, GetAccessTokenInput, ListTokensInput } from './inputs.js';

/** A signed call: who signed it, their rights, and where it came from. */
export interface LicenseManagerCall {
  client: MintingClient;
  ip: string;
}

export interface LicenseTokenOperationsDependencies {
  createToken: GatewayMint<LicenseTokenInput, MintedLicenseToken>;
  getAccessToken: GatewayMint<LicenseExchangeInput, LicenseAccessToken>;
  registry: LicenseTokenRegistry;
}

/**
 * CreateToken, GetAccessToken, ListTokens and DeleteToken over the license minter's services and
 * registry: its license_arns policy, the live-token limit, ClientToken idempotency and the token
 * registry are the ones the token endpoint applies.
 */
export function licenseTokenOperations({ createToken, getAccessToken, registry }: LicenseTokenOperationsDependencies) {
  return {
    async createToken(input: CreateTokenInput, call: LicenseManagerCall) {
      const minted = await createToken({
        licenseArn: input.LicenseArn,
        roleArns: input.RoleArns,
        expirationInDays: input.ExpirationInDays,
        tokenProperties: input.TokenProperties,
        clientToken: input.ClientToken,
      }, call);
      return { TokenId: minted.tokenId, TokenType: 'REFRESH_TOKEN', Token: minted.token };
    },

    async getAccessToken(input: GetAccessTokenInput, call: LicenseManagerCall) {
      const exchanged = await getAccessToken({ assertion: input.Token, tokenProperties: input.TokenProperties }, call);
      return { AccessToken: exchanged.token };
    },

    async listTokens(input: ListTokensInput, { client }: LicenseManagerCall) {
      const licenseArns = input.Filters?.flatMap((filter) => filter.Values ?? []);
      const tokens: ListedLicenseToken[] = (await registry.listForClient(client.clientId))
        .map(listedToken)
        .filter((token) => !input.TokenIds || input.TokenIds.includes(token.TokenId))
        .filter((token) => !licenseArns || licenseArns.includes(token.LicenseArn))
        .sort((a, b) => a.TokenId.localeCompare(b.TokenId));
      const page = pageOf(tokens, input.MaxResults ?? 100, input.NextToken, LICENSE_MANAGER_ERRORS.validation);
      return { Tokens: page.items, ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }) };
    },

    async deleteToken(input: DeleteTokenInput, { client }: LicenseManagerCall) {
      if (!(await registry.delete(input.TokenId, client.clientId))) {
        throw licenseManagerError('ResourceNotFoundException', `this client has no license token ${input.TokenId}`);
      }
      return {};
    },
  };
}
