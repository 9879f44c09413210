import type { Middleware } from 'koa';
import type { Provider } from 'oidc-provider';
import type { z } from 'zod';

import { awsEndpoint, nameRoute, type EndpointDependencies } from '../aws-endpoint.js';
import { AwsError } from '../aws-error.js';
import { requestOrigin, type Dispatch, type RequestOrigin } from '../in-process-dispatch.js';
import { parseJsonInput } from '../json-input.js';
import { authenticateSignedClient, signedRequestOf, type SignedClient } from '../signed-client.js';
import { LICENSE_MANAGER_ERRORS } from './errors.js';
import { createTokenInput, deleteTokenInput, getAccessTokenInput, listTokensInput } from './inputs.js';
import { licenseTokenOperations } from './license-tokens.js';

export const LICENSE_MANAGER_PREFIX = '/aws/license-manager';
/** The SigV4 signing name of License Manager. */
const SERVICE = 'license-manager';
const TARGET_PREFIX = 'AWSLicenseManager.';

export interface LicenseManagerDependencies extends EndpointDependencies {
  provider: Provider;
  dispatch: Dispatch;
}

interface Operation {
  schema: z.ZodType;
  run(input: never, signed: SignedClient, origin: RequestOrigin): Promise<object>;
}

const operation = <T>(schema: z.ZodType<T>, run: (input: T, signed: SignedClient, origin: RequestOrigin) => Promise<object>): Operation => ({ schema, run });

/**
 * AWS License Manager's token operations (awsJson1_1, SigV4 signing name `license-manager`):
 * `POST /` with the operation in X-Amz-Target.
 */
export function licenseManagerApi(deps: LicenseManagerDependencies): Middleware {
  const { provider, dispatch } = deps;
  const tokens = licenseTokenOperations({ dispatch, tokenPath: new URL(provider.urlFor('token')).pathname });
  const operations = new Map<string, Operation>([
    ['CreateToken', operation(createTokenInput, tokens.createToken)],
    ['GetAccessToken', operation(getAccessTokenInput, tokens.getAccessToken)],
    ['ListTokens', operation(listTokensInput, tokens.listTokens)],
    ['DeleteToken', operation(deleteTokenInput, tokens.deleteToken)],
  ]);

  return awsEndpoint(LICENSE_MANAGER_PREFIX, LICENSE_MANAGER_ERRORS, deps, async (ctx, body) => {
    ctx.type = 'application/x-amz-json-1.1';
    const signed = await authenticateSignedClient(signedRequestOf(ctx, body), provider, SERVICE);
    const target = ctx.get('x-amz-target');
    const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const found = ctx.method === 'POST' && ['', '/'].includes(ctx.path.slice(LICENSE_MANAGER_PREFIX.length)) ? operations.get(name) : undefined;
    if (!found) throw new AwsError('UnknownOperationException', 400, `License Manager has no operation ${target || '(no X-Amz-Target)'} at ${ctx.method} ${ctx.path} here`);
    nameRoute(ctx, `${LICENSE_MANAGER_PREFIX}#${name}`);
    const input = parseJsonInput(found.schema, body);
    if (!input.ok) throw LICENSE_MANAGER_ERRORS.validation(input.message);
    return { ...(await found.run(input.value as never, signed, requestOrigin(ctx))) };
  });
}
