import { createServer } from 'node:http';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { chromiumPage } from '../support/browser.js';
import { client, postForm, relyingParty } from '../support/relying-party.js';
import { ScriptedUser, type Page as ScriptedPage } from '../support/scripted-user.js';
import { CALLBACK_PORT, CLIENTS, REDIRECT_URI, startStagepass, type RunningStagepass } from '../support/stagepass.js';
import { authenticatorCode } from '../support/totp.js';
import { addVirtualAuthenticator, type VirtualAuthenticator } from '../support/virtual-authenticator.js';

const chromium = chromiumPage();
let server: RunningStagepass;
let admin: ReturnType<typeof adminApi>;
const STEP_MS = 30_000;
/** A person made through the Admin API, who sets up an authenticator app and recovery codes. */
const TESS = { username: 'tess', password: 'tess tests two factors' };
let tessSub: string;
let tessSecret: string;
let tessRecoveryCodes: string[];

// The app's redirect URI answers as a real app's callback would.
const callback = createServer((_req, res) => res.end('callback received'));

beforeAll(async () => {
  await new Promise<void>((resolve) => callback.listen(CALLBACK_PORT, '127.0.0.1', resolve));
  server = await startStagepass({ host: 'localhost', config: { clients: CLIENTS_WITH_ADMINS } });
  admin = adminApi(server.issuer, await adminToken(server.issuer));
  tessSub = (await admin.post('/accounts', TESS)).body.sub;
  // Tess sets up her app and recovery codes on her account page, as a browser would post its forms.
  const tess = new ScriptedUser();
  let page = await tess.visit(`${server.issuer}/account`);
  page = await tess.submit(page, '/login', TESS);
  page = await tess.submit(page, '/account/totp');
  tessSecret = /data-totp-secret>([A-Z2-7]+)</.exec(page.html)![1]!;
  page = await tess.submit(page, '/account/totp/confirm', { code: authenticatorCode(tessSecret, server.clock.now()) });
  page = await tess.submit(page, '/account/recovery-codes');
  tessRecoveryCodes = [...page.html.matchAll(/<li><code>([^<]+)<\/code>/g)].map(([, code]) => code!);
  expect(tessRecoveryCodes).toHaveLength(10);
});
afterAll(async () => {
  callback.close();
  await server?.close();
});

/** An authorization code flow of the confidential app up to the page after the password; the pieces to finish it. */
async function passwordGiven(person = TESS) {
  const config = await relyingParty(server.issuer, 'confidential');
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', state, prompt: 'consent' });
  const user = new ScriptedUser();
  const page = await user.submit(await user.visit(url.href), '/login', person);
  const finish = async (consentPage: ScriptedPage) => {
    const callback = await user.submit(consentPage, '/confirm');
    return client.authorizationCodeGrant(config, new URL(callback.url), { expectedState: state });
  };
  return { user, page, finish };
}

const introspect = async (token: string) =>
  (await postForm(`${server.issuer}/token/introspection`, { token, client_id: CLIENTS.confidential.client_id, client_secret: CLIENTS.confidential.client_secret })).body;

describe('a password and an authenticator code', () => {
  it('a person with no second factor signs in with the password alone; the ID token and introspection say so', async () => {
    const { page, finish } = await passwordGiven({ username: 'alice', password: 'correct horse battery' });
    const tokens = await finish(page);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ acr: 'urn:stagepass:acr:password', amr: ['pwd'] });
    expect(claims.auth_time).toBeGreaterThan(0);
    expect(await introspect(tokens.access_token)).toMatchObject({ active: true, acr: 'urn:stagepass:acr:password', amr: ['pwd'], auth_time: claims.auth_time });
  });

  it('after the password, the app\'s code: the ID token says mfa, pwd and otp; the same code again is refused', async () => {
    server.clock.advance(STEP_MS);
    const code = authenticatorCode(tessSecret, server.clock.now());
    const first = await passwordGiven();
    expect(first.page.html).toContain('Confirm it is you');
    const tokens = await first.finish(await first.user.submit(first.page, '/second-factor', { code }));
    expect(tokens.claims()).toMatchObject({ sub: tessSub, acr: 'urn:stagepass:acr:mfa', amr: ['pwd', 'otp', 'mfa'] });
    expect(await introspect(tokens.access_token)).toMatchObject({ acr: 'urn:stagepass:acr:mfa', amr: ['pwd', 'otp', 'mfa'] });

    const replay = await passwordGiven();
    const refused = await replay.user.submit(replay.page, '/second-factor', { code });
    expect(refused.status).toBe(401);
    expect(refused.html).toContain('That code was used already');
  });

  it('wrong codes count towards the account\'s lockout, as wrong passwords do', async () => {
    server.clock.advance(STEP_MS);
    const { user, page } = await passwordGiven();
    let answer = page;
    for (let attempt = 0; attempt < 5; attempt++) {
      answer = await user.submit(page, '/second-factor', { code: '000000' === authenticatorCode(tessSecret, server.clock.now()) ? '111111' : '000000' });
      expect(answer.status).toBe(401);
    }
    answer = await user.submit(page, '/second-factor', { code: authenticatorCode(tessSecret, server.clock.now()) });
    expect(answer.status).toBe(429);
    expect(answer.html).toContain('Too many wrong codes');
    // The password form is locked too: the account is being guessed at.
    const other = new ScriptedUser();
    const config = await relyingParty(server.issuer, 'confidential');
    const login = await other.visit(client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid' }).href);
    expect((await other.submit(login, '/login', TESS)).status).toBe(429);
    server.clock.advance(61_000);
  });

  it('a recovery code signs in once, and never again', async () => {
    const first = await passwordGiven();
    const tokens = await first.finish(await first.user.submit(first.page, '/second-factor', { code: tessRecoveryCodes[0]! }));
    expect(tokens.claims()).toMatchObject({ acr: 'urn:stagepass:acr:mfa', amr: ['pwd', 'otp', 'mfa'] });
    const again = await passwordGiven();
    const refused = await again.user.submit(again.page, '/second-factor', { code: tessRecoveryCodes[0]! });
    expect(refused.status).toBe(401);
    expect((await admin.get(`/accounts/${tessSub}/factors`)).body.items).toContainEqual(expect.objectContaining({ type: 'recovery_codes', remaining: 9 }));
  });
});

