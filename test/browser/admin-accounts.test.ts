import { createServer } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';

import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { launchChromium } from '../support/browser.js';
import { ACCESS_TOKEN_TYPE, IVS_GRANT, ivsConfig, mint, STAGES, VIDEO_GRANT, VIDEO_PROJECT } from '../support/minters.js';
import { PEOPLE_APP, VIDEO_SESSION } from '../support/people.js';
import { client, relyingParty } from '../support/relying-party.js';
import { CALLBACK_PORT, newKeysDir, REDIRECT_URI, startStagepass, type RunningStagepass } from '../support/stagepass.js';

const PRESENTER = { username: 'pia', password: 'pia presents the morning show' };
const PRESENTERS = { ivs_stage_arns: [STAGES.main.arn], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'], video_roles: ['publisher', 'subscriber'] };

let server: RunningStagepass;
let browser: Browser;
let admin: ReturnType<typeof adminApi>;
// The app's redirect URI answers as a real app's callback would.
const callback = createServer((_req, res) => res.end('callback received'));

beforeAll(async () => {
  const keysDir = await newKeysDir();
  [server, browser] = await Promise.all([
    startStagepass({
      keysDir,
      config: {
        clients: [...CLIENTS_WITH_ADMINS.filter(({ client_id }) => client_id !== PEOPLE_APP.client_id), PEOPLE_APP],
        // Nobody in the configuration file: the only person is the one the API makes.
        accounts: [],
        ivs: ivsConfig(keysDir),
        video: VIDEO_PROJECT,
      },
    }),
    launchChromium(),
    new Promise<void>((resolve) => callback.listen(CALLBACK_PORT, '127.0.0.1', resolve)),
  ]);
  admin = adminApi(server.issuer, await adminToken(server.issuer));
});
afterAll(async () => {
  callback.close();
  await browser?.close();
  await server?.close();
});

/** The app's code flow with PKCE, the person signing in and allowing in Chromium; the tokens, or the page's error when sign-in fails. */
async function signInInChromium(): Promise<{ tokens?: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers; error?: string | null }> {
  const config = await relyingParty(server.issuer, 'native');
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI, scope: 'openid offline_access groups', prompt: 'consent', state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const page = await (await browser.newContext()).newPage();
  await page.goto(url.href);
  await page.getByLabel('Username').fill(PRESENTER.username);
  await page.getByLabel('Password').fill(PRESENTER.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const alert = page.getByRole('alert');
  const allow = page.getByRole('button', { name: 'Allow' });
  await alert.or(allow).waitFor();
  if (await alert.isVisible()) return { error: await alert.textContent() };
  await Promise.all([page.waitForURL(`${REDIRECT_URI}**`), allow.click()]);
  return { tokens: await client.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state }) };
}

describe('an account and a group made through the Admin API, the person signing in in Chromium', () => {
  let sub: string;
  let signedIn: Awaited<ReturnType<typeof signInInChromium>>['tokens'];
  const asPerson = () => ({ subject_token: signedIn!.access_token, subject_token_type: ACCESS_TOKEN_TYPE });
  const ivs = (stage: string, capabilities: string) => mint(server.issuer, PEOPLE_APP, IVS_GRANT, { stage_arn: stage, capabilities, ...asPerson() });
  const video = (role: string) => mint(server.issuer, PEOPLE_APP, VIDEO_GRANT, { session_id: VIDEO_SESSION, role, ...asPerson() });

  beforeAll(async () => {
    expect((await admin.put('/groups/presenters', PRESENTERS)).status).toBe(201);
    const created = await admin.post('/accounts', { ...PRESENTER, claims: { name: 'Pia Presenter' }, groups: ['presenters'] });
    expect(created.status).toBe(201);
    sub = created.body.sub;
    signedIn = (await signInInChromium()).tokens;
  });

  it('signs in on the pages and the app gets the person\'s tokens, groups included', () => {
    expect(signedIn?.claims()).toMatchObject({ sub, groups: ['presenters'] });
    expect(signedIn?.refresh_token).toBeTruthy();
  });

  it('mints by the group\'s rights: PUBLISH on its stage and a publisher video role, nothing beyond', async () => {
    const published = await ivs(STAGES.main.arn, 'PUBLISH');
    expect(published.status).toBe(200);
    expect(published.body.participant_token).toMatchObject({ userId: sub, capabilities: ['PUBLISH'] });
    expect((await video('publisher')).body.video_token).toMatchObject({ role: 'publisher' });
    const otherStage = await ivs(STAGES.backstage.arn, 'SUBSCRIBE');
    expect(otherStage.status).toBe(403);
    expect(otherStage.body.error).toBe('access_denied');
    const moderator = await video('moderator');
    expect(moderator.status).toBe(403);
    expect(moderator.body.error_description).toContain('moderator');
  });

  it('disabled through the API, every token of it is refused and the person cannot sign in again', async () => {
    const config = await relyingParty(server.issuer, 'native');
    expect((await admin.put(`/accounts/${sub}`, { username: PRESENTER.username, groups: ['presenters'], disabled: true })).status).toBe(200);

    const minted = await ivs(STAGES.main.arn, 'SUBSCRIBE');
    expect(minted.status).toBe(400);
    expect(minted.body.error).toBe('invalid_grant');
    await expect(client.fetchUserInfo(config, signedIn!.access_token, sub)).rejects.toMatchObject({ status: 401 });
    await expect(client.refreshTokenGrant(config, signedIn!.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(signInInChromium()).resolves.toEqual({ error: 'Wrong username or password.' });
  });
});
