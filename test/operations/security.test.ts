import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { basicAuth, postForm } from '../support/relying-party.js';
import { formsIn, ScriptedUser, type Page } from '../support/scripted-user.js';
import { CLIENTS, REDIRECT_URI, startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';

const authorizationQuery = () => new URLSearchParams({
  client_id: CLIENTS.confidential.client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI,
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
});

/** Follows redirects by hand, carrying cookies, and answers the last response with every cookie set on the way. */
async function browse(url: string, headers: Record<string, string> = {}) {
  const jar = new Map<string, string>();
  const setCookies: string[] = [];
  let current = url;
  for (let hops = 0; hops < 5; hops += 1) {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(current, { redirect: 'manual', headers: { ...headers, ...(cookie ? { cookie } : {}) } });
    for (const header of response.headers.getSetCookie()) {
      setCookies.push(header);
      const [pair] = header.split(';');
      jar.set(pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1));
    }
    const location = response.headers.get('location');
    if (!location || response.status < 300 || response.status >= 400) return { response, setCookies };
    current = new URL(location, current).href;
  }
  throw new Error('too many redirects');
}

describe('pages', () => {
  let server: RunningStagepass;
  beforeAll(async () => {
    server = await startStagepass();
  });
  afterAll(() => server.close());

  const pages = () => [
    ['the sign-in page', `${server.issuer}/auth?${authorizationQuery()}`],
    ['the device code entry page', `${server.issuer}/device`],
    ['the logout page', `${server.issuer}/session/end`],
    ['the error page', `${server.issuer}/auth?client_id=nobody&response_type=code&scope=openid`],
  ] as const;

  it('are sent with a CSP without unsafe-inline that forbids framing, and are never cached', async () => {
    for (const [name, url] of pages()) {
      const { response } = await browse(url, { accept: 'text/html' });
      expect(response.headers.get('content-type'), name).toContain('text/html');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, name).toContain("frame-ancestors 'none'");
      expect(csp, name).toContain("default-src 'none'");
      expect(csp, name).not.toContain('unsafe-inline');
      expect(csp, name).not.toContain('unsafe-eval');
      expect(response.headers.get('cache-control'), name).toContain('no-store');
      expect(response.headers.get('x-frame-options'), name).toBe('DENY');
    }
  });

  it('set cookies that scripts cannot read and other sites do not send, not marked Secure over plain http', async () => {
    const { setCookies } = await browse(`${server.issuer}/auth?${authorizationQuery()}`);
    const device = await browse(`${server.issuer}/device`);
    const all = [...setCookies, ...device.setCookies];
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (const cookie of all) {
      expect(cookie.toLowerCase()).toContain('httponly');
      expect(cookie.toLowerCase()).toContain('samesite=lax');
      expect(cookie.toLowerCase()).not.toContain('secure');
    }
  });

  it('an X-Forwarded-Proto header from an untrusted client does not change the cookies', async () => {
    const { setCookies } = await browse(`${server.issuer}/auth?${authorizationQuery()}`, { 'x-forwarded-proto': 'https' });
    for (const cookie of setCookies) expect(cookie.toLowerCase()).not.toContain('secure');
  });
});

