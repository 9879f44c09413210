/**
 * The one place that reaches into oidc-provider beyond its public API. Its internal modules are
 * not semver-stable: an upgrade checks this file and nothing else.
 */
import type { X509Certificate } from 'node:crypto';

import type { Context, Middleware } from 'koa';
import compose from 'koa-compose';
import {
  errors, type AccessToken, type Adapter, type AdapterPayload, type ClientMetadata, type Grant, type KoaContextWithOIDC, type Provider, type RefreshToken,
} from 'oidc-provider';
import * as deviceCodeGrant from 'oidc-provider/lib/actions/grants/device_code.js';
import difference from 'oidc-provider/lib/helpers/_/difference.js';
import certificateThumbprint from 'oidc-provider/lib/helpers/certificate_thumbprint.js';
import { checkAttestBinding } from 'oidc-provider/lib/helpers/check_attest_binding.js';
import { boolean, resourceServer } from 'oidc-provider/lib/helpers/configuration_result.js';
import { pluralize } from 'oidc-provider/lib/helpers/formatters.js';
import * as grantCommon from 'oidc-provider/lib/helpers/grant_common.js';
import * as grantHelpers from 'oidc-provider/lib/helpers/grants.js';
import providerRequestStorage from 'oidc-provider/lib/helpers/als.js';
import resolveResource from 'oidc-provider/lib/helpers/resolve_resource.js';
import revoke from 'oidc-provider/lib/helpers/revoke.js';
import validatePresence from 'oidc-provider/lib/helpers/validate_presence.js';
import * as userCodeErrors from 'oidc-provider/lib/helpers/re_render_errors.js';
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';
import providerInternals from 'oidc-provider/lib/helpers/weak_cache.js';

/**
 * The provider's own middleware, to run inside this server's Koa app and its contexts (so its
 * cookies are signed with the app's keys) rather than as a second app. Assumes the Provider is a
 * Koa app whose `middleware` array holds its whole request handling, as in oidc-provider 9.
 */
export function providerMiddleware(provider: Provider): Middleware {
  return compose((provider as unknown as { middleware: Middleware[] }).middleware);
}

export type GrantHandler = (ctx: KoaContextWithOIDC) => Promise<void>;

export const DEVICE_CODE_GRANT_TYPE = deviceCodeGrant.grantType;

/**
 * oidc-provider registers its device code grant at construction and keeps the handler private;
 * wrapping it (for RFC 8628 slow_down) means binding the built-in handler ourselves the same way.
 */
export function builtInDeviceCodeGrant(provider: Provider): { handler: GrantHandler; parameters: Set<string> } {
  const boundHelpers = boundGrantHelpers(provider);
  return {
    handler: (ctx) => deviceCodeGrant.handler(provider, boundHelpers, ctx),
    parameters: deviceCodeGrant.parameters,
  };
}

/** oidc-provider 9 hands its built-in grant handlers the helpers of lib/helpers/grants.js, each bound to the provider. */
function boundGrantHelpers(provider: Provider): Record<string, (...args: unknown[]) => unknown> {
  return Object.fromEntries(
    Object.entries(grantHelpers).map(([name, helper]) => [name, (helper as (...a: unknown[]) => unknown).bind(undefined, provider)]),
  );
}

/** A DPoP proof oidc-provider validated: the thumbprint of the key that signed it, which tokens are bound to. */
export interface DPoPProof {
  thumbprint: string;
}

/** What a token response holds, as oidc-provider 9's `buildTokenResponse` takes it. */
export interface TokenResponseFields {
  accessToken: string;
  authorizationDetails: unknown;
  expiresIn: number;
  idToken: string | undefined;
  refreshToken: string;
  scope: string | undefined;
  tokenType: string;
}

/** The grant helpers oidc-provider 9's refresh_token handler uses, with the signatures they have once bound to the provider. */
export interface GrantHelpers {
  validateDpop(ctx: KoaContextWithOIDC): Promise<DPoPProof | undefined>;
  checkDpopRequired(ctx: KoaContextWithOIDC, dPoP: DPoPProof | undefined): void;
  checkDpopReplay(ctx: KoaContextWithOIDC, dPoP: DPoPProof | undefined, clientId: string, ErrorClass: typeof errors.InvalidGrant): Promise<void>;
  validateGrant(ctx: KoaContextWithOIDC, grantId: string | undefined): Promise<Grant>;
  applyAuthorizationDetails(ctx: KoaContextWithOIDC, token: AccessToken, source: RefreshToken): Promise<void>;
  buildTokenResponse(fields: TokenResponseFields): Record<string, unknown>;
}

