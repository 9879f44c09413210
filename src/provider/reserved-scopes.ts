import { errors, type Provider } from 'oidc-provider';

import { wrapGrantHandlers } from './oidc-provider-internals.js';

/**
 * oidc-provider hands a client whose metadata lists no scope any scope it knows, at the
 * client_credentials grant: the reserved scopes (the Admin API's) would go to every such client,
 * registered or made at runtime. A reserved scope goes only to a client whose metadata lists it,
 * which only the configuration file can give.
 */
export function grantReservedScopesOnlyWhereListed(provider: Provider, reservedScopes: readonly string[]): void {
  wrapGrantHandlers(provider, (grantType, handler) => grantType !== 'client_credentials' ? handler : async (ctx) => {
    const listed = new Set(String(ctx.oidc.client!.scope ?? '').split(' '));
    const asked = String(ctx.oidc.params?.scope ?? '').split(' ');
    const refused = asked.find((scope) => reservedScopes.includes(scope) && !listed.has(scope));
    if (refused !== undefined) throw new errors.InvalidScope('requested scope is not allowed', refused);
    await handler(ctx);
  });
}
