import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Page } from 'playwright-core';

import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { chromiumPage } from '../support/browser.js';
import { client, postForm, relyingParty } from '../support/relying-party.js';
import { ScriptedUser } from '../support/scripted-user.js';
import { answerClientCallbacks, REDIRECT_URI, type RunningStagepass } from '../support/stagepass.js';
import { upstreamPeople, type RunningUpstream } from '../support/upstream-idp.js';
import { authorizationUrl, signInUpstream, startBoth, storedAccount } from '../support/upstream-sign-in.js';

// Each sign-in starts on a page as a new browser would show it: no cookies here nor upstream.
const { freshPage } = chromiumPage();
answerClientCallbacks();

describe.each([
  ['memory store', { redis: false }],
  ['Redis', { redis: true }],
] as const)('sign-in through an upstream OpenID Connect provider (%s)', (_name, store) => {
  let server: RunningStagepass;
  let upstream: RunningUpstream;
  beforeAll(async () => {
    const both = await startBoth(store, { config: { clients: CLIENTS_WITH_ADMINS }, provider: { trustEmail: true } });
    server = both.server;
    upstream = both.upstream!;
  });
  afterAll(async () => {
    await upstream?.close();
    await server?.close();
  });

  it('a relying party\'s code flow with PKCE signs carol in through "Sign in with Corp" as corp:carol, her groups mapped', async () => {
    const { config, url, redeem } = await authorizationUrl(server.issuer);
    const page = await freshPage();
    await page.goto(url.href);
    await expect(page.getByLabel('Password').count()).resolves.toBe(1);
    await signInUpstream(page, upstream);
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Allow access?');
    await expect(page.locator('main, body').first().textContent()).resolves.toContain('carol@corp.example');
    await Promise.all([page.waitForURL(`${REDIRECT_URI}**`), page.getByRole('button', { name: 'Allow' }).click()]);

    const tokens = await redeem(page.url());
    expect(tokens.claims()).toMatchObject({ sub: 'corp:carol', groups: ['crew', 'accounting'], acr: 'urn:stagepass:acr:password' });
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, 'corp:carol');
    expect(userinfo).toMatchObject({ sub: 'corp:carol', name: 'Carol Upstream', email: 'carol@corp.example', email_verified: true });
    const account = await storedAccount(server, 'corp:carol');
    expect(account).toMatchObject({ sub: 'corp:carol', provider: 'corp', groups: ['crew', 'accounting'] });
  });

  it('a group removed upstream is gone at the next sign-in', async () => {
    upstream.people.carol.groups = ['stage-crew'];
    try {
      const { url, redeem } = await authorizationUrl(server.issuer);
      const page = await freshPage();
      await page.goto(url.href);
      await signInUpstream(page, upstream);
      await Promise.all([page.waitForURL(`${REDIRECT_URI}**`), page.getByRole('button', { name: 'Allow' }).click()]);
      expect((await redeem(page.url())).claims()?.groups).toEqual(['crew']);
      expect((await storedAccount(server, 'corp:carol'))?.groups).toEqual(['crew']);
    } finally {
      upstream.people.carol.groups = ['stage-crew', 'finance', 'visitors'];
    }
  });

  it('a device flow is approved by a person signed in through the upstream', async () => {
    const config = await relyingParty(server.issuer, 'native');
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access' });
    const polling = client.pollDeviceAuthorizationGrant(config, started);
    const page = await freshPage();
    await page.goto(started.verification_uri_complete!);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await signInUpstream(page, upstream);
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Allow access?');
    await page.getByRole('button', { name: 'Allow' }).click();
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Device connected');
    const tokens = await polling;
    expect(tokens.claims()?.sub).toBe('corp:carol');
  });

  it('the upstream answering access_denied gives a page saying so, not a server error', async () => {
    const { url } = await authorizationUrl(server.issuer);
    const page = await freshPage();
    await page.goto(url.href);
    await Promise.all([page.waitForURL(`${upstream.issuer}/**`), page.getByRole('link', { name: 'Sign in with Corp' }).click()]);
    const answer = page.waitForResponse((response) => response.url().startsWith(`${server.issuer}/login/corp/callback`));
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
    expect((await answer).status()).toBe(403);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Corp did not sign you in');
  });

  it('disabled through the Admin API, the person is refused at the next sign-in with a page saying so', async () => {
    const admin = adminApi(server.issuer, await adminToken(server.issuer));
    const signIn = async () => {
      const { url } = await authorizationUrl(server.issuer);
      const page = await freshPage();
      await page.goto(url.href);
      await signInUpstream(page, upstream);
      return page;
    };
    await expect((await signIn()).getByRole('heading').textContent()).resolves.toBe('Allow access?');
    const listed = await admin.get('/accounts');
    expect(listed.body.items).toContainEqual(expect.objectContaining({ sub: 'corp:carol', source: 'upstream:corp', groups: ['crew', 'accounting'] }));

    expect((await admin.put('/accounts/corp%3Acarol', { disabled: true })).body.disabled).toBe(true);
    const refused = await signIn();
    await expect(refused.getByRole('heading').textContent()).resolves.toBe('Sign-in did not succeed');
    await expect(refused.getByRole('alert').textContent()).resolves.toContain('This account is disabled here');

    // Enabled again for the tests after this one, which sign carol in.
    expect((await admin.put('/accounts/corp%3Acarol', { disabled: false })).body.disabled).toBe(false);
  });

  /**
   * The attacker starts a sign-in of his own, stops at the upstream's sign-in link and sends it to
   * the victim; she signs in at Corp and Corp sends her browser back to stagepass.
   */
  async function victimFollowsAttackersLink(attacker: Page) {
    const upstreamRequest = attacker.waitForRequest((request) => request.url().startsWith(`${upstream.issuer}/auth?`));
    await attacker.route(`${upstream.issuer}/**`, (route) => route.abort());
    await attacker.getByRole('link', { name: 'Sign in with Corp' }).click().catch(() => undefined);
    const link = (await upstreamRequest).url();

    const victim = await freshPage('second person');
    await victim.goto(link);
    const callback = victim.waitForResponse((response) => response.url().startsWith(`${server.issuer}/login/corp/callback`));
    await victim.locator('input[name=login]').fill('carol');
    await victim.locator('input[name=password]').fill('any password');
    await victim.getByRole('button', { name: 'Sign-in' }).click();
    await victim.getByRole('button', { name: 'Continue' }).click();
    return { victim, callback: await callback };
  }

  it('an attacker\'s "Sign in with Corp" link followed by someone else signs nobody in: she gets a page saying so, his code flow stays signed out', async () => {
    const { url } = await authorizationUrl(server.issuer);
    const attacker = await freshPage();
    await attacker.goto(url.href);
    const interactionUid = new URL(attacker.url()).pathname.split('/')[2];
    const { victim, callback } = await victimFollowsAttackersLink(attacker);

    expect(callback.status()).toBe(400);
    await expect(victim.getByRole('alert').textContent()).resolves.toContain('did not start in this browser');
    // The attacker resumes his interaction: it has no sign-in, so he is asked to sign in again.
    await attacker.unrouteAll();
    await attacker.goto(`${server.issuer}/auth/${interactionUid}`);
    await expect(attacker.getByRole('heading').textContent()).resolves.toBe('Sign in');
    await expect(attacker.locator('body').textContent()).resolves.not.toContain('carol');
  });

  it('an attacker\'s link from a device flow followed by someone else approves nothing: his device gets no tokens', async () => {
    const config = await relyingParty(server.issuer, 'native');
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access' });
    const attacker = await freshPage();
    await attacker.goto(started.verification_uri_complete!);
    await attacker.getByRole('button', { name: 'Continue' }).click();
    await attacker.getByRole('button', { name: 'Continue' }).click();
    const interactionUid = new URL(attacker.url()).pathname.split('/')[2];
    const { victim, callback } = await victimFollowsAttackersLink(attacker);

    expect(callback.status()).toBe(400);
    await expect(victim.getByRole('alert').textContent()).resolves.toContain('did not start in this browser');
    await attacker.unrouteAll();
    await attacker.goto(`${server.issuer}/device/${interactionUid}`);
    await expect(attacker.getByRole('heading').textContent()).resolves.toBe('Sign in');
    const poll = await postForm(`${server.issuer}/token`, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: started.device_code, client_id: 'native-app',
    });
    expect(poll.body.error).toBe('authorization_pending');
  });

  it('the browser that started the sign-in still finishes it after a stranger tried the same link', async () => {
    const { url, redeem } = await authorizationUrl(server.issuer);
    const page = await freshPage();
    await page.goto(url.href);
    const upstreamLink = page.waitForRequest((request) => request.url().startsWith(`${upstream.issuer}/auth?`));
    await Promise.all([page.waitForURL(`${upstream.issuer}/**`), page.getByRole('link', { name: 'Sign in with Corp' }).click()]);
    const stranger = await freshPage('second person');
    const callbackUrl = new URL(`${server.issuer}/login/corp/callback`);
    callbackUrl.searchParams.set('code', 'code-of-nobody');
    callbackUrl.searchParams.set('state', new URL((await upstreamLink).url()).searchParams.get('state')!);
    expect((await stranger.goto(callbackUrl.href))?.status()).toBe(400);

    await page.locator('input[name=login]').fill('carol');
    await page.locator('input[name=password]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Allow access?');
    await Promise.all([page.waitForURL(`${REDIRECT_URI}**`), page.getByRole('button', { name: 'Allow' }).click()]);
    expect((await redeem(page.url())).claims()?.sub).toBe('corp:carol');
  });

  it('a callback whose state matches no sign-in is refused with a page', async () => {
    const page = await freshPage();
    const response = await page.goto(`${server.issuer}/login/corp/callback?code=forged-code&state=${client.randomState()}`);
    expect(response?.status()).toBe(400);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not in progress');
  });

  it('a forged code under a real state is refused by the upstream and answered with a page', async () => {
    const { url } = await authorizationUrl(server.issuer);
    const page = await freshPage();
    const authorizationRequest = page.waitForRequest((request) => request.url().startsWith(`${upstream.issuer}/auth?`));
    await page.goto(url.href);
    await page.getByRole('link', { name: 'Sign in with Corp' }).click();
    const state = new URL((await authorizationRequest).url()).searchParams.get('state');
    const response = await page.goto(`${server.issuer}/login/corp/callback?code=forged-code&state=${state}&iss=${encodeURIComponent(upstream.issuer)}`);
    expect(response?.status()).toBe(400);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('did not accept this sign-in');
  });

  it('a replayed callback is refused with a page', async () => {
    const { url } = await authorizationUrl(server.issuer);
    const page = await freshPage();
    let callbackUrl = '';
    page.on('request', (request) => {
      if (request.url().startsWith(`${server.issuer}/login/corp/callback`)) callbackUrl = request.url();
    });
    await page.goto(url.href);
    await signInUpstream(page, upstream);
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Allow access?');
    const replay = await page.goto(callbackUrl);
    expect(replay?.status()).toBe(400);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not in progress');
  });
});