describe('behind a TLS-terminating proxy (trustProxy)', () => {
  let server: RunningStagepass;
  beforeAll(async () => {
    server = await startStagepass({ config: { trustProxy: true, limits: { login: { maxFailuresPerAccount: 100, maxFailuresPerIp: 3 } } } });
  });
  afterAll(() => server.close());

  it('the address a client writes into X-Forwarded-For before the proxy\'s own does not dodge the sign-in lockout', async () => {
    const user = new ScriptedUser();
    let page: Page = await user.visit(`${server.issuer}/auth?${authorizationQuery()}`);
    const signIn = (forwardedFor: string, username: string, password: string) => {
      const form = formsIn(page.html).find((f) => f.action.endsWith('/login'))!;
      return user.visit(new URL(form.action, page.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor },
        body: new URLSearchParams({ ...form.fields, username, password }),
      });
    };
    for (const spoofed of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) page = await signIn(`${spoofed}, 203.0.113.50`, `guess-${spoofed}`, 'guess');
    const locked = await signIn('10.0.0.4, 203.0.113.50', USERS.alice.username, USERS.alice.password);
    expect(locked.status).toBe(429);
    const otherClient = await signIn('203.0.113.51', USERS.alice.username, USERS.alice.password);
    expect(otherClient.status).toBe(200);
  });

  it('cookies are marked Secure when the proxy says the request came over https', async () => {
    const { setCookies } = await browse(`${server.issuer}/auth?${authorizationQuery()}`, { 'x-forwarded-proto': 'https' });
    expect(setCookies.length).toBeGreaterThanOrEqual(2);
    for (const cookie of setCookies) expect(cookie.toLowerCase()).toMatch(/;\s*secure/);
  });
});

describe('without trustProxy', () => {
  let server: RunningStagepass;
  beforeAll(async () => {
    server = await startStagepass({ config: { limits: { login: { maxFailuresPerAccount: 100, maxFailuresPerIp: 3 } } } });
  });
  afterAll(() => server.close());

  it('a forged X-Forwarded-For does not dodge the per-address sign-in lockout', async () => {
    const user = new ScriptedUser();
    let page: Page = await user.visit(`${server.issuer}/auth?${authorizationQuery()}`);
    const signIn = (ip: string, username: string, password: string) => {
      const form = formsIn(page.html).find((f) => f.action.endsWith('/login'))!;
      return user.visit(new URL(form.action, page.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
        body: new URLSearchParams({ ...form.fields, username, password }),
      });
    };
    for (const ip of ['192.0.2.10', '192.0.2.11', '192.0.2.12']) page = await signIn(ip, `guess-${ip}`, 'guess');
    const locked = await signIn('192.0.2.13', USERS.alice.username, USERS.alice.password);
    expect(locked.status).toBe(429);
  });
});

describe('introspection', () => {
  const RESOURCE_SERVER = {
    client_id: 'resource-server', client_secret: 'resource-server-secret-0123456789', introspection_allowed: true,
    grant_types: [], response_types: [], redirect_uris: [],
  };
  let server: RunningStagepass;
  beforeAll(async () => {
    server = await startStagepass({ config: { clients: [...Object.values(CLIENTS), RESOURCE_SERVER] } });
  });
  afterAll(() => server.close());

  const introspect = (token: string, clientId: string, secret: string) =>
    postForm(`${server.issuer}/token/introspection`, { token }, basicAuth(clientId, secret));
  const serviceToken = async () => String((await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials' },
    basicAuth(CLIENTS.service.client_id, CLIENTS.service.client_secret))).body.access_token);

  it('a self-registered confidential client learns nothing about another client\'s token', async () => {
    const registered = await fetch(`${server.issuer}/reg`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }),
    }).then((r) => r.json() as Promise<{ client_id: string; client_secret: string }>);
    const { status, body } = await introspect(await serviceToken(), registered.client_id, registered.client_secret);
    expect(status).toBe(200);
    expect(body).toEqual({ active: false });
  });

  it('a configured client that is not a resource server learns nothing about another client\'s token', async () => {
    const { body } = await introspect(await serviceToken(), CLIENTS.confidential.client_id, CLIENTS.confidential.client_secret);
    expect(body).toEqual({ active: false });
  });

  it('the client the token was issued to and a configured resource server see it active', async () => {
    const token = await serviceToken();
    expect((await introspect(token, CLIENTS.service.client_id, CLIENTS.service.client_secret)).body)
      .toMatchObject({ active: true, client_id: CLIENTS.service.client_id });
    expect((await introspect(token, RESOURCE_SERVER.client_id, RESOURCE_SERVER.client_secret)).body)
      .toMatchObject({ active: true, client_id: CLIENTS.service.client_id });
  });

  it('dynamic registration cannot make a client a resource server', async () => {
    const response = await fetch(`${server.issuer}/reg`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [], introspection_allowed: true }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringContaining('introspection_allowed') });
  });
});

