import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Provider } from 'oidc-provider';

import { AWS_APIS_PREFIX } from './aws-apis.js';
import type { Config } from './config.js';
import { limitAnonymousRequests, type AnonymousRequestRates } from '../provider/anonymous-request-limits.js';
import { canonicalProviderPaths } from '../provider/canonical-paths.js';
import { requireDevicePageSession } from '../provider/device-page-session.js';
import { announceDevicePollingInterval } from '../provider/device-polling.js';
import { providerMiddleware } from '../provider/oidc-provider-internals.js';
import { prefillUserCode } from '../provider/prefilled-user-code.js';
import { unauthorizedClientForDisallowedGrant } from '../provider/unauthorized-client.js';
import { throttleUserCodeEntry } from '../provider/user-code-throttle.js';
import type { StoreLifecycle, ValueStore } from '../store/store.js';
import type { Audit } from '../observability/audit.js';
import type { Clock } from '../time/clock.js';
import { limitBodySize } from '../http/body-limit.js';
import { errorBoundary } from '../http/error-boundary.js';
import { closeConnectionsWhileDraining } from './graceful-shutdown.js';
import { HEALTH_PATHS, healthRoutes, type Lifecycle } from './health-routes.js';
import { addressedAsIssuer } from './issuer-address.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { METRICS_PATH, metricsRoute } from './metrics-routes.js';
import type { PageRenderer } from '../http/page-renderer.js';
import { forPathsUnder, routerPrefixes } from '../http/path-gate.js';
import { requestId } from './request-context.js';
import { logAndMeasureRequests } from './request-log.js';
import { securityHeaders } from '../http/security-headers.js';
import { refuseWhileStoreLost } from './store-lost-gate.js';

export interface PipelineDependencies {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  audit: Audit;
  store: StoreLifecycle & ValueStore;
  lifecycle: Lifecycle;
  provider: Provider;
  render: PageRenderer;
  clock: Clock;
  /** Per-address rates of the requests that need no proof and leave state behind. */
  anonymousRates: AnonymousRequestRates;
  /** Each is mounted under the first segments of its own routes: pages, login and consent, the minters' routes. */
  routers: Router[];
  /** The AWS-compatible APIs, all under `AWS_APIS_PREFIX`. */
  awsApis: Middleware;
}

/**
 * What every request passes through, in order: each middleware either answers or hands the
 * request on to the next. The ones that only concern some paths are passed by on the others.
 */
export function requestPipeline(deps: PipelineDependencies): Middleware[] {
  const { config, logger, metrics, audit, store, lifecycle, provider, render, clock, anonymousRates, routers, awsApis } = deps;
  const pathOf = (route: string) => new URL(provider.urlFor(route)).pathname;
  return [
    requestId(),
    closeConnectionsWhileDraining(lifecycle),
    logAndMeasureRequests(logger, metrics),
    errorBoundary(logger, audit),
    addressedAsIssuer(config.issuer),
    canonicalProviderPaths(provider),
    forPathsUnder(HEALTH_PATHS, [healthRoutes(store, lifecycle, config.redisCommandTimeoutMs)]),
    forPathsUnder([METRICS_PATH], [metricsRoute(metrics, config.metrics)]),
    refuseWhileStoreLost(lifecycle),
    limitBodySize(config.limits.maxBodyBytes, { exceptUnder: AWS_APIS_PREFIX }),
    securityHeaders(),
    unauthorizedClientForDisallowedGrant([pathOf('token'), pathOf('device_authorization')]),
    limitAnonymousRequests(provider, anonymousRates),
    // The device pages and device authorization all live under the code verification path.
    forPathsUnder([pathOf('code_verification')], [
      announceDevicePollingInterval(pathOf('device_authorization'), config.deviceFlow.interval),
      prefillUserCode(pathOf('code_verification')),
      requireDevicePageSession(provider),
      throttleUserCodeEntry(provider, store, config.limits.userCodeEntry, { render, audit, clock }),
    ]),
    ...routers.map((router) => forPathsUnder(routerPrefixes(router), [router.routes() as Middleware])),
    forPathsUnder([AWS_APIS_PREFIX], [awsApis]),
    providerMiddleware(provider),
    notFound(),
  ];
}

function notFound(): Middleware {
  return (ctx) => {
    ctx.status = 404;
    ctx.body = { error: 'invalid_request', error_description: `no endpoint at ${ctx.method} ${ctx.path}` };
  };
}
