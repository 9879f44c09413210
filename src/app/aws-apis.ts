import type Koa from 'koa';
import type { Middleware } from 'koa';
import compose from 'koa-compose';
import type { Provider } from 'oidc-provider';

import type { Config } from './config.js';
import type { Minter } from '../grants/common/minter.js';
import type { AddressRate } from '../limits/address-rate.js';
import type { Audit } from '../observability/audit.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../time/clock.js';
import { ADMIN_SCOPES } from '../admin/admin-access.js';
import { inProcessDispatch } from '../aws/in-process-dispatch.js';
import { ssoOidcApi } from '../aws/sso-oidc/api.js';

/** Every AWS-compatible API lives under this path, one service per folder below it. */
export const AWS_APIS_PREFIX = '/aws/';

export interface AwsApisDependencies {
  config: Config;
  provider: Provider;
  logger: Logger;
  audit: Audit;
  /** Client registrations per address, shared with `/reg`. */
  registrations: AddressRate;
  /** The minters' unsigned calls per address. */
  unsignedCalls: AddressRate;
  /** The running minters; those with an AWS-compatible API offer it here. */
  minters: readonly Minter[];
  /** The app SSO OIDC's requests are handed to, so they pass through every middleware. */
  app: Koa;
  /** The server's clock, which signed requests are dated by. */
  clock: Clock;
}

/**
 * The AWS-compatible APIs, each under /aws/<service>: AWS SDK clients work against stagepass by
 * changing only their endpoint. SSO OIDC is always offered; the minters offer their own.
 */
export async function awsApis({ config, provider, logger, audit, registrations, unsignedCalls, minters, app, clock }: AwsApisDependencies): Promise<Middleware> {
  const endpoint = { logger, audit, maxBodyBytes: config.limits.maxBodyBytes };
  const sso = ssoOidcApi({
    ...endpoint, provider, dispatch: inProcessDispatch(() => app.callback()), issuer: config.issuer, initialAccessToken: config.registration.initialAccessToken,
    registrations, reservedScopes: ADMIN_SCOPES,
  });
  const minterApis = await Promise.all(minters.flatMap(({ awsApi }) => (awsApi ? [awsApi({ ...endpoint, provider, clock, unsignedCalls })] : [])));
  return compose([sso, ...minterApis]);
}