describe('an upstream sign-in behind a TLS-terminating proxy (trustProxy)', () => {
  it('ties the browser with a __Host- cookie, which a sibling domain cannot plant, and finishes with it', async () => {
    const { server, upstream, redirectUri } = await startBoth({ redis: false }, { config: { trustProxy: true } });
    const overHttps = { headers: { 'x-forwarded-proto': 'https' } };
    try {
      const { url } = await authorizationUrl(server.issuer);
      const user = new ScriptedUser();
      const signInPage = await user.visit(url.href, overHttps);
      const uid = new URL(signInPage.url).pathname.split('/')[2];
      const atUpstream = await user.visit(`${server.issuer}/interaction/${uid}/upstream/corp`, overHttps);
      const state = new URL(atUpstream.url).searchParams.get('state');
      const binding = user.cookiesSet.find((cookie) => cookie.startsWith(`__Host-stagepass.upstream.${state}=`));
      const attributes = binding!.toLowerCase().split('; ').slice(1);
      expect(attributes).toEqual(expect.arrayContaining(['path=/', 'secure', 'httponly', 'samesite=lax']));
      expect(attributes.some((attribute) => attribute.startsWith('domain='))).toBe(false);

      const loginPage = await user.visit(atUpstream.url);
      // The upstream's development pages post each form back to the page's own address.
      const consentPage = await user.submit(loginPage, new URL(loginPage.url).pathname, { login: 'carol', password: 'any password' });
      const backAtStagepass = await user.submit(consentPage, new URL(consentPage.url).pathname);
      expect(backAtStagepass.url.startsWith(redirectUri)).toBe(true);
      const resumed = await user.visit(backAtStagepass.url, overHttps);
      expect(resumed.html).toContain('Allow access?');
      expect(user.cookiesSet.some((cookie) => cookie.startsWith(`__Host-stagepass.upstream.${state}=;`))).toBe(true);
    } finally {
      await upstream!.close();
      await server.close();
    }
  });
});


