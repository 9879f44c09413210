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
