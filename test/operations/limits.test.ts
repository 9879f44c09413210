import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authorizationCodeTokens } from '../support/flows.js';
import { IVS_GRANT, ivsConfig, LICENSES, mint, MINTING_CLIENTS, STAGES } from '../support/minters.js';
import { basicAuth, postForm } from '../support/relying-party.js';
import { formsIn, ScriptedUser, type Page } from '../support/scripted-user.js';
import { CLIENTS, REDIRECT_URI, startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';

let server: RunningStagepass;

beforeAll(async () => {
  server = await startStagepass({
    redis: true,
    config: (keysDir) => ({
      trustProxy: true,
      ivs: ivsConfig(keysDir),
      licenses: [{ arn: LICENSES.small, maxTokens: 10 }],
      clients: [...Object.values(CLIENTS), MINTING_CLIENTS.stageBackend, MINTING_CLIENTS.viewerBackend],
      limits: {
        maxBodyBytes: 2048,
        tokensPerSecond: { client_credentials: 3, default: 3 },
        login: { maxFailuresPerAccount: 3, maxFailuresPerIp: 6, lockoutSeconds: 2, maxLockoutSeconds: 60 },
        userCodeEntry: { maxFailuresPerIp: 3, lockoutSeconds: 60, maxLockoutSeconds: 600 },
      },
    }),
  });
});
afterAll(() => server.close());

/** Redis keeps a window's count for two seconds of its own clock, however the server's clock stands. */
const WINDOW_KEPT_MS = 2_000;

/**
 * Sends a burst in one second of the server's clock, so the server counts it in one window: the
 * clock is moved on to a second of its own and stands still while the burst is answered. A burst
 * that took longer than Redis keeps the window's count is sent again.
 */
async function inOneSecond<T>({ clock }: RunningStagepass, burst: () => Promise<T>): Promise<T> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    clock.advance(1000 - (clock.now() % 1000));
    const started = performance.now();
    const result = await clock.stoppedDuring(burst);
    if (performance.now() - started < WINDOW_KEPT_MS) return result;
  }
  throw new Error('no burst was answered within the two seconds Redis keeps a window');
}