describe('a client that registered itself under a configured client\'s name', () => {
  let server: RunningStagepass;
  let lookAlike: { client_id: string };
  const LOOK_ALIKE_REDIRECT = 'http://127.0.0.1:9/look-alike-cb';
  beforeAll(async () => {
    server = await startStagepass();
    const response = await fetch(`${server.issuer}/reg`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: CLIENTS.native.client_name, application_type: 'native', token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'authorization_code'], response_types: ['code'], redirect_uris: [LOOK_ALIKE_REDIRECT],
      }),
    });
    expect(response.status).toBe(201);
    lookAlike = await response.json() as { client_id: string };
  });
  afterAll(() => server.close());

  const deviceConfirmPage = async (clientId: string) => {
    const started = await postForm(`${server.issuer}/device/auth`, { client_id: clientId, scope: 'openid' });
    const user = new ScriptedUser();
    return user.submit(await user.visit(String(started.body.verification_uri_complete)), '/device');
  };
  const consentPage = async (clientId: string, redirectUri: string) => {
    const user = new ScriptedUser();
    const query = new URLSearchParams({ ...Object.fromEntries(authorizationQuery()), client_id: clientId, redirect_uri: redirectUri });
    const login = await user.visit(`${server.issuer}/auth?${query}`);
    return { login, consent: await user.submit(login, '/login', { username: USERS.alice.username, password: USERS.alice.password }) };
  };

  it('is marked unverified on the device confirm page; the configured client is not', async () => {
    const forged = await deviceConfirmPage(lookAlike.client_id);
    expect(forged.html).toContain(CLIENTS.native.client_name);
    expect(forged.html).toMatch(/unverified/i);
    const real = await deviceConfirmPage(CLIENTS.native.client_id);
    expect(real.html).toContain(CLIENTS.native.client_name);
    expect(real.html).not.toMatch(/unverified/i);
  });

  it('is marked unverified on the sign-in and consent pages, which show where it sends the person', async () => {
    const forged = await consentPage(lookAlike.client_id, LOOK_ALIKE_REDIRECT);
    expect(forged.login.html).toMatch(/unverified/i);
    expect(forged.consent.html).toContain('Allow');
    expect(forged.consent.html).toMatch(/unverified/i);
    expect(forged.consent.html).toContain('127.0.0.1:9');
    const real = await consentPage(CLIENTS.native.client_id, REDIRECT_URI);
    expect(real.login.html).not.toMatch(/unverified/i);
    expect(real.consent.html).toContain('Allow');
    expect(real.consent.html).not.toMatch(/unverified/i);
  });
});

describe('the listening address (host)', () => {
  const reachableAt = async (address: string, port: number) => {
    try {
      return (await fetch(`http://${address}:${port}/healthz`)).status;
    } catch {
      return 'refused';
    }
  };

  it('is every IPv4 interface by default, and only the one named when host is set', async () => {
    const everywhere = await startStagepass();
    const loopbackOnly = await startStagepass({ config: { host: '127.0.0.1' } });
    try {
      const port = (server: RunningStagepass) => (server.server.address() as { port: number }).port;
      expect(await reachableAt('127.0.0.2', port(everywhere))).toBe(200);
      expect((loopbackOnly.server.address() as { address: string }).address).toBe('127.0.0.1');
      expect(await reachableAt('127.0.0.1', port(loopbackOnly))).toBe(200);
      expect(await reachableAt('127.0.0.2', port(loopbackOnly))).toBe('refused');
    } finally {
      await Promise.all([everywhere.close(), loopbackOnly.close()]);
    }
  });
});