/** The helpers a built-in grant handler is given, for a handler forked from one (see refresh-token-grant). */
export function grantHelpersOf(provider: Provider): GrantHelpers {
  return boundGrantHelpers(provider) as unknown as GrantHelpers;
}

/** The part of the provider's resolved configuration (defaults filled in) that oidc-provider 9's refresh_token handler reads. */
export interface RefreshGrantConfiguration {
  rotateRefreshToken: boolean | ((ctx: KoaContextWithOIDC) => unknown);
  features: {
    userinfo: { enabled: boolean };
    mTLS: { getCertificate(ctx: KoaContextWithOIDC): X509Certificate | string | undefined };
    resourceIndicators: { getResourceServerInfo(ctx: KoaContextWithOIDC, resource: string, client: unknown): unknown };
  };
}

/**
 * The configuration as oidc-provider resolved it at construction, defaults filled in: its handlers
 * read it from the provider's internal instance (weak_cache's `configuration`, in oidc-provider 9),
 * not from the options given.
 */
export function refreshGrantConfiguration(provider: Provider): RefreshGrantConfiguration {
  return (providerInternals(provider) as { configuration: RefreshGrantConfiguration }).configuration;
}

/**
 * The fetch oidc-provider reads a client's jwks_uri and sector_identifier_uri with, as its
 * resolved configuration holds it (weak_cache's `configuration`, in oidc-provider 9).
 */
export function outsideDocumentFetch(provider: Provider): (url: string, options: RequestInit) => Promise<Response> {
  return (providerInternals(provider) as { configuration: { fetch: (url: string, options: RequestInit) => Promise<Response> } }).configuration.fetch;
}

/**
 * The parameters oidc-provider registered a built-in grant type with: its handler module's own,
 * and `resource` and `authorization_details` where those features are on. A handler registered
 * over the built-in one with them takes the same parameters, and keeps the grant's rule on
 * repeated ones (`resource`), which oidc-provider 9's `registerGrantType` replaces only when given one.
 */
export function builtInGrantParameters(provider: Provider, grantType: string): Set<string> {
  const { grantTypeParams } = providerInternals(provider) as { grantTypeParams: Map<string, Set<string>> };
  return new Set(grantTypeParams.get(grantType));
}

// The steps of oidc-provider 9's own grant handlers, under the names its refresh_token handler
// imports them by: a handler forked from it calls them as upstream does, so that what the fork does
// not change behaves as upstream's, and an upgrade compares the two line by line. Each assumes the
// module, export and signature it has in oidc-provider 9.13.3, the fork's base.

/** lib/helpers/validate_presence.js: invalid_request naming the missing parameters. */
export const presence = validatePresence;
/** lib/helpers/_/difference.js: the members of the first list missing from the second. */
export { difference };
/** lib/helpers/formatters.js: the word, plural for any count but one. */
export const formatters = { pluralize };
/** lib/helpers/certificate_thumbprint.js: a certificate's x5t#S256. */
export { certificateThumbprint };
/** lib/helpers/check_attest_binding.js: invalid_grant unless the client attestation's key is the one the token was bound to. */
export { checkAttestBinding };
/** lib/helpers/configuration_result.js: a configured function's result, checked to be a boolean. */
export { boolean };
/** lib/helpers/configuration_result.js: a configured resource server's description, checked. */
export const validateResourceServer = resourceServer;
/** lib/helpers/grant_common.js: the account a token was issued for, or invalid_grant. */
export const validateAccount = grantCommon.validateAccount;
/** lib/helpers/grant_common.js: invalid_grant unless a token and its grant name one account. */
export const checkAccountMismatch = grantCommon.checkAccountMismatch;
/** lib/helpers/grant_common.js: a new access token of a grant, unsaved. */
export const createAccessToken = grantCommon.createAccessToken;
/** lib/helpers/grant_common.js: binds an access token to the client's mTLS certificate, when there is one. */
export const applyMtlsBinding = grantCommon.applyMtlsBinding;
/** lib/helpers/grant_common.js: the ID token of a grant's answer, when its scope has openid. */
export const issueIdToken = grantCommon.issueIdToken;
/** lib/helpers/resolve_resource.js: the one resource an access token is for, or invalid_target. */
export { resolveResource };
/** lib/helpers/revoke.js: revokes a grant's tokens, and its Grant as revokeGrantPolicy says (emitting grant.revoked). */
export { revoke };

