import * as client from 'openid-client';

import { CLIENTS } from './stagepass.js';

type ClientName = keyof typeof CLIENTS;

/** openid-client configured as the named test client, over plain http on loopback. */
export async function relyingParty(issuer: string, name: ClientName): Promise<client.Configuration> {
  const metadata = CLIENTS[name];
  const secret = 'client_secret' in metadata ? metadata.client_secret : undefined;
  return client.discovery(
    new URL(issuer),
    metadata.client_id,
    secret ? { client_secret: secret } : { token_endpoint_auth_method: 'none' },
    secret ? client.ClientSecretBasic(secret) : client.None(),
    { execute: [client.allowInsecureRequests] },
  );
}

/** Posts a form to the server as a client would, returning the status and parsed JSON body. */
export async function postForm(url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}) {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const v of [value].flat()) body.append(name, v);
  }
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return { status: response.status, headers: response.headers, body: await response.json().catch(() => undefined) as Record<string, unknown> };
}

export function basicAuth(clientId: string, secret: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` };
}

export { client };
