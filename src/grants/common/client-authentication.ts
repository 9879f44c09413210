import type { Context } from 'koa';
import { errors, type Provider } from 'oidc-provider';

import type { MintingClient } from './minting-gateway.js';
import { rightsOfClient } from './rights.js';

export type Client = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>>;

/**
 * Authenticates a confidential client outside the token endpoint (client_secret_basic), for the
 * minters' own routes. The secret is compared in constant time by oidc-provider's client model.
 */
export async function authenticateClient(ctx: Context, provider: Provider): Promise<Client> {
  const credentials = basicCredentials(ctx.get('authorization'));
  if (!credentials) {
    ctx.set('WWW-Authenticate', 'Basic realm="stagepass"');
    throw new errors.InvalidClientAuth('client authentication with HTTP Basic (client_id and client_secret) is required');
  }
  const client = await findClient(provider, credentials.clientId);
  const secretMatches = client?.clientSecret !== undefined && client.compareClientSecret(credentials.clientSecret);
  if (!client || !(await secretMatches)) {
    throw new errors.InvalidClientAuth('client authentication failed');
  }
  return client;
}

/** A client as the minting gateway asks after it. */
export function mintingClientOf(client: Client): MintingClient {
  return {
    clientId: client.clientId,
    isPublic: client.clientAuthMethod === 'none',
    registeredFor: (grantType) => client.grantTypeAllowed(grantType),
    rights: (fields) => rightsOfClient(client, fields),
  };
}

/** The client, or undefined: one whose stored metadata no longer validates is unknown; a store that cannot answer is not. */
export async function findClient(provider: Provider, clientId: string): Promise<Client | undefined> {
  return provider.Client.find(clientId).catch((error: unknown) => {
    if (error instanceof errors.TemporarilyUnavailable) throw error;
    return undefined;
  });
}

function basicCredentials(header: string): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  try {
    return { clientId: decodeURIComponent(decoded.slice(0, colon)), clientSecret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}
