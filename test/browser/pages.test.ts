import { createServer } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';

import { launchChromium } from '../support/browser.js';
import { client, relyingParty } from '../support/relying-party.js';
import { CALLBACK_PORT, REDIRECT_URI, startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';

let server: RunningStagepass;
let browser: Browser;
// The client's redirect URI answers as a real client's callback would.
const callback = createServer((_req, res) => res.end('callback received'));
beforeAll(async () => {
  [server, browser] = await Promise.all([startStagepass(), launchChromium()]);
  await new Promise<void>((resolve) => callback.listen(CALLBACK_PORT, '127.0.0.1', resolve));
});
afterAll(async () => {
  callback.close();
  await browser?.close();
  await server?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  return context.newPage();
}

async function signIn(page: Page) {
  await page.getByLabel('Username').fill(USERS.alice.username);
  await page.getByLabel('Password').fill(USERS.alice.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

describe('pages in a real browser', () => {
  it('a person completes a device flow through the pages while the device polls', async () => {
    const config = await relyingParty(server.issuer, 'native');
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access' });
    const polling = client.pollDeviceAuthorizationGrant(config, started);

    const page = await newPage();
    await page.goto(started.verification_uri_complete!);
    await expect(page.getByLabel('Code').inputValue()).resolves.toBe(started.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();

    await expect(page.locator('.code-display').textContent()).resolves.toBe(started.user_code);
    await expect(page.getByText('Living Room TV').count()).resolves.toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Continue' }).click();

    await signIn(page);
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Allow access?');
    await page.getByRole('button', { name: 'Allow' }).click();
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Device connected');

    const tokens = await polling;
    expect(tokens.claims()?.sub).toBe(USERS.alice.sub);
  });

  it('a person types the code by hand on the entry page', async () => {
    const config = await relyingParty(server.issuer, 'native');
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const page = await newPage();
    await page.goto(started.verification_uri);
    await page.getByLabel('Code').fill(started.user_code.toLowerCase());
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.locator('.code-display').textContent()).resolves.toBe(started.user_code);
  });

  it('a person signs in and consents in an authorization code flow, and the client redeems the code', async () => {
    const config = await relyingParty(server.issuer, 'confidential');
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const page = await newPage();
    await page.goto(url.href);
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Sign in');
    await signIn(page);
    await expect(page.locator('.scopes').textContent()).resolves.toContain('email');
    await Promise.all([page.waitForURL(`${REDIRECT_URI}**`), page.getByRole('button', { name: 'Allow' }).click()]);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier });
    expect(tokens.claims()?.sub).toBe(USERS.alice.sub);
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, USERS.alice.sub);
    expect(userinfo.email).toBe('alice@example.test');
  });

  it('pages load no script and no resource from outside the server', async () => {
    const page = await newPage();
    const foreign: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(server.issuer)) foreign.push(request.url());
    });
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${server.issuer}/device`);
    const background = await page.locator('button.primary').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(background).not.toBe('rgba(0, 0, 0, 0)');
    expect(foreign).toEqual([]);
    expect(violations).toEqual([]);
  });
});
