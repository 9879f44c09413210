import { request } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/observability/logger.js';
import { CLIENTS, startStagepass, type RunningStagepass } from '../support/stagepass.js';

type LogLine = Record<string, unknown>;
const lines: LogLine[] = [];
const captured = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });

let server: RunningStagepass;
beforeAll(async () => {
  server = await startStagepass({ logger: captured, config: { trustProxy: true } });
});
afterAll(() => server.close());

interface Sent {
  method?: string;
  path: string;
  /** Sent as given, however malformed: node:http does not check it. */
  host: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A request over a socket of its own with exactly the Host header given. */
function sendWithHost({ method = 'GET', path, host, headers = {}, body }: Sent): Promise<{ status: number; body: Record<string, unknown> }> {
  const { port } = new URL(server.issuer);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, method, path, setHost: false, agent: false, headers: { host, ...headers } }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: text.startsWith('{') ? JSON.parse(text) as Record<string, unknown> : {} }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const postJson = (path: string, host: string, json: object) =>
  sendWithHost({ method: 'POST', path, host, headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) });

describe('the URLs stagepass publishes', () => {
  it('discovery names the configured issuer\'s endpoints whatever Host or X-Forwarded-Host the request carries', async () => {
    for (const headers of [{ host: 'evil.example' }, { host: 'evil.example:8443', headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } }]) {
      const { status, body } = await sendWithHost({ path: '/.well-known/openid-configuration', ...headers });
      expect(status).toBe(200);
      expect(body.issuer).toBe(server.issuer);
      const urls = Object.entries(body).filter(([name, value]) => typeof value === 'string' && (name.endsWith('_uri') || name.endsWith('_endpoint')));
      expect(urls.length).toBeGreaterThan(5);
      for (const [name, url] of urls) expect(url, name).toMatch(new RegExp(`^${server.issuer}/`));
    }
  });

  it('a request target in absolute form does not name the host of the URLs either', async () => {
    const { status, body } = await sendWithHost({ path: 'http://evil.example/.well-known/openid-configuration', host: 'evil.example' });
    expect(status).toBe(200);
    expect(body.token_endpoint).toBe(`${server.issuer}/token`);
    expect(body.jwks_uri).toBe(`${server.issuer}/jwks`);
  });

  it('a device authorization answers verification URIs on the issuer, not on the Host the request named', async () => {
    const { status, body } = await sendWithHost({
      method: 'POST', path: '/device/auth', host: 'evil.example',
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `client_id=${CLIENTS.native.client_id}&scope=openid`,
    });
    expect(status).toBe(200);
    expect(body.verification_uri).toBe(`${server.issuer}/device`);
    expect(String(body.verification_uri_complete)).toMatch(new RegExp(`^${server.issuer}/device\\?user_code=`));
  });

  it('SSO OIDC\'s StartDeviceAuthorization answers verification URIs on the issuer', async () => {
    const registered = await postJson('/aws/sso-oidc/client/register', 'evil.example', { clientName: 'cli', clientType: 'public' });
    expect(registered.status).toBe(200);
    const { status, body } = await postJson('/aws/sso-oidc/device_authorization', 'evil.example', {
      clientId: registered.body.clientId, clientSecret: registered.body.clientSecret, startUrl: 'https://example.awsapps.com/start',
    });
    expect(status).toBe(200);
    expect(body.verificationUri).toBe(`${server.issuer}/device`);
    expect(String(body.verificationUriComplete)).toMatch(new RegExp(`^${server.issuer}/device\\?user_code=`));
  });
});

describe('a malformed Host header', () => {
  const malformed = ['a b', '[::1', 'x:99999', '%', 'a/b', 'user@evil.example'];
  const paths = ['/.well-known/openid-configuration', '/device', '/session/end', '/auth', '/healthz', '/aws/sso-oidc/client/register'];

  it('is a 400 naming the Host header on every route, logged as a client\'s mistake', async () => {
    lines.length = 0;
    for (const host of malformed) {
      for (const path of paths) {
        const { status, body } = await sendWithHost({ path, host });
        expect(status, `${host} ${path}`).toBe(400);
        expect(body, `${host} ${path}`).toEqual({ error: 'invalid_request', error_description: expect.stringContaining('Host') });
      }
    }
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('in an absolute-form request target is a 400 too', async () => {
    lines.length = 0;
    for (const host of ['[::1', 'x:99999', '%', 'a%20b']) {
      for (const path of paths) {
        const { status, body } = await sendWithHost({ path: `http://${host}${path}`, host: 'id.example' });
        expect(status, `${host} ${path}`).toBe(400);
        expect(body.error, `${host} ${path}`).toBe('invalid_request');
      }
    }
    expect(lines.filter((line) => line.level === 'error' || line.message === 'connection error')).toEqual([]);
  });

  it('is a 400 in X-Forwarded-Host when the proxy is trusted', async () => {
    const { status, body } = await sendWithHost({ path: '/.well-known/openid-configuration', host: 'id.example', headers: { 'x-forwarded-host': 'x:99999' } });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });
});
