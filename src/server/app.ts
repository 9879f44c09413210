import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import compose from 'koa-compose';
import type { Provider } from 'oidc-provider';

import { AccountDirectory } from '../accounts/account-directory.js';
import { AWS_APIS_PREFIX, awsApis } from '../aws/aws-apis.js';
import type { Config } from '../config/schema.js';
import { loadOrCreateCookieKeys, loadOrCreateJwks } from '../keys/signing-keys.js';
import { createMinters } from '../grants/index.js';
import { registerMintingGrants } from '../grants/common/minting-grant.js';
import { serverSigningKey } from '../keys/server-signing-key.js';
import { assertStaticClientsValid, createProvider } from '../provider/create-provider.js';
import { LoginThrottle } from '../limits/login-throttle.js';
import { TokenRateLimiter } from '../limits/token-rate.js';
import { requireDevicePageSession } from '../provider/device-page-session.js';
import { announceDevicePollingInterval } from '../provider/device-polling.js';
import { isGrantTypeNotAllowed } from '../provider/oidc-provider-internals.js';
import { PREFILLED_USER_CODE } from '../provider/provider-pages.js';
import { guardTokenEndpoint } from '../provider/token-endpoint-guard.js';
import { throttleUserCodeEntry } from '../provider/user-code-throttle.js';
import { createStore } from '../store/create-store.js';
import { epochSeconds, type Store } from '../store/store.js';
import { auditProviderEvents, createAudit } from './audit.js';
import { limitBodySize } from './body-limit.js';
import { errorBoundary } from './error-boundary.js';
import { closeConnectionsWhileDraining } from './graceful-shutdown.js';
import { HEALTH_PATHS, healthRoutes, type Lifecycle } from './health-routes.js';
import { interactionRoutes } from './interaction-routes.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, METRICS_PATH, metricsRoute, type Metrics } from './metrics.js';
import { createPageRenderer, readStylesheet } from './pages.js';
import { requestId } from './request-context.js';
import { forPathsUnder, routerPrefixes } from './path-gate.js';
import { logAndMeasureRequests } from './request-log.js';
import { securityHeaders } from './security-headers.js';

export const VIEWS_DIR = fileURLToPath(new URL('../../views', import.meta.url));

export interface Stagepass {
  app: Koa;
  provider: Provider;
  store: Store;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
}

export interface StagepassOptions {
  logger?: Logger;
  /** Tests hand in a store they own; otherwise the configuration decides. */
  store?: Store;
}

