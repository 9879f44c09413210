// oidc-provider ships no types for its internal modules; these declare only what the seam uses.
declare module 'oidc-provider/lib/actions/grants/device_code.js' {
  export const handler: (provider: unknown, helpers: Record<string, unknown>, ctx: unknown) => Promise<void>;
  export const parameters: Set<string>;
  export const grantType: string;
}
declare module 'oidc-provider/lib/helpers/grants.js' {
  const helpers: Record<string, (...args: unknown[]) => unknown>;
  export = helpers;
}
declare module 'oidc-provider/lib/helpers/weak_cache.js' {
  const internals: (provider: unknown) => Record<string, unknown>;
  export default internals;
}
declare module 'oidc-provider/lib/helpers/re_render_errors.js' {
  export class ReRenderError extends Error {
    userCode?: string;
  }
  export class NotFoundError extends ReRenderError {}
  export class ExpiredError extends ReRenderError {}
  export class AbortedError extends ReRenderError {}
  export class AlreadyUsedError extends ReRenderError {}
  export class NoCodeError extends ReRenderError {}
}
declare module 'oidc-provider/lib/helpers/als.js' {
  import type { AsyncLocalStorage } from 'node:async_hooks';
  const storage: AsyncLocalStorage<object>;
  export default storage;
}
declare module 'oidc-provider/lib/helpers/initialize_keystore.js' {
  /** Called with the Provider as `this`: validates the JWKS and installs it as the provider's keystore and public JWKS. */
  export default function initialize(this: unknown, jwks: { keys: object[] }): void;
}
declare module 'oidc-provider/lib/helpers/configuration_result.js' {
  /** The value a configured function returned, when it is a boolean; a TypeError naming `path` otherwise. */
  export function boolean(value: unknown, path: string): boolean;
  /** What `features.resourceIndicators.getResourceServerInfo` returned, once checked to be a resource server's description. */
  export function resourceServer(value: unknown, path?: string): import('oidc-provider').ResourceServer;
}
declare module 'oidc-provider/lib/helpers/validate_presence.js' {
  import type { KoaContextWithOIDC } from 'oidc-provider';
  export default function validatePresence(ctx: KoaContextWithOIDC, ...required: string[]): void;
}
declare module 'oidc-provider/lib/helpers/_/difference.js' {
  export default function difference<T>(array: T[], values: T[]): T[];
}
declare module 'oidc-provider/lib/helpers/formatters.js' {
  export function pluralize(word: string, count: number): string;
}
declare module 'oidc-provider/lib/helpers/certificate_thumbprint.js' {
  import type { X509Certificate } from 'node:crypto';
  export default function certificateThumbprint(cert: X509Certificate | string): string;
}
declare module 'oidc-provider/lib/helpers/check_attest_binding.js' {
  import type { KoaContextWithOIDC } from 'oidc-provider';
  export function checkAttestBinding(ctx: KoaContextWithOIDC, model: { attestationJkt?: string | undefined }): Promise<void>;
}
declare module 'oidc-provider/lib/helpers/grant_common.js' {
  import type { X509Certificate } from 'node:crypto';
  import type { AccessToken, Account, Grant, KoaContextWithOIDC, Provider, RefreshToken } from 'oidc-provider';
  export function validateAccount(provider: Provider, ctx: KoaContextWithOIDC, source: RefreshToken, entityLabel: string): Promise<Account>;
  export function checkAccountMismatch(source: RefreshToken, grant: Grant): void;
  export function createAccessToken(
    provider: Provider,
    ctx: KoaContextWithOIDC,
    source: Pick<RefreshToken, 'accountId' | 'expiresWithSession' | 'grantId' | 'sessionUid' | 'sid'>,
    gty: string | undefined,
  ): AccessToken;
  export function applyMtlsBinding(at: AccessToken, cert: X509Certificate | string | undefined): void;
  export function issueIdToken(
    provider: Provider,
    ctx: KoaContextWithOIDC,
    source: RefreshToken,
    at: AccessToken,
    grant: Grant,
    scopeOverride?: Set<string>,
  ): Promise<string | undefined>;
}
declare module 'oidc-provider/lib/helpers/resolve_resource.js' {
  import type { KoaContextWithOIDC, RefreshToken } from 'oidc-provider';
  export default function resolveResource(
    ctx: KoaContextWithOIDC,
    model: RefreshToken,
    config: { userinfo: unknown; resourceIndicators: unknown },
    scopes?: Set<string>,
  ): Promise<string | undefined>;
}
declare module 'oidc-provider/lib/helpers/revoke.js' {
  import type { KoaContextWithOIDC } from 'oidc-provider';
  export default function revoke(ctx: KoaContextWithOIDC, grantId: string | undefined): Promise<void>;
}