describe('how a person signed in upstream, in the ID token', () => {
  const people = upstreamPeople();
  people.carol.signedInWith = { acr: 'urn:stagepass:acr:mfa', amr: ['pwd', 'otp'] };

  /** Carol's ID token from a relying party's code flow, signed in upstream with a password and a code. */
  async function carolsIdToken(trustAuthenticationContext: boolean) {
    const { server, upstream } = await startBoth({ redis: true }, { provider: { trustAuthenticationContext }, people });
    try {
      const { url, redeem } = await authorizationUrl(server.issuer);
      const page = await freshPage();
      await page.goto(url.href);
      await signInUpstream(page, upstream!);
      await Promise.all([page.waitForURL(`${REDIRECT_URI}**`), page.getByRole('button', { name: 'Allow' }).click()]);
      return (await redeem(page.url())).claims();
    } finally {
      await upstream?.close();
      await server.close();
    }
  }

  it('says what the upstream asserted (acr, amr) when its provider is trusted for it', async () => {
    expect(await carolsIdToken(true)).toMatchObject({ sub: 'corp:carol', acr: 'urn:stagepass:acr:mfa', amr: ['pwd', 'otp'] });
  });

  it('says a password, whatever the upstream asserted, when its provider is not', async () => {
    const claims = await carolsIdToken(false);
    expect(claims).toMatchObject({ sub: 'corp:carol', acr: 'urn:stagepass:acr:password' });
    expect(claims?.amr).toBeUndefined();
  });
});