export async function createStagepass(config: Config, options: StagepassOptions = {}): Promise<Stagepass> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const metrics = createMetrics();
  const audit = createAudit(logger, metrics);
  const lifecycle: Lifecycle = { draining: false };
  const store = options.store ?? (await createStore(config, logger, metrics.redisError));
  const [jwks, cookieKeys] = await Promise.all([
    loadOrCreateJwks(config.keys.jwksFile),
    loadOrCreateCookieKeys(config.keys.cookieKeysFile),
  ]);
  const accounts = new AccountDirectory(config.accounts);
  const render = createPageRenderer(VIEWS_DIR);
  const provider = createProvider({ config, store, jwks, cookieKeys, accounts, render });
  const minters = await createMinters(config, { provider, store, serverKey: serverSigningKey(jwks), now: epochSeconds });
  registerMintingGrants(provider, minters.flatMap((minter) => minter.grants));
  guardTokenEndpoint(provider, new TokenRateLimiter(store, config.limits.tokensPerSecond));
  auditProviderEvents(provider, audit, logger);
  await assertStaticClientsValid(provider, config);
  provider.on('server_error', (ctx, error) => {
    logger.error('server_error', { path: ctx.path, method: ctx.method, error: String(error?.stack ?? error) });
  });

  const pathOf = (route: string) => new URL(provider.urlFor(route)).pathname;
  const stylesheet = readStylesheet(VIEWS_DIR);
  const pages = new Router();
  pages.get('/assets/stagepass.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = stylesheet;
  });

  const app = new Koa();
  // oidc-provider runs inside this app's contexts, so its signed cookies use this app's keys.
  app.keys = cookieKeys;
  // Behind a reverse proxy, X-Forwarded-For gives the client's address and X-Forwarded-Proto makes cookies Secure.
  app.proxy = config.trustProxy;
  // One trusted hop: the address the proxy appended, not what the client put before it.
  app.maxIpsCount = 1;
  // What reaches Koa's own handler is a broken connection (the client went away mid-request), not a fault.
  app.on('error', (error: Error) => logger.warn('connection error', { error: error.message }));
  app.use(requestId());
  app.use(closeConnectionsWhileDraining(lifecycle));
  app.use(logAndMeasureRequests(logger, metrics));
  app.use(errorBoundary(logger, audit));
  app.use(forPathsUnder(HEALTH_PATHS, [healthRoutes(store, lifecycle, config.redisCommandTimeoutMs)]));
  app.use(forPathsUnder([METRICS_PATH], [metricsRoute(metrics, config.metrics)]));
  app.use(limitBodySize(config.limits.maxBodyBytes, { exceptUnder: AWS_APIS_PREFIX }));
  app.use(securityHeaders());
  app.use(unauthorizedClientForDisallowedGrant([pathOf('token'), pathOf('device_authorization')]));
  // The device pages and device authorization all live under the code verification path.
  app.use(forPathsUnder([pathOf('code_verification')], [
    announceDevicePollingInterval(pathOf('device_authorization'), config.deviceFlow.interval),
    prefillUserCode(pathOf('code_verification')),
    requireDevicePageSession(provider, store),
    throttleUserCodeEntry(provider, store, config.limits.userCodeEntry, { render, audit }),
  ]));
  const routers = [
    pages,
    interactionRoutes({
      provider, accounts, render, csrfSecret: cookieKeys[0]!, loginThrottle: new LoginThrottle(store, config.limits.login), audit,
    }),
    ...minters.flatMap(({ routes }) => (routes ? [routes] : [])),
  ];
  for (const router of routers) app.use(forPathsUnder(routerPrefixes(router), [router.routes() as Middleware]));
  app.use(forPathsUnder([AWS_APIS_PREFIX], [await awsApis({ config, provider, store, logger, audit, app })]));
  app.use(compose(provider.middleware as Middleware[]));
  app.use(notFound());

  return { app, provider, store, config, logger, metrics, lifecycle };
}

/** Starts listening; resolves with the server once it accepts connections. */
export async function listen(stagepass: Stagepass, port = stagepass.config.port): Promise<Server> {
  const server = stagepass.app.listen(port, '0.0.0.0');
  // A client that trickles its request in (slowloris) is cut off rather than holding a socket.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await once(server, 'listening');
  return server;
}

export function boundPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/**
 * RFC 6749 §5.2 names unauthorized_client for a client using a grant type it is not registered
 * for (at the token endpoint, and at device authorization for the device grant); oidc-provider
 * answers invalid_request.
 */
function unauthorizedClientForDisallowedGrant(paths: string[]): Middleware {
  return async (ctx, next) => {
    await next();
    const body = ctx.body as { error?: string; error_description?: string } | undefined;
    if (paths.includes(ctx.path) && body?.error === 'invalid_request' && isGrantTypeNotAllowed(body.error_description)) {
      ctx.body = { error: 'unauthorized_client', error_description: 'this client is not registered for the requested grant_type' };
    }
  };
}

/**
 * oidc-provider submits a user code from verification_uri_complete straight away; stagepass shows
 * it in the entry form instead, so the person sees what they are about to confirm.
 */
function prefillUserCode(codeVerificationPath: string): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === codeVerificationPath && typeof ctx.query.user_code === 'string') {
      (ctx.state as Record<symbol, string>)[PREFILLED_USER_CODE] = ctx.query.user_code.slice(0, 64);
      const query = new URLSearchParams(ctx.querystring);
      query.delete('user_code');
      ctx.querystring = query.toString();
    }
    await next();
  };
}

function notFound(): Middleware {
  return (ctx) => {
    ctx.status = 404;
    ctx.body = { error: 'invalid_request', error_description: `no endpoint at ${ctx.method} ${ctx.path}` };
  };
}