/**
 * Replaces every grant type handler registered so far (built-in and custom) with a wrapped one:
 * the token endpoint calls the handler once the client is authenticated and the parameters are
 * checked, which is where per-client limits belong. oidc-provider offers no hook there.
 */
export function wrapGrantHandlers(provider: Provider, wrap: (grantType: string, handler: GrantHandler) => GrantHandler): void {
  const { grantTypeHandlers } = providerInternals(provider) as { grantTypeHandlers: Map<string, GrantHandler> };
  for (const [grantType, handler] of grantTypeHandlers) grantTypeHandlers.set(grantType, wrap(grantType, handler));
}

/**
 * oidc-provider keeps the Koa context of the request it is handling in an AsyncLocalStorage of its
 * own. On Node 20 every live AsyncLocalStorage costs something on every promise, and a token
 * request makes hundreds: the server keeps its request context in that same storage rather than
 * in a second one. Entering it earlier with the same context changes nothing for oidc-provider,
 * which enters it again with that context.
 */
export function runInProviderRequestStorage<T>(ctx: object, next: () => T): T {
  return providerRequestStorage.run(ctx, next);
}

/** The Koa context of the request being handled, wherever in its async call chain the caller is. */
export function contextOfCurrentRequest(): object | undefined {
  return providerRequestStorage.getStore();
}

/** oidc-provider hands its device pages a ready-made form; stagepass renders its own with the same CSRF token. */
export function xsrfTokenFromForm(formHtml: string): string {
  const match = /name="xsrf" value="([^"]+)"/.exec(formHtml);
  if (!match?.[1]) throw new Error('oidc-provider device form carries no xsrf token');
  return match[1];
}

interface ProviderRouter {
  match(method: string, path: string): { route: { name: string; path: string } } | undefined;
}

/**
 * The route oidc-provider's router serves a request at, and that route's own spelling of the
 * path. The router folds case and takes one trailing slash, so `/DEVICE/` is `/device`; a path
 * parameter keeps the request's spelling. Undefined when oidc-provider serves nothing there.
 */
export function providerRouteOf(provider: Provider): (method: string, path: string) => { name: string; path: string } | undefined {
  const { router } = providerInternals(provider) as { router: ProviderRouter };
  return (method, path) => {
    const matched = router.match(method, path);
    if (!matched) return undefined;
    const template = matched.route.path.split('/');
    if (!template.some((segment) => segment.startsWith(':'))) return { name: matched.route.name, path: matched.route.path };
    const given = path.split('/').slice(0, template.length);
    return { name: matched.route.name, path: template.map((segment, i) => (segment.startsWith(':') ? given[i] : segment)).join('/') };
  };
}

/** Recognises the messages oidc-provider gives when a client uses a grant type it is not registered for. */
export function isGrantTypeNotAllowed(description: string | undefined): boolean {
  return description === 'requested grant type is not allowed for this client'
    || (description?.endsWith(' is not allowed for this client') ?? false);
}

/**
 * Stores a client through the provider's own adapter, as its registration endpoint does, but with
 * a lifetime: registration always issues secrets that never expire, and an SSO OIDC client expires
 * with its secret. Callers validate the metadata first with the public `Client.validate`.
 */
export async function saveClientWithLifetime(provider: Provider, metadata: ClientMetadata & { client_id: string }, expiresIn: number): Promise<void> {
  const { adapter } = provider.Client as unknown as { adapter: Adapter };
  await adapter.upsert(metadata.client_id, metadata as AdapterPayload, expiresIn);
}

/**
 * Whether the request carries a browser session that still exists. Assumes oidc-provider's
 * session cookie holds the Session's id, signed with the app's keys, as `Session.get` reads it.
 */
export async function hasProviderSession(provider: Provider, ctx: Context): Promise<boolean> {
  const sessionId = ctx.cookies.get(provider.cookieName('session'), { signed: true });
  return sessionId !== undefined && (await provider.Session.find(sessionId)) !== undefined;
}

/** Who the browser's session signed in, when, and how (oidc-provider's Session: `accountId`, `loginTs`, `amr`, `acr`). */
export interface SignedInSession {
  /** The session's id: what a form or a ceremony of this sign-in is bound to. */
  id: string;
  accountId: string;
  /** Epoch seconds, by oidc-provider's clock. */
  loginTs: number;
  amr: readonly string[];
  acr: string | undefined;
}

