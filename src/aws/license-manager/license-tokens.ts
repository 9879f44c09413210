import { JWT_BEARER_GRANT_TYPE } from '../../grants/license/exchange-grant.js';
import { LICENSE_GRANT_TYPE } from '../../grants/license/grant.js';
import type { LicenseTokenRecord } from '../../grants/license/token-registry.js';
import { basicAuthorization, presentCredentials } from '../client-credentials.js';
import type { Dispatch, InternalAnswer, RequestOrigin } from '../in-process-dispatch.js';
import { pageOf } from '../pagination.js';
import type { SignedClient } from '../signed-client.js';
import { LICENSE_MANAGER_ERRORS } from './errors.js';
import type { CreateTokenInput, DeleteTokenInput, GetAccessTokenInput, ListTokensInput } from './inputs.js';

/** stagepass's own listing and deletion of a client's license tokens. */
const LICENSE_TOKENS_PATH = '/licenses/tokens';

type ListedToken = Omit<LicenseTokenRecord, 'clientId' | 'subject'>;

/**
 * CreateToken, GetAccessToken, ListTokens and DeleteToken, answered by the license minter's grants
 * and routes as the signing client: its license_arns policy, the live-token limit, ClientToken
 * idempotency and the token registry are the ones a form post to /token meets.
 */
export function licenseTokenOperations({ dispatch, tokenPath }: { dispatch: Dispatch; tokenPath: string }) {
  async function atTokenEndpoint(signed: SignedClient, form: Record<string, string | readonly string[] | undefined>, origin: RequestOrigin) {
    const credentials = presentCredentials(signed.client, signed.client.clientId, signed.clientSecret);
    return succeeded(await dispatch({ method: 'POST', path: tokenPath, form: { ...credentials.form, ...form }, headers: credentials.headers }, origin));
  }

  /** The minter's routes take HTTP Basic whatever the client's token endpoint method. */
  const asClient = (signed: SignedClient) => ({ authorization: basicAuthorization(signed.client.clientId, signed.clientSecret) });

  return {
    async createToken(input: CreateTokenInput, signed: SignedClient, origin: RequestOrigin) {
      const body = await atTokenEndpoint(signed, {
        grant_type: LICENSE_GRANT_TYPE,
        license_arn: input.LicenseArn,
        role_arns: input.RoleArns,
        expiration_in_days: input.ExpirationInDays?.toString(),
        token_properties: input.TokenProperties,
        client_token: input.ClientToken,
      }, origin);
      return body.license_token as Record<string, unknown>;
    },

    async getAccessToken(input: GetAccessTokenInput, signed: SignedClient, origin: RequestOrigin) {
      const body = await atTokenEndpoint(signed, { grant_type: JWT_BEARER_GRANT_TYPE, assertion: input.Token, token_properties: input.TokenProperties }, origin);
      return { AccessToken: body.access_token };
    },

    async listTokens(input: ListTokensInput, signed: SignedClient, origin: RequestOrigin) {
      const body = succeeded(await dispatch({ method: 'GET', path: LICENSE_TOKENS_PATH, headers: asClient(signed) }, origin));
      const licenseArns = input.Filters?.flatMap((filter) => filter.Values ?? []);
      const tokens = (body.Tokens as ListedToken[])
        .filter((token) => !input.TokenIds || input.TokenIds.includes(token.TokenId))
        .filter((token) => !licenseArns || licenseArns.includes(token.LicenseArn))
        .sort((a, b) => a.TokenId.localeCompare(b.TokenId));
      const page = pageOf(tokens, input.MaxResults ?? 100, input.NextToken, LICENSE_MANAGER_ERRORS.validation);
      return { Tokens: page.items, ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }) };
    },

    async deleteToken(input: DeleteTokenInput, signed: SignedClient, origin: RequestOrigin) {
      succeeded(await dispatch({ method: 'DELETE', path: `${LICENSE_TOKENS_PATH}/${encodeURIComponent(input.TokenId)}`, headers: asClient(signed) }, origin));
      return {};
    },
  };
}

function succeeded(answer: InternalAnswer): Record<string, unknown> {
  if (answer.status >= 300) throw LICENSE_MANAGER_ERRORS.fromOAuth(answer);
  return answer.body;
}
