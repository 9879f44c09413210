import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { chromiumPage } from '../support/browser.js';
import { expectAnswersMatch, type LoggedAnswer, validatedDocument } from '../support/openapi.js';
import { startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';
import { authenticatorCode, secretOfUri } from '../support/totp.js';
import { addVirtualAuthenticator, type VirtualAuthenticator } from '../support/virtual-authenticator.js';

const chromium = chromiumPage();
let server: RunningStagepass;
let admin: ReturnType<typeof adminApi>;
const logged: LoggedAnswer[] = [];
/** Alice's browser's authenticator, for the whole file: the passkey she adds stays on it. */
let authenticator: VirtualAuthenticator;
/** Her authenticator app's key and recovery codes, once she set them up. */
let appSecret: string;
let recoveryCodes: string[];

beforeAll(async () => {
  server = await startStagepass({ host: 'localhost', config: { clients: CLIENTS_WITH_ADMINS } });
  admin = adminApi(server.issuer, await adminToken(server.issuer), logged);
  const page = await chromium.freshPage();
  authenticator = await addVirtualAuthenticator(page);
  // The password form is what these tests sign in with: the browser offers no passkey in its autofill.
  await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
});
afterAll(async () => {
  await authenticator?.remove();
  await server?.close();
});

/**
 * Opens /account in a fresh browser: the sign-in page first (the password, then the second step
 * `with` once alice has one), then the account page as alice.
 */
async function accountPage(secondStep: 'passkey' | 'app' | 'recovery code' = 'passkey'): Promise<Page> {
  const page = await chromium.freshPage();
  await page.goto(`${server.issuer}/account`);
  await page.getByLabel('Username').fill(USERS.alice.username);
  await page.getByLabel('Password').fill(USERS.alice.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const confirm = page.getByRole('heading', { name: 'Confirm it is you' });
  await confirm.or(page.getByText('Signed in as')).waitFor();
  if (await confirm.isVisible()) {
    if (secondStep === 'passkey') {
      await page.getByRole('button', { name: 'Use your passkey' }).click();
    } else {
      server.clock.advance(30_000);
      await page.getByLabel(/Code from your authenticator app/).fill(secondStep === 'app' ? authenticatorCode(appSecret, server.clock.now()) : recoveryCodes.pop()!);
      await page.getByRole('button', { name: 'Continue' }).click();
    }
  }
  await page.waitForURL(`${server.issuer}/account`);
  return page;
}

/** Sets up the authenticator app on the account page, reading its key from the QR code's URI as an app would; the key. */
async function setUpApp(page: Page): Promise<string> {
  await page.getByRole('button', { name: /Set up an authenticator app|Replace the authenticator app/ }).click();
  const uri = (await page.getByRole('img').getAttribute('alt'))!.replace(/^QR code of /, '');
  const secret = secretOfUri(uri);
  expect(await page.locator('[data-totp-secret]').textContent()).toBe(secret);
  await page.getByLabel('Code from the app').fill(authenticatorCode(secret, server.clock.now()));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect.poll(() => page.getByRole('status').textContent()).toBe('Authenticator app set up.');
  return secret;
}

describe('the account page', () => {
  it('is reached through the usual sign-in, and sends a browser signed in nowhere to it', async () => {
    const page = await accountPage();
    expect(await page.getByText('Signed in as').textContent()).toContain('alice');
    const anonymous = await chromium.freshPage('second person');
    await anonymous.goto(`${server.issuer}/account`);
    expect(new URL(anonymous.url()).pathname).toMatch(/^\/interaction\//);
  });

  it('adds a passkey made by the device\'s authenticator (a resident key for alice), names it, and lists it; the same answer sent again is refused', async () => {
    const page = await accountPage();
    let answer: string | undefined;
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/account/passkeys')) answer = request.postData() ?? undefined;
    });
    await page.getByLabel('New passkey\'s name').fill('Work laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Passkey "Work laptop" added.');
    // Its challenge was spent by the first answer.
    const replayed = await page.request.post(`${server.issuer}/account/passkeys`, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, data: answer });
    expect(replayed.status()).toBe(400);
    const [credential] = await authenticator.credentials();
    expect(credential).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    expect(Buffer.from(credential!.userHandle!, 'base64').toString()).toBe(USERS.alice.sub);

    await page.getByLabel('Passkey name').fill('Old laptop');
    await page.getByRole('button', { name: 'Rename' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Passkey renamed.');
    const listed = await admin.get(`/accounts/${USERS.alice.sub}/factors`);
    expect(listed.body.items).toContainEqual(expect.objectContaining({ type: 'passkey', name: 'Old laptop', last_used: null }));
  });

  it('sets up an authenticator app from its QR code, refusing a code of another key', async () => {
    const page = await accountPage();
    await page.getByRole('button', { name: /authenticator app/ }).click();
    await page.getByLabel('Code from the app').fill(authenticatorCode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', server.clock.now()));
    await page.getByRole('button', { name: 'Confirm' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('not the app\'s current one');
    const secret = await setUpApp(page);
    appSecret = secret;
    const listed = await admin.get(`/accounts/${USERS.alice.sub}/factors`);
    expect(listed.body.items).toContainEqual(expect.objectContaining({ type: 'totp', name: 'Authenticator app' }));
    expect(JSON.stringify(listed.body)).not.toContain(secret);
  });

  it('shows ten recovery codes once; the operator sees how many are left, never the codes', async () => {
    const page = await accountPage();
    await page.getByRole('button', { name: /recovery codes/ }).click();
    const codes = await page.locator('.recovery-codes code').allTextContents();
    expect(codes).toHaveLength(10);
    recoveryCodes = [...codes];
    const listed = await admin.get(`/accounts/${USERS.alice.sub}/factors`);
    expect(listed.body.items).toContainEqual(expect.objectContaining({ type: 'recovery_codes', remaining: 10 }));
    expect(JSON.stringify(listed.body)).not.toContain(codes[0]);
    await page.getByRole('link', { name: 'Done' }).click();
    expect(await page.getByText('10 of 10 unused').count()).toBe(1);
  });

  it('the operator removes a lost passkey; the last second factor left is removed only after a fresh sign-in with it', async () => {
    const passkey = (await admin.get(`/accounts/${USERS.alice.sub}/factors`)).body.items.find(({ type }: { type: string }) => type === 'passkey');
    expect((await admin.delete(`/accounts/${USERS.alice.sub}/factors/${passkey.id}`)).status).toBe(204);
    expect((await admin.delete(`/accounts/${USERS.alice.sub}/factors/${passkey.id}`)).status).toBe(404);
    expect((await admin.get('/accounts/nobody/factors')).status).toBe(404);

    // Signed in with a recovery code, not the app: the app stays.
    let page = await accountPage('recovery code');
    expect(await page.getByRole('button', { name: 'Remove Old laptop' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Remove the authenticator app' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('last second factor');
    expect((await admin.get(`/accounts/${USERS.alice.sub}/factors`)).body.items.map(({ type }: { type: string }) => type)).toContain('totp');

    page = await accountPage('app');
    await page.getByRole('button', { name: 'Remove the authenticator app' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Authenticator app removed.');
    expect((await admin.get(`/accounts/${USERS.alice.sub}/factors`)).body.items.map(({ type }: { type: string }) => type)).toEqual(['recovery_codes']);
  });

  it('refuses a form posted without the page\'s token, as from another site', async () => {
    const page = await accountPage();
    // The browser's cookies go with it, as with a form another site makes the browser post.
    const answer = (await page.request.post(`${server.issuer}/account/recovery-codes`, { form: { csrf: 'forged' } })).status();
    expect(answer).toBe(403);
  });

  it('answers every factors call as the Admin API\'s document says', async () => {
    expectAnswersMatch(await validatedDocument(server.issuer), logged);
  });
});