describe('passkeys in Chromium', () => {
  let authenticator: VirtualAuthenticator;
  let page: Page;

  // Alice adds a passkey on her account page; her browser's authenticator holds it.
  beforeAll(async () => {
    page = await chromium.freshPage();
    authenticator = await addVirtualAuthenticator(page);
    await page.goto(`${server.issuer}/account`);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel('New passkey\'s name').fill('Phone');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).toBe('Passkey "Phone" added.');
  });
  afterAll(() => authenticator?.remove());

  it('on the device pages, "Sign in with a passkey" signs a person in with no username; the ID token says phishing-resistant', async () => {
    // Another browser of alice's, holding the same passkey, that offers no passkeys in autofill: she presses the button.
    const other = await chromium.freshPage('second person');
    await other.addInitScript(() => {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
    const otherAuthenticator = await addVirtualAuthenticator(other);
    try {
      await otherAuthenticator.addCredential((await authenticator.credentials())[0]!);
      const config = await relyingParty(server.issuer, 'native');
      const started = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
      const polling = client.pollDeviceAuthorizationGrant(config, started);
      await other.goto(started.verification_uri_complete!);
      await other.getByRole('button', { name: 'Continue' }).click();
      await other.getByRole('button', { name: 'Continue' }).click();
      await other.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await other.getByRole('button', { name: 'Allow' }).click();
      await expect(other.getByRole('heading').textContent()).resolves.toBe('Device connected');
      const claims = (await polling).claims()!;
      expect(claims).toMatchObject({ sub: 'sub-alice', acr: 'urn:stagepass:acr:phishing-resistant' });
      expect(claims.amr).toEqual([expect.stringMatching(/^(hwk|swk)$/), 'user', 'mfa']);
    } finally {
      await otherAuthenticator.remove();
    }
  });

  it('where the browser offers passkeys in the username field\'s autofill, choosing it signs the person in', async () => {
    await page.context().clearCookies();
    const config = await relyingParty(server.issuer, 'confidential');
    const state = client.randomState();
    await page.goto(client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', state, prompt: 'consent' }).href);
    // The virtual authenticator answers the conditional request as a person picking the passkey from the list.
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    expect(await page.getByText('asks for access to your account alice').count()).toBe(1);
    const [credential] = await authenticator.credentials();
    expect(credential!.signCount).toBeGreaterThan(1);
  });

  it('after a password, the person\'s passkey is the second step, and the ID token says pwd too', async () => {
    await page.context().clearCookies();
    await page.addInitScript(() => {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
    const config = await relyingParty(server.issuer, 'confidential');
    const state = client.randomState();
    await page.goto(client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', state, prompt: 'consent' }).href);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Use your passkey' }).click();
    await Promise.all([page.waitForURL(`${REDIRECT_URI}**`), page.getByRole('button', { name: 'Allow' }).click()]);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), { expectedState: state });
    expect(tokens.claims()).toMatchObject({ acr: 'urn:stagepass:acr:phishing-resistant', amr: ['pwd', expect.stringMatching(/^(hwk|swk)$/), 'user', 'mfa'] });
  });
});
