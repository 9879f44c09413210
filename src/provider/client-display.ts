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

/** Describes clients for the pages; only those in the configuration file count as verified. */
export function clientDisplayer(configuredClientIds: Iterable<string>) {
  const configured = new Set(configuredClientIds);
  return (client: NamedClient | undefined, clientId: string, redirectUri?: unknown): ClientDisplay => ({
    name: String(client?.clientName ?? clientId),
    verified: configured.has(clientId),
    redirectHost: typeof redirectUri === 'string' && URL.canParse(redirectUri) ? new URL(redirectUri).host : '',
  });
}

export type ClientDisplayer = ReturnType<typeof clientDisplayer>;