/**
 * The person signed in in this browser, if anyone. Assumes, as `hasProviderSession`, that the
 * session cookie holds the Session's id signed with the app's keys.
 */
export async function signedInSession(provider: Provider, ctx: Context): Promise<SignedInSession | undefined> {
  const sessionId = ctx.cookies.get(provider.cookieName('session'), { signed: true });
  const session = sessionId === undefined ? undefined : await provider.Session.find(sessionId);
  if (!session?.accountId || session.loginTs === undefined) return undefined;
  return { id: session.jti, accountId: session.accountId, loginTs: session.loginTs, amr: session.amr ?? [], acr: session.acr };
}

/** What went wrong with a user code the code entry page is shown again for. */
export type UserCodeProblem = 'missing' | 'unknown' | 'expired' | 'used' | 'aborted';

/**
 * oidc-provider tells its code entry page what went wrong only by the class of the error it hands
 * the page (its internal re-render errors), which also carries the code the person typed.
 */
export function userCodeProblemOf(error: Error | undefined): { problem: UserCodeProblem; typed?: string } | undefined {
  if (!(error instanceof userCodeErrors.ReRenderError)) return undefined;
  const problem: UserCodeProblem | undefined = error instanceof userCodeErrors.NoCodeError ? 'missing'
    : error instanceof userCodeErrors.NotFoundError ? 'unknown'
      : error instanceof userCodeErrors.ExpiredError ? 'expired'
        : error instanceof userCodeErrors.AlreadyUsedError ? 'used'
          : error instanceof userCodeErrors.AbortedError ? 'aborted'
            : undefined;
  return problem && { problem, typed: error.userCode };
}

/** The model oidc-provider keeps each grant in, under the grant's id; a token whose Grant is gone is refused everywhere. */
export const GRANT_MODEL = 'Grant';

/** The grant a stored token or code belongs to: oidc-provider's payloads name it in `grantId`, which `revokeByGrantId` is given. */
export function grantIdOfPayload(payload: Record<string, unknown> | undefined): string | undefined {
  return typeof payload?.grantId === 'string' ? payload.grantId : undefined;
}

/**
 * oidc-provider checks a code is unconsumed, then calls the adapter's `consume` and ignores what it
 * answers, but answers the client with any error `consume` throws: the adapter refuses the loser
 * of a race to consume one code by throwing this.
 */
export function alreadyConsumed(): Error {
  return new errors.InvalidGrant('grant already used');
}

/**
 * Replaces the provider's signing keys, as if it had been configured with `jwks`: it signs with
 * the first key of each algorithm, verifies with all (an `id_token_hint` of a retired key) and
 * publishes their public parts at /jwks. oidc-provider reads its keys at construction only, into
 * its internal keystore and JWKS, which its own initialiser rebuilds here; a token being signed
 * meanwhile keeps the key it took.
 */
export function replaceSigningKeys(provider: Provider, jwks: { keys: readonly object[] }): void {
  initializeKeystore.call(provider, { keys: [...jwks.keys] });
}

/**
 * Whether a client with this metadata needs a secret: it authenticates with one, or signs or
 * encrypts with a key derived from it. oidc-provider's registration asks `Client.needsSecret`,
 * which its types leave out.
 */
export function clientNeedsSecret(provider: Provider, metadata: Readonly<Record<string, unknown>>): boolean {
  return (provider.Client as unknown as { needsSecret(metadata: object): boolean }).needsSecret(metadata);
}

/** The fields of oidc-provider 9's Session payload (`Session.IN_PAYLOAD`) that say who signed in and to which clients. */
const SIGNED_IN_FIELDS = ['accountId', 'loginTs', 'amr', 'acr', 'transient', 'authorizations'] as const;

/**
 * Signs the browser's session out where it stands, as its logout would, without the logout's
 * round trip: oidc-provider has no call for it, so the fields `loginAccount` and the client
 * authorizations set are deleted (its request proxy refuses only writes of a bad `accountId`), and
 * the session gets a new id, as at any change of who is signed in.
 */
export function signOutSession(session: KoaContextWithOIDC['oidc']['session']): void {
  const fields = session as unknown as Record<string, unknown>;
  for (const field of SIGNED_IN_FIELDS) delete fields[field];
  session!.resetIdentifier();
}
