import type Koa from 'koa';
import type { Middleware } from 'koa';
import compose from 'koa-compose';
import type { Provider } from 'oidc-provider';

import type { Config } from '../config/schema.js';
import type { Audit } from '../observability/audit.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/store.js';
import { inProcessDispatch } from './in-process-dispatch.js';
import { ivsRealtimeApi } from './ivs-realtime/api.js';
import { licenseManagerApi } from './license-manager/api.js';
import { ssoOidcApi } from './sso-oidc/api.js';

/** Every AWS-compatible API lives under this path, one service per folder below it. */
export const AWS_APIS_PREFIX = '/aws/';

export interface AwsApiDependencies {
  config: Config;
  provider: Provider;
  store: Store;
  logger: Logger;
  audit: Audit;
  /** The app the translated requests are handed to, so they pass through every middleware. */
  app: Koa;
}

/**
 * The AWS-compatible APIs, each under /aws/<service>: AWS SDK clients work against stagepass by
 * changing only their endpoint. IVS and License Manager are offered when their minter is configured.
 */
export async function awsApis({ config, provider, store, logger, audit, app }: AwsApiDependencies): Promise<Middleware> {
  const dispatch = inProcessDispatch(() => app.callback());
  const endpoint = { logger, audit, maxBodyBytes: config.limits.maxBodyBytes };
  const apis: Middleware[] = [ssoOidcApi({ ...endpoint, provider, dispatch, issuer: config.issuer, initialAccessToken: config.registration.initialAccessToken })];
  if (config.ivs) apis.push(await ivsRealtimeApi({ ...endpoint, ivs: config.ivs, provider, store, dispatch }));
  if (config.licenses.length > 0) apis.push(licenseManagerApi({ ...endpoint, provider, dispatch }));
  return compose(apis);
}
