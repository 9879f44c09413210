import * as client from 'openid-client';

import { signInAndApprove } from './flows.js';

import type { LoggedAnswer } from './openapi.js';
import { ScriptedUser } from './scripted-user.js';
import { sleep } from './sleep.js';
import { CLIENTS, REDIRECT_URI } from './stagepass.js';

/** Clients of the configuration file that may administer: one reads and writes, one only reads. */
export const ADMIN_CLIENTS = {
  admin: {
    client_id: 'admin-cli',
    client_secret: 'admin-cli-secret-0123456789abcdef',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'stagepass:admin stagepass:admin:read',
  },
  reader: {
    client_id: 'admin-reader',
    client_secret: 'admin-reader-secret-0123456789abcd',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'stagepass:admin:read',
  },
} as const;

/** The test defaults' clients and the admin ones, for a configuration's `clients`. */
export const CLIENTS_WITH_ADMINS = [...Object.values(CLIENTS), ...Object.values(ADMIN_CLIENTS)];

/** An access token from the client_credentials grant, as an operator's script gets one with openid-client. */
export async function adminToken(issuer: string, who: keyof typeof ADMIN_CLIENTS = 'admin', scope?: string): Promise<string> {
  const { client_id, client_secret, scope: listed } = ADMIN_CLIENTS[who];
  const configuration = await client.discovery(new URL(issuer), client_id, client_secret, client.ClientSecretBasic(client_secret), {
    execute: [client.allowInsecureRequests],
  });
  const tokens = await client.clientCredentialsGrant(configuration, { scope: scope ?? listed });
  return tokens.access_token;
}

export interface AdminAnswer {
  status: number;
  headers: Headers;
  // Tests read into answers freely; the OpenAPI check pins their shape.
  body: any;
}

/** Calls of the Admin API with one bearer token; each answer joins `log` when given, to be checked against the document. */
export function adminApi(issuer: string, token: string | undefined, log?: LoggedAnswer[]) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<AdminAnswer> => {
    const response = await fetch(`${issuer}/admin/v1${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    const answer = { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
    // As the server saw it: `..` and `.` resolved, as fetch resolves them.
    log?.push({ method, path: new URL(response.url).pathname.replace(/^\/admin\/v1/, ''), answer });
    return answer;
  };
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => call('POST', path, body ?? {}, headers),
    put: (path: string, body: unknown, headers?: Record<string, string>) => call('PUT', path, body, headers),
    delete: (path: string, headers?: Record<string, string>) => call('DELETE', path, undefined, headers),
    call,
  };
}

/** What every instance must see of a change made on another, at the latest. */
export const PROPAGATION_MS = 1000;

/**
 * Asks `attempt` until `done` holds, for at most PROPAGATION_MS after the change answered, and
 * answers the last result: the test then asserts on it, so a change never seen fails with what
 * was answered instead.
 */
export async function seenWithinPropagation<T>(attempt: () => Promise<T>, done: (result: T) => boolean): Promise<T> {
  const deadline = performance.now() + PROPAGATION_MS;
  for (;;) {
    const result = await attempt();
    if (done(result) || performance.now() > deadline) return result;
    await sleep(50);
  }
}

/** A resource server of the configuration, which may introspect every client's tokens. */
export const RESOURCE_SERVER = {
  client_id: 'resource-server', client_secret: 'resource-server-secret-0123456789', introspection_allowed: true,
  grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
};

/** A backend that authenticates with a secret and obtains client_credentials tokens. */
export const SERVICE_METADATA = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] };

/** An app that signs people in and keeps them signed in. */
export const WEB_APP_METADATA = {
  client_name: 'Made at runtime',
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  response_types: ['code'],
  redirect_uris: [REDIRECT_URI],
};

export type Credentials = { client_id: string; client_secret: string };

/** openid-client as a client made through the Admin API. */
export async function relyingPartyOf(issuer: string, { client_id, client_secret }: Credentials) {
  return client.discovery(new URL(issuer), client_id, client_secret, client.ClientSecretBasic(client_secret), {
    execute: [client.allowInsecureRequests],
  });
}

export async function clientCredentialsToken(issuer: string, credentials: Credentials) {
  return (await client.clientCredentialsGrant(await relyingPartyOf(issuer, credentials))).access_token;
}

/** Alice signs in at the client and approves it; answers its tokens. */
export async function signedInTokens(issuer: string, credentials: Credentials) {
  const config = await relyingPartyOf(issuer, credentials);
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI, scope: 'openid offline_access', prompt: 'consent',
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const callback = await signInAndApprove(new ScriptedUser(), url.href);
  return { config, tokens: await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier }) };
}
