import type { ApiClients } from './api-clients.js';

/** How a page names a client to the person asked to trust it. */
export interface ClientDisplay {
  name: string;
  /**
   * False for a client that registered itself (dynamic registration, SSO OIDC RegisterClient):
   * it chose its own name, which may be a configured client's.
   */
  verified: boolean;
  /** Where the person is sent after answering, when known: the one thing a look-alike cannot borrow. */
  redirectHost: string;
}

interface NamedClient {
  clientId: string;
  clientName?: unknown;
}

/** Describes clients for the pages; the operator's count as verified: the configuration file's and those made through the Admin API. */
export function clientDisplayer(configuredClientIds: Iterable<string>, apiClients: Pick<ApiClients, 'metadataOf'>) {
  const configured = new Set(configuredClientIds);
  return async (client: NamedClient | undefined, clientId: string, redirectUri?: unknown): Promise<ClientDisplay> => ({
    name: String(client?.clientName ?? clientId),
    verified: configured.has(clientId) || (await apiClients.metadataOf(clientId)) !== undefined,
    redirectHost: typeof redirectUri === 'string' && URL.canParse(redirectUri) ? new URL(redirectUri).host : '',
  });
}

export type ClientDisplayer = ReturnType<typeof clientDisplayer>;
