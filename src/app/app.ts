import { once } from 'node:events';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';

import Koa from 'koa';
import type { Provider } from 'oidc-provider';

import { AccountDirectory } from '../accounts/account-directory.js';
import { GroupDirectory } from '../accounts/group-directory.js';
import { ADMIN_SCOPES, adminAccess, configuredAdminClients } from '../admin/admin-access.js';
import { adminRoutes } from '../admin/admin-api.js';
import { accountFactorOperations } from '../admin/account-factors.js';
import { accountOperations } from '../admin/accounts.js';
import { clientOperations } from '../admin/clients.js';
import { groupOperations } from '../admin/groups.js';
import { banOperations } from '../admin/bans.js';
import { keyOperations } from '../admin/keys.js';
import { participantOperations } from '../admin/participants.js';
import { versionedResourceOperations } from '../admin/versioned-resource.js';
import { PendingChanges } from '../admin/pending-changes.js';
import { BanList } from '../grants/common/ban-list.js';
import { CredentialStamps } from '../accounts/credential-stamps.js';
import { FactorStore } from '../accounts/factors/factor-store.js';
import { RuntimeAccounts } from '../accounts/runtime-accounts.js';
import { TrustedIssuers } from '../accounts/trusted-issuers.js';
import { UpstreamAccounts } from '../accounts/upstream-accounts.js';
import { awsApis } from './aws-apis.js';
import type { Config } from './config.js';
import { KeyDecryptionError } from '../keys/key-encryption.js';
import { SigningKeyRing } from '../keys/signing-key-ring.js';
import { generationFile } from '../keys/store-generation.js';
import { wholeFile } from '../keys/whole-file.js';
import { loadOrCreateCookieKeys, loadOrCreateJwks, loadOrCreateKeyEncryptionKey, type PrivateJwks } from '../keys/signing-keys.js';
import { MINTING_POLICY_METADATA } from '../grants/config.js';
import { canonicalResource, createMinters, LONGEST_SERVER_KEY_TOKEN_SECONDS, MINTER_TOKENS_PER_SECOND } from '../grants/index.js';
import { peopleOf } from '../grants/common/people.js';
import type { Minter } from '../grants/common/minter.js';
import { registerMintingGrants } from '../grants/common/minting-grant.js';
import { MintingGateway } from '../grants/common/minting-gateway.js';
import { clientDisplayer } from '../provider/client-display.js';
import { assertStaticClientsValid, createProvider, GRANT_LIFETIME_SECONDS, ID_TOKEN_LIFETIME_SECONDS } from '../provider/create-provider.js';
import { ApiClients } from '../provider/api-clients.js';
import { Endings } from '../provider/endings.js';
import { GrantIndex } from '../provider/grant-index.js';
import { DEVICE_CODE_GRANT_TYPE, replaceSigningKeys } from '../provider/oidc-provider-internals.js';
import { AddressRate } from '../limits/address-rate.js';
import { LoginThrottle } from '../limits/login-throttle.js';
import { createAudit } from '../observability/audit.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { auditProviderEvents } from '../provider/provider-audit.js';
import { deferToRequestLine, withRequestIds } from './request-context.js';
import { ClientTokenRate } from '../limits/client-token-rate.js';
import { TokenRateLimiter } from '../limits/token-rate.js';
import { heldToTokenRate, installTokenEndpointSteps, reservedScopesOnlyWhereListed, storeOutageAnswered } from '../provider/token-endpoint.js';
import { createStore } from '../store/create-store.js';
import { MemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';
import { type Clock, epochSeconds, oidcProviderClock, systemClock } from '../time/clock.js';
import { UpstreamProvider } from '../sign-in/upstream/upstream-provider.js';
import type { Lifecycle } from './health-routes.js';
import { signInRoutes } from '../sign-in/sign-in-routes.js';
import { passkeySite } from '../sign-in/passkey-ceremonies.js';
import { webAuthnBrowserBundle } from '../sign-in/passkey-scripts.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { assetRoutes, createPageRenderer } from '../http/pages.js';
import { requestPipeline } from './pipeline.js';
import { upstreamRedirectPath } from '../sign-in/upstream.js';

export const VIEWS_DIR = fileURLToPath(new URL('../../views', import.meta.url));

export interface Stagepass {
  app: Koa;
  provider: Provider;
  store: Store;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  /** The running minters, with their grants, routes and AWS APIs. */
  minters: readonly Minter[];
  /** The signing keys every instance shares; stopped with the app. */
  signingKeys: SigningKeyRing;
}

export interface StagepassOptions {
  logger?: Logger;
  /** Tests hand in a store they own; otherwise the configuration decides. */
  store?: Store;
  /** Tests hand in a clock they move; otherwise the system's. */
  clock?: Clock;
}

/**
 * The composition root: builds every dependency once, from the configuration, and hands them to
 * the request pipeline (`pipeline.ts`), which says in what order a request meets them.
 */
export async function createStagepass(config: Config, options: StagepassOptions = {}): Promise<Stagepass> {
  const logger = withRequestIds(options.logger ?? createLogger({ level: config.logLevel }));
  const metrics = createMetrics();
  const audit = createAudit(logger, metrics, deferToRequestLine);
  const lifecycle: Lifecycle = { draining: false, storeLost: undefined };
  const clock = options.clock ?? systemClock;
  const store = options.store ?? (await createStore(config, logger, metrics.redisError, clock));
  const [jwks, cookieKeys, encryptionKey] = await Promise.all([
    loadOrCreateJwks(config.keys.jwksFile),
    loadOrCreateCookieKeys(config.keys.cookieKeysFile),
    loadOrCreateKeyEncryptionKey(config.keys.encryptionKeyFile),
  ]);
  const signingKeys = await openSigningKeys(config, { store, clock, logger, seed: jwks, encryptionKey });
  const upstreamAccounts = new UpstreamAccounts(
    store,
    config.upstreamProviders.map(({ id }) => id),
    config.upstreamProviders.filter(({ trustEmail }) => trustEmail).map(({ id }) => id),
  );
  const runtimeAccounts = new RuntimeAccounts(store, clock);
  const accounts = new AccountDirectory(config.accounts, { runtime: runtimeAccounts, upstream: upstreamAccounts });
  const factors = new FactorStore(store, encryptionKey, clock);
  const credentialStamps = new CredentialStamps(store);
  const upstreamProviders = new Map(config.upstreamProviders.map((settings) => [
    settings.id,
    new UpstreamProvider(settings, `${config.issuer}${upstreamRedirectPath(settings.id)}`, { logger, clock }),
  ]));
  for (const upstream of upstreamProviders.values()) upstream.discoverInBackground();
  const render = createPageRenderer(VIEWS_DIR);
  // The configuration's clients cannot be deleted at runtime: their tokens need no index entry.
  const grantIndex = new GrantIndex(store, {
    longestLifetimeSeconds: GRANT_LIFETIME_SECONDS, clock, permanentClients: new Set(config.clients.map(({ client_id }) => client_id)),
  });
  const endings = new Endings(grantIndex);
  const apiClients = new ApiClients(store, config.clients);
  const provider = createProvider({
    config, store, jwks: signingKeys.servedJwks(), cookieKeys, accounts, render, clock, reservedScopes: ADMIN_SCOPES, grantIndex, apiClients, endings, factors, credentialStamps,
  });
  signingKeys.onChange(() => {
    replaceSigningKeys(provider, signingKeys.servedJwks());
    const keys = signingKeys.list();
    logger.info('signing keys changed', { signing: keys.filter((key) => key.status === 'current').map((key) => key.kid), published: keys.length });
  });
  signingKeys.onStoreStateChange((problem) => {
    lifecycle.storeLost = problem;
    if (problem !== undefined) logger.error('refusing every request but health and metrics: the store\'s state cannot be used', { reason: problem });
    else logger.info('the store\'s state is back: serving again');
  });
  signingKeys.start();
  const groups = new GroupDirectory(config.groups, store);
  const trustedIssuers = new TrustedIssuers(config.trustedIssuers, clock);
  const people = peopleOf({
    groupsOf: (sub) => accounts.groupsOf(sub),
    isActive: async (sub) => trustedIssuers.vouchesFor(sub) || (await accounts.find(sub)) !== undefined,
    isEnded: async (sub) => !trustedIssuers.vouchesFor(sub) && (await accounts.isEnded(sub)),
    groupRights: () => groups.rightsByGroup(),
    rightsFields: Object.keys(MINTING_POLICY_METADATA),
    trustedIssuers,
    nowSeconds: () => epochSeconds(oidcProviderClock),
  });
  const bans = new BanList(store, () => clock.now(), canonicalResource);
  const adminClients = configuredAdminClients(config.clients);
  const tokenRate = new ClientTokenRate({
    tokens: new TokenRateLimiter(store, tokenRates(config.limits.tokensPerSecond), clock),
    failedGrants: new TokenRateLimiter(store, { default: config.limits.failedGrantsPerSecondPerAddress }, clock),
  });
  const gateway = new MintingGateway(tokenRate, audit);
  const minters = await createMinters(config, { adminApi: adminClients.size > 0 }, {
    provider, store, serverKey: signingKeys.serverKey, leaseKey: signingKeys.leaseKey, clock, people, bans, gateway, audit, logger, metrics,
  });
  for (const { ends } of minters) if (ends) endings.add(ends);
  const mintingGrants = minters.flatMap((minter) => minter.grants);
  registerMintingGrants(provider, mintingGrants);
  const mintingGrantTypes = new Set(mintingGrants.map(({ grantType }) => grantType));
  // Once every grant is registered (oidc-provider's, those createProvider registers over its own,
  // the minting grants): what the token endpoint runs around each, the first outermost.
  installTokenEndpointSteps(provider, [
    storeOutageAnswered,
    heldToTokenRate(tokenRate, (grantType) => mintingGrantTypes.has(grantType)),
    reservedScopesOnlyWhereListed(ADMIN_SCOPES),
  ]);
  auditProviderEvents(provider, audit, logger);
  await assertStaticClientsValid(provider, config);
  provider.on('server_error', (ctx, error) => {
    logger.error('server_error', { path: ctx.path, method: ctx.method, error: String(error?.stack ?? error) });
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

  const routers = [
    assetRoutes(VIEWS_DIR, webAuthnBrowserBundle()),
    ...signInRoutes({
      provider, accounts, upstreamAccounts, upstreamProviders, render, csrfSecret: cookieKeys[0]!, audit, store, clock,
      factors, credentialStamps, passkeySite: passkeySite(config.issuer, config.passkeys), issuer: config.issuer,
      loginThrottle: new LoginThrottle(store, config.limits.login, clock),
      factorChanges: {
        perAccount: new AddressRate(store, 'factor-change-account', config.limits.factorChangesPerMinutePerAccount, clock),
        perAddress: new AddressRate(store, 'factor-change-address', config.limits.factorChangesPerMinutePerAddress, clock),
      },
      displayClient: clientDisplayer(config.clients.map((client) => client.client_id), apiClients),
    }),
    ...minters.flatMap(({ routes }) => (routes ? [routes] : [])),
    adminRoutes({
      operations: [
        ...clientOperations({ provider, apiClients, endClient: (id) => endings.endClient(id), reservedScopes: ADMIN_SCOPES }),
        ...accountOperations({
          directory: accounts, runtime: runtimeAccounts, upstream: upstreamAccounts, reservedPrefixes: reservedSubjectPrefixes(config),
          endPerson: (sub) => endings.endPerson(sub), forgetFactors: (sub) => factors.forget(sub), credentialStamps,
        }),
        ...accountFactorOperations({ directory: accounts, runtime: runtimeAccounts, factors, audit, credentialStamps }),
        ...groupOperations(groups),
        ...minters.flatMap((minter) => minter.adminResources ?? []).flatMap(versionedResourceOperations),
        ...minters.flatMap((minter) => minter.adminActions ?? []),
        ...keyOperations(signingKeys),
        ...banOperations(bans),
        ...minters.flatMap(({ participants }) => (participants ? participantOperations(participants) : [])),
      ],
      authorize: adminAccess(provider, adminClients),
      maxBodyBytes: config.limits.maxBodyBytes,
      issuer: config.issuer,
      tokenPath: new URL(provider.urlFor('token')).pathname,
      audit,
      pendingChanges: new PendingChanges(store, audit),
    }),
  ];
  const anonymousRates = {
    registrations: new AddressRate(store, 'registration', config.limits.registrationsPerMinutePerAddress, clock),
    deviceAuthorizations: new AddressRate(store, 'device-authorization', config.limits.deviceAuthorizationsPerMinutePerAddress, clock),
  };
  const pipeline = requestPipeline({
    config, logger, metrics, audit, store, lifecycle, provider, render, clock, anonymousRates, routers,
    awsApis: await awsApis({
      config, provider, logger, audit, registrations: anonymousRates.registrations, minters, app, clock,
      unsignedCalls: new AddressRate(store, 'unsigned-aws-call', config.limits.unsignedAwsCallsPerMinutePerAddress, clock),
    }),
  });
  for (const middleware of pipeline) app.use(middleware);

  return { app, provider, store, config, logger, metrics, lifecycle, minters, signingKeys };
}

/**
 * The key set from the store (seeded from the JWKS file when a store is first set up). ES256 keys
 * sign ID tokens for clients that ask for them and the minters' own tokens; RS256 ones ID tokens
 * only. A store that outlives the process has its generation remembered beside the key files; the
 * memory store, gone with the process by design, has its key set kept in a file instead.
 */
async function openSigningKeys(
  config: Config,
  deps: { store: Store; clock: Clock; logger: Logger; seed: PrivateJwks; encryptionKey: Buffer },
): Promise<SigningKeyRing> {
  const { logger, ...options } = deps;
  try {
    return await SigningKeyRing.open({
      ...options,
      ...(options.store instanceof MemoryStore ? { keptIn: wholeFile(config.keys.keySetFile) } : { generation: generationFile(config.keys.storeGenerationFile) }),
      promoteAfterSeconds: config.keys.promoteAfterSeconds,
      // Only oidc-provider's ID tokens are signed without a note of what they signed; the minters note theirs.
      tokenLifetimeSeconds: { ES256: ID_TOKEN_LIFETIME_SECONDS, RS256: ID_TOKEN_LIFETIME_SECONDS },
      longestTokenSeconds: { ES256: Math.max(ID_TOKEN_LIFETIME_SECONDS, LONGEST_SERVER_KEY_TOKEN_SECONDS), RS256: ID_TOKEN_LIFETIME_SECONDS },
      onRefreshError: (error) => logger.warn('signing keys could not be read again; signing with the ones held', { error: error.message }),
    });
  } catch (error) {
    if (!(error instanceof KeyDecryptionError)) throw error;
    throw new Error(`the signing keys in the store do not decrypt with the key in ${config.keys.encryptionKeyFile}: every instance sharing the store must use the same file (${error.message})`);
  }
}

/**
 * The configured token rates over the defaults: the minters' own (IVS: 50, its quota), and none
 * for device polls: every device of a client polls under that client's id, each already held to
 * its own interval by slow_down, and a device told 429 would not know what to do with it.
 */
function tokenRates(configured: Readonly<Record<string, number>>): Record<string, number> {
  return { [DEVICE_CODE_GRANT_TYPE]: 0, ...MINTER_TOKENS_PER_SECOND, ...configured };
}

/** Whether the Admin API can be used: a client of the configuration file lists one of its scopes. */
export function offersAdminApi(config: Config): boolean {
  return configuredAdminClients(config.clients).size > 0;
}

/** Subjects of the form `<id>:…` are an upstream provider's people or a trusted issuer's: no account made here takes one. */
function reservedSubjectPrefixes(config: Config): Map<string, string> {
  return new Map([
    ...config.trustedIssuers.map(({ id }): [string, string] => [`${id}:`, `trusted issuer ${id}`]),
    ...config.upstreamProviders.map(({ id }): [string, string] => [`${id}:`, `upstream provider ${id}`]),
  ]);
}

/** Starts listening; resolves with the server once it accepts connections. */
export async function listen(stagepass: Stagepass, port = stagepass.config.port): Promise<Server> {
  const server = stagepass.app.listen(port, stagepass.config.host);
  // A client that trickles its request in (slowloris) is cut off rather than holding a socket.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await once(server, 'listening');
  return server;
}