describe('token rate per client and grant type', () => {
  const clientCredentials = (client: { client_id: string; client_secret: string }) =>
    postForm(`${server.issuer}/token`, { grant_type: 'client_credentials' }, basicAuth(client.client_id, client.client_secret));

  it('over its rate a client gets 429 with Retry-After and an RFC 6749 body; other clients and grant types are unaffected', async () => {
    const backend = MINTING_CLIENTS.stageBackend;
    const [burst, otherClient, otherGrant] = await inOneSecond(server, () => Promise.all([
      Promise.all(Array.from({ length: 10 }, () => clientCredentials(backend))),
      clientCredentials(CLIENTS.service),
      mint(server.issuer, backend, IVS_GRANT, { stage_arn: STAGES.main.arn }),
    ]));
    expect(burst.filter((r) => r.status === 200)).toHaveLength(3);
    const refused = burst.filter((r) => r.status === 429);
    expect(refused).toHaveLength(7);
    expect(refused[0]!.headers.get('retry-after')).toBe('1');
    expect(refused[0]!.body).toEqual({
      error: 'rate_limit_exceeded',
      error_description: 'this client may obtain 3 tokens per second with client_credentials; retry after 1 s',
    });
    expect(otherClient.status).toBe(200);
    expect(otherGrant.status).toBe(200);
  });

  it('IVS participant tokens are limited to 50 per second per client unless configured otherwise', async () => {
    const answers = await inOneSecond(server, () => Promise.all(Array.from({ length: 60 }, () =>
      mint(server.issuer, MINTING_CLIENTS.viewerBackend, IVS_GRANT, { stage_arn: STAGES.main.arn, capabilities: 'SUBSCRIBE' }))));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(50);
    const refused = answers.filter((r) => r.status === 429);
    expect(refused).toHaveLength(10);
    expect(refused[0]!.headers.get('retry-after')).toBe('1');
    expect(refused[0]!.body).toEqual({ error: 'rate_limit_exceeded', error_description: `this client may obtain 50 tokens per second with ${IVS_GRANT}; retry after 1 s` });
  });

  it('a grant registered once the token endpoint\'s steps are installed is refused, naming them, rather than running without a rate', () => {
    expect(() => server.stagepass.provider.registerGrantType('urn:example:late-grant', async () => {})).toThrow(/urn:example:late-grant is registered after the token endpoint's steps \(store outage answered 503, token rate, reserved scopes\)/);
  });
});

describe('sign-in lockout', () => {
  const authorizationUrl = () => `${server.issuer}/auth?${new URLSearchParams({
    client_id: CLIENTS.confidential.client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
  })}`;

  /** Posts the sign-in form of the page from the given address (the server trusts X-Forwarded-For here). */
  const signIn = (user: ScriptedUser, page: Page, ip: string, username: string, password: string) => {
    const form = formsIn(page.html).find((f) => f.action.endsWith('/login'))!;
    return user.visit(new URL(form.action, page.url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
      body: new URLSearchParams({ ...form.fields, username, password }),
    });
  };

  it('after too many wrong passwords the account is locked from every address, for a period that grows', async () => {
    // The clock moves only when the test moves it, so a slow machine cannot outlast a two-second lockout.
    await server.clock.stoppedDuring(async () => {
      const user = new ScriptedUser();
      let page = await user.visit(authorizationUrl());
      for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
        page = await signIn(user, page, ip, USERS.alice.username, 'wrong password');
        expect(page.status).toBe(401);
      }
      const locked = await signIn(user, page, '192.0.2.4', USERS.alice.username, USERS.alice.password);
      expect(locked.status).toBe(429);
      expect(locked.html).toMatch(/Too many failed sign-ins. Try again in [12] seconds?\./);

      server.clock.advance(2_100);
      for (let i = 0; i < 3; i += 1) page = await signIn(user, page, '192.0.2.5', USERS.alice.username, 'still wrong');
      const lockedLonger = await signIn(user, page, '192.0.2.6', USERS.alice.username, USERS.alice.password);
      expect(lockedLonger.status).toBe(429);
      expect(lockedLonger.html).toMatch(/Try again in [34] seconds\./);

      server.clock.advance(4_100);
      const signedIn = await signIn(user, page, '192.0.2.6', USERS.alice.username, USERS.alice.password);
      expect(signedIn.status).not.toBe(429);
      expect(signedIn.html).not.toContain('Wrong username or password');
    });
  });

  it('an address that fails too often is locked out for every account; other addresses are not', async () => {
    const user = new ScriptedUser();
    let page = await user.visit(authorizationUrl());
    for (let i = 0; i < 6; i += 1) page = await signIn(user, page, '198.51.100.9', `nobody-${i}`, 'guess');
    const fromThere = await signIn(user, page, '198.51.100.9', USERS.alice.username, USERS.alice.password);
    expect(fromThere.status).toBe(429);
    const fromElsewhere = await signIn(user, page, '198.51.100.10', USERS.alice.username, USERS.alice.password);
    expect(fromElsewhere.status).toBe(200);
    expect(fromElsewhere.html).toContain('Allow access?');
  });
});

