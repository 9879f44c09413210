import type { Client } from './signed-client.js';

export interface PresentedCredentials {
  form: Record<string, string>;
  headers: Record<string, string>;
}

/**
 * A client's id and secret, presented to the token endpoint the way the client is registered to
 * authenticate there: oidc-provider refuses any other way. A public client sends its id alone; an
 * unknown client sends both in the form and gets the endpoint's own invalid_client.
 */
export function presentCredentials(client: Client | undefined, clientId: string, clientSecret: string | undefined): PresentedCredentials {
  const method = client?.clientAuthMethod;
  if (method === 'none') return { form: { client_id: clientId }, headers: {} };
  if (method === 'client_secret_basic' && clientSecret !== undefined) {
    return { form: {}, headers: { authorization: basicAuthorization(clientId, clientSecret) } };
  }
  return { form: { client_id: clientId, ...(clientSecret === undefined ? {} : { client_secret: clientSecret }) }, headers: {} };
}

/** RFC 6749 §2.3.1: both parts form-encoded before base64. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}
