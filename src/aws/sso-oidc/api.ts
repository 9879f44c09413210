import type { Middleware } from 'koa';
import type { Provider } from 'oidc-provider';

import { bearerCheck } from '../../http/bearer-check.js';
import type { AddressRate } from '../../limits/address-rate.js';
import { AwsError } from '../aws-error.js';
import { awsEndpoint, awsOperation as operation, nameRoute, runOperation, type AwsOperation, type EndpointDependencies } from '../aws-endpoint.js';
import { requestOrigin, type Dispatch, type RequestOrigin } from '../in-process-dispatch.js';
import { createToken } from './create-token.js';
import { SSO_OIDC_ERRORS, ssoOidcError } from './errors.js';
import { createTokenInput, registerClientInput, startDeviceAuthorizationInput } from './inputs.js';
import { registerClient } from './register-client.js';
import { startDeviceAuthorization } from './start-device-authorization.js';

export const SSO_OIDC_PREFIX = '/aws/sso-oidc';

export interface SsoOidcDependencies extends EndpointDependencies {
  provider: Provider;
  dispatch: Dispatch;
  issuer: string;
  /** registration.initialAccessToken: when set, RegisterClient needs it as a bearer token, as /reg does. */
  initialAccessToken?: string;
  /** Registrations per address, shared with `/reg`. */
  registrations: AddressRate;
  /** Scopes only the server configuration gives a client (the admin API's). */
  reservedScopes: readonly string[];
}

/**
 * IAM Identity Center OIDC (restJson1, unsigned): RegisterClient, StartDeviceAuthorization and
 * CreateToken at the paths the SSO OIDC SDK calls, relative to its endpoint.
 */
export function ssoOidcApi(deps: SsoOidcDependencies): Middleware {
  const { provider, dispatch } = deps;
  const mayRegister = bearerCheck(deps.initialAccessToken);
  const pathOf = (route: string) => new URL(provider.urlFor(route)).pathname;
  const deviceAuthorization = { provider, dispatch, path: pathOf('device_authorization') };
  const token = { provider, dispatch, path: pathOf('token') };
  const operations: Record<string, AwsOperation<RequestOrigin>> = {
    '/client/register': operation(registerClientInput, (input) => registerClient(input, { provider, tokenEndpoint: `${deps.issuer}${SSO_OIDC_PREFIX}/token`, reservedScopes: deps.reservedScopes })),
    '/device_authorization': operation(startDeviceAuthorizationInput, (input, origin) => startDeviceAuthorization(input, deviceAuthorization, origin)),
    '/token': operation(createTokenInput, (input, origin) => createToken(input, token, origin)),
  };

  return awsEndpoint(SSO_OIDC_PREFIX, SSO_OIDC_ERRORS, deps, async (ctx, body) => {
    const path = ctx.path.slice(SSO_OIDC_PREFIX.length);
    const found = ctx.method === 'POST' ? operations[path] : undefined;
    if (found) nameRoute(ctx, `${SSO_OIDC_PREFIX}${path}`);
    if (!found) throw new AwsError('UnknownOperationException', 404, `SSO OIDC has no operation at ${ctx.method} ${ctx.path}`, { oauthError: 'invalid_request' });
    if (path === '/client/register' && !mayRegister(ctx.get('authorization'))) {
      throw ssoOidcError('access_denied', 'registration on this server needs its initial access token: Authorization: Bearer <token>');
    }
    if (path === '/client/register') await refuseOverRegistrationRate(deps.registrations, ctx.ip);
    return runOperation(found, body, SSO_OIDC_ERRORS, requestOrigin(ctx));
  });
}

/** What `/reg` answers over the rate, as the SDKs' throttling error (which they retry after a while). */
async function refuseOverRegistrationRate(registrations: AddressRate, ip: string): Promise<void> {
  const decision = await registrations.take(ip);
  if (decision.allowed) return;
  throw new AwsError('ThrottlingException', 429, `this address may register ${decision.limit} clients a minute; retry after ${decision.retryAfter} s`, {
    oauthError: 'rate_limit_exceeded',
    retryAfter: String(decision.retryAfter),
  });
}