describe('device polling and the token rate', () => {
  it('many devices of one client polling in the same second are each told authorization_pending, never 429', async () => {
    const devices = await Promise.all(Array.from({ length: 8 }, () =>
      postForm(`${server.issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid' })));
    const polls = await inOneSecond(server, () => Promise.all(devices.map((device) => postForm(`${server.issuer}/token`, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: String(device.body.device_code), client_id: CLIENTS.native.client_id,
    }))));
    expect(polls.map((poll) => poll.body.error)).toEqual(Array(8).fill('authorization_pending'));
  });
});

describe('device user-code entry lockout', () => {
  const enterCode = (user: ScriptedUser, page: Page, ip: string, userCode: string) => {
    const form = formsIn(page.html).find((f) => f.action.endsWith('/device'))!;
    return user.visit(new URL(form.action, page.url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
      body: new URLSearchParams({ ...form.fields, user_code: userCode }),
    });
  };

  it('an address that enters too many unknown codes is locked out, even with a real code; other addresses are not', async () => {
    const device = await postForm(`${server.issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid' });
    const realCode = new URL(String(device.body.verification_uri_complete)).searchParams.get('user_code')!;
    const user = new ScriptedUser();
    let page = await user.visit(`${server.issuer}/device`);
    for (const guess of ['BCDF-GHJK', 'LMNP-QRST', 'VWXZ-BCDF']) {
      page = await enterCode(user, page, '203.0.113.7', guess);
      expect(page.html).toContain('That code is not valid');
    }
    const locked = await enterCode(user, page, '203.0.113.7', realCode);
    expect(locked.status).toBe(429);
    expect(locked.html).toContain('Too many codes');

    const elsewhere = new ScriptedUser();
    const entry = await elsewhere.visit(`${server.issuer}/device`);
    const confirm = await enterCode(elsewhere, entry, '203.0.113.8', realCode);
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain('Confirm the device');
  });
});

describe('request body size', () => {
  const oversized = 'x'.repeat(3000);
  const routes: [string, string][] = [
    ['POST', '/token'], ['POST', '/device/auth'], ['POST', '/reg'], ['PUT', '/reg/some-client'], ['POST', '/token/introspection'],
    ['POST', '/token/revocation'], ['POST', '/me'], ['POST', '/device'], ['POST', '/interaction/some-uid/login'],
    ['POST', '/session/end/confirm'], ['POST', '/video/sessions'], ['DELETE', '/licenses/tokens/t-1'], ['POST', '/nothing-here'],
  ];

  it.each(routes)('%s %s refuses a body over the configured limit with 413', async (method, path) => {
    const response = await fetch(`${server.issuer}${path}`, { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: oversized });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'the request body exceeds 2048 bytes' });
  });
});

describe('request body size at the AWS-compatible APIs', () => {
  const oversized = JSON.stringify({ clientName: 'x'.repeat(4096) });
  const chunked = (text: string) => new ReadableStream({ start(controller) { controller.enqueue(new TextEncoder().encode(text)); controller.close(); } });

  it.each([
    ['/aws/sso-oidc/client/register', 'InvalidRequestException'],
    ['/aws/ivs-realtime/CreateStage', 'ValidationException'],
    ['/aws/license-manager/', 'ValidationException'],
  ])('%s refuses a body over the limit in its own protocol, declared or chunked', async (path, exception) => {
    for (const body of [oversized, chunked(oversized)]) {
      const response = await fetch(`${server.issuer}${path}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body, ...(typeof body === 'string' ? {} : { duplex: 'half' }),
      } as RequestInit);
      expect(response.status).toBe(400);
      expect(response.headers.get('x-amzn-errortype')).toBe(exception);
      expect(JSON.stringify(await response.json())).toContain('the request body exceeds 2048 bytes');
    }
  });
});

describe.each([['memory', false], ['Redis', true]] as const)('lockouts as an attacker tries them (%s store)', (_store, redis) => {
  let spelled: RunningStagepass;
  beforeAll(async () => {
    spelled = await startStagepass({
      redis,
      config: {
        trustProxy: true,
        limits: {
          userCodeEntry: { maxFailuresPerIp: 3 },
          login: { maxFailuresPerAccount: 5, maxFailuresPerIp: 1000, lockoutSeconds: 60 },
        },
      },
    });
  });
  afterAll(() => spelled.close());

  const enterCodeAt = (user: ScriptedUser, page: Page, path: string, ip: string, userCode: string) => {
    const form = formsIn(page.html).find((f) => f.action.endsWith('/device'))!;
    return user.visit(`${spelled.issuer}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
      body: new URLSearchParams({ ...form.fields, user_code: userCode }),
    });
  };

  it.each(['/DEVICE', '/device/', '/Device/'])('wrong codes entered at %s are counted, and the address is then refused there and at /device', async (spelling) => {
    const device = await postForm(`${spelled.issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid' });
    const realCode = new URL(String(device.body.verification_uri_complete)).searchParams.get('user_code')!;
    const ip = `203.0.113.${spelling.length * 10 + spelling.charCodeAt(1) % 7}`;
    const user = new ScriptedUser();
    let page = await user.visit(`${spelled.issuer}/device`);
    for (const guess of ['BCDF-GHJK', 'LMNP-QRST', 'VWXZ-BCDF']) {
      page = await enterCodeAt(user, page, spelling, ip, guess);
      expect(page.html).toContain('That code is not valid');
    }
    for (const path of [spelling, '/device']) {
      const locked = await enterCodeAt(user, page, path, ip, realCode);
      expect(locked.status).toBe(429);
      expect(locked.html).toContain('Too many codes');
    }
  });

  it.each(['/DEVICE/anything', '/device/anything/', '/Device/x'])('%s without a device session sends the browser back to code entry', async (path) => {
    const response = await fetch(`${spelled.issuer}${path}`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(new URL(response.headers.get('location')!, spelled.issuer).pathname).toBe('/device');
  });

  it('of 30 wrong codes entered at once, at most 3 are looked up, and a real code entered after them is refused', async () => {
    const device = await postForm(`${spelled.issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid' });
    const realCode = new URL(String(device.body.verification_uri_complete)).searchParams.get('user_code')!;
    // Each guess from a browser session of its own, as an attacker would, so none is refused for its form.
    const attackers = await Promise.all(Array.from({ length: 30 }, async () => {
      const user = new ScriptedUser();
      return { user, page: await user.visit(`${spelled.issuer}/device`) };
    }));
    const letters = 'GHJKLMNPQRSTVWXZ';
    const guesses = await Promise.all(attackers.map(({ user, page }, i) => enterCodeAt(user, page, '/device', '203.0.113.99', `BCDF-${letters[i % 16]}${letters[Math.floor(i / 16)]}HJ`)));
    const lookedUp = guesses.filter((answer) => answer.html.includes('That code is not valid')).length;
    expect(lookedUp).toBeGreaterThan(0);
    expect(lookedUp).toBeLessThanOrEqual(3);
    expect(guesses.filter((answer) => answer.status === 429)).toHaveLength(30 - lookedUp);
    const { user, page } = attackers[0]!;
    expect((await enterCodeAt(user, page, '/device', '203.0.113.99', realCode)).status).toBe(429);
  });

  it('of 60 wrong passwords sent at once, exactly 5 are checked, and the right one sent after them is refused', async () => {
    const user = new ScriptedUser();
    const page = await user.visit(`${spelled.issuer}/auth?${new URLSearchParams({
      client_id: CLIENTS.confidential.client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    })}`);
    const form = formsIn(page.html).find((f) => f.action.endsWith('/login'))!;
    const signIn = (password: string) => user.visit(new URL(form.action, page.url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '198.51.100.77' },
      body: new URLSearchParams({ ...form.fields, username: USERS.alice.username, password }),
    });
    const burst = await Promise.all(Array.from({ length: 60 }, (_, i) => signIn(`wrong password ${i}`)));
    const checked = burst.filter((answer) => answer.status === 401).length;
    expect(checked).toBe(5);
    expect(burst.filter((answer) => answer.status === 429)).toHaveLength(60 - checked);
    const right = await signIn(USERS.alice.password);
    expect(right.status).toBe(429);
    expect(right.html).toContain('Too many failed sign-ins');
  });
});

describe.each([['memory', false], ['Redis', true]] as const)('a public client\'s token rate (%s store)', (_store, redis) => {
  let publicRate: RunningStagepass;
  beforeAll(async () => {
    publicRate = await startStagepass({ redis, config: { trustProxy: true, limits: { tokensPerSecond: { refresh_token: 3 }, failedGrantsPerSecondPerAddress: 5 } } });
  });
  afterAll(() => publicRate.close());

  it('junk refresh requests naming a public client, from one address, leave the client\'s real users elsewhere their token rate', async () => {
    const { tokens } = await authorizationCodeTokens(publicRate.issuer, 'native');
    const refresh = (refreshToken: string, ip: string) => postForm(`${publicRate.issuer}/token`, {
      grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENTS.native.client_id,
    }, { 'x-forwarded-for': ip });
    const [junk, real] = await inOneSecond(publicRate, async () => {
      const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => refresh(`junk-${i}`, '192.0.2.66')));
      return [sent, await refresh(tokens.refresh_token!, '192.0.2.67')] as const;
    });
    expect(real.status).toBe(200);
    const judged = junk.filter((answer) => answer.body.error === 'invalid_grant').length;
    expect(judged).toBeGreaterThan(0);
    expect(judged).toBeLessThanOrEqual(5);
    const refused = junk.filter((answer) => answer.status === 429);
    expect(refused).toHaveLength(20 - judged);
    expect(refused[0]!.headers.get('retry-after')).toBe('1');
    expect(refused.map((answer) => answer.body.error_description)).toContain('this client may make 5 failed requests per second with refresh_token from one address; retry after 1 s');
  });

  it('a public client\'s users, each at their own address, are together still held to the client\'s own rate', async () => {
    const grants = await Promise.all(Array.from({ length: 5 }, () => authorizationCodeTokens(publicRate.issuer, 'native')));
    const answers = await inOneSecond(publicRate, () => Promise.all(grants.map(({ tokens }, i) => postForm(`${publicRate.issuer}/token`, {
      grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: CLIENTS.native.client_id,
    }, { 'x-forwarded-for': `203.0.113.${10 + i}` }))));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(3);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused).toHaveLength(2);
    expect(refused[0]!.body.error_description).toBe('this client may obtain 3 tokens per second with refresh_token; retry after 1 s');
  });
});
