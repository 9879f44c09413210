import {
  AuthorizationPendingException,
  CreateTokenCommand,
  RegisterClientCommand,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
  type CreateTokenCommandOutput,
} from '@aws-sdk/client-sso-oidc';
import { decodeJwt } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchChromium } from '../support/browser.js';
import { sleep } from '../support/sleep.js';
import { startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';

let server: RunningStagepass;
let browser: Browser;
beforeAll(async () => {
  [server, browser] = await Promise.all([startStagepass(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** What the AWS CLI does after StartDeviceAuthorization: CreateToken every interval until the person acts. */
async function pollUntilApproved(sso: SSOOIDCClient, input: ConstructorParameters<typeof CreateTokenCommand>[0], intervalSeconds: number): Promise<CreateTokenCommandOutput> {
  for (;;) {
    await sleep(intervalSeconds * 1000);
    try {
      return await sso.send(new CreateTokenCommand(input));
    } catch (error) {
      if (!(error instanceof AuthorizationPendingException)) throw error;
    }
  }
}

describe('SSO OIDC device flow in a real browser', () => {
  it('a person approves an SSO OIDC client on the device pages while the SDK polls', async () => {
    const sso = new SSOOIDCClient({
      region: 'us-east-1',
      endpoint: `${server.issuer}/aws/sso-oidc`,
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
      maxAttempts: 1,
    });
    const { clientId, clientSecret } = await sso.send(new RegisterClientCommand({ clientName: 'Deploy Tool', clientType: 'public' }));
    const started = await sso.send(new StartDeviceAuthorizationCommand({ clientId, clientSecret, startUrl: 'https://example.awsapps.com/start' }));
    const polling = pollUntilApproved(sso, {
      clientId, clientSecret, grantType: 'urn:ietf:params:oauth:grant-type:device_code', deviceCode: started.deviceCode,
    }, started.interval!);

    const page = await (await browser.newContext()).newPage();
    await page.goto(started.verificationUriComplete!);
    await expect(page.getByLabel('Code').inputValue()).resolves.toBe(started.userCode);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByText('Deploy Tool').count()).resolves.toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Username').fill(USERS.alice.username);
    await page.getByLabel('Password').fill(USERS.alice.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Device connected');

    const tokens = await polling;
    expect(decodeJwt(tokens.idToken!).sub).toBe(USERS.alice.sub);
    expect(tokens.refreshToken).toEqual(expect.any(String));
  });
});
