import type { Provider } from 'oidc-provider';

import { AdminError } from './admin-error.js';
import type { AdminAccess } from './operation.js';

/** Read and write: every call of the Admin API. */
export const ADMIN_SCOPE = 'stagepass:admin';
/** Read only: the GET calls. */
export const ADMIN_READ_SCOPE = 'stagepass:admin:read';
export const ADMIN_SCOPES = [ADMIN_SCOPE, ADMIN_READ_SCOPE] as const;

const REALM = 'realm="stagepass admin"';

/**
 * Who may call the Admin API: the bearer of a client_credentials access token of this server,
 * issued to a client of the configuration file that lists the scope the call needs. Such a token
 * held by any other client (one registered dynamically, or made through this API) is refused: only
 * the configuration file hands out administration.
 */
export function adminAccess(provider: Provider, configuredAdmins: ReadonlyMap<string, readonly string[]>) {
  return async function authorize(authorization: string | undefined, access: AdminAccess): Promise<string> {
    const token = /^Bearer ([\x21-\x7e]+)$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) {
      throw new AdminError(401, 'invalid_token', 'an Authorization: Bearer <access token> header is required', {
        'WWW-Authenticate': `Bearer ${REALM}`,
      });
    }
    const found = await provider.ClientCredentials.find(token);
    const clientId = found?.clientId;
    if (!found || clientId === undefined) {
      throw new AdminError(401, 'invalid_token', 'the access token is unknown, expired or revoked', {
        'WWW-Authenticate': `Bearer ${REALM}, error="invalid_token"`,
      });
    }
    const granted = new Set(String(found.scope ?? '').split(' '));
    const allowedByConfig = new Set(configuredAdmins.get(clientId) ?? []);
    const held = (scope: string) => granted.has(scope) && allowedByConfig.has(scope);
    const permitted = held(ADMIN_SCOPE) || (access === 'read' && held(ADMIN_READ_SCOPE));
    if (!permitted) {
      const needed = access === 'read' ? `${ADMIN_READ_SCOPE} or ${ADMIN_SCOPE}` : ADMIN_SCOPE;
      throw new AdminError(403, 'insufficient_scope', `this call needs a token with the scope ${needed}`, {
        'WWW-Authenticate': `Bearer ${REALM}, error="insufficient_scope", scope="${access === 'read' ? ADMIN_READ_SCOPE : ADMIN_SCOPE}"`,
      });
    }
    return clientId;
  };
}

/** The configuration's clients that may obtain an admin scope, with the admin scopes each lists. */
export function configuredAdminClients(clients: readonly { client_id: string; scope?: unknown }[]): Map<string, string[]> {
  const admins = new Map<string, string[]>();
  for (const client of clients) {
    const scopes = typeof client.scope === 'string' ? client.scope.split(' ') : [];
    const adminScopes = scopes.filter((scope) => (ADMIN_SCOPES as readonly string[]).includes(scope));
    if (adminScopes.length > 0) admins.set(client.client_id, adminScopes);
  }
  return admins;
}
