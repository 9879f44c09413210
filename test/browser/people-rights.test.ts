import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';

import { launchChromium } from '../support/browser.js';
import { GROUPS, PEOPLE, PEOPLE_APP, peopleAccounts, VIDEO_SESSION } from '../support/people.js';
import {
  ACCESS_TOKEN_TYPE, IVS_GRANT, ivsConfig, LICENSE_GRANT, LICENSES, mint, STAGES, VIDEO_GRANT, VIDEO_PROJECT,
} from '../support/minters.js';
import { client, relyingParty } from '../support/relying-party.js';
import { CLIENTS, newKeysDir, startStagepass, type RunningStagepass } from '../support/stagepass.js';

const app = PEOPLE_APP;
const SESSION = VIDEO_SESSION;
const PEOPLE_ON_TV = { host: PEOPLE.host, viewer: PEOPLE.viewer };

// One Chromium for both stores: each sign-in has a context of its own.
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe.each([['memory', false], ['Redis', true]] as const)('what a person signed in on a TV may mint, in Chromium, on the %s store', (_store, redis) => {
  let server: RunningStagepass;
  const subjectTokens: Record<keyof typeof PEOPLE_ON_TV, string> = { host: '', viewer: '' };

  /** The TV shows a code; the person enters it in the browser, signs in and allows; the TV's poll gets the person's token. */
  async function signInOnTheTv(who: keyof typeof PEOPLE_ON_TV): Promise<string> {
    const config = await relyingParty(server.issuer, 'native');
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const polling = client.pollDeviceAuthorizationGrant(config, started);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(started.verification_uri_complete!);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Username').fill(PEOPLE[who].username);
    await page.getByLabel('Password').fill(PEOPLE[who].password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Device connected');
    await context.close();
    const tokens = await polling;
    expect(tokens.claims()?.sub).toBe(PEOPLE[who].sub);
    return tokens.access_token;
  }

  beforeAll(async () => {
    const keysDir = await newKeysDir();
    const accounts = await peopleAccounts();
    server = await startStagepass({
      redis,
      keysDir,
      config: {
        ivs: ivsConfig(keysDir),
        video: VIDEO_PROJECT,
        licenses: [{ arn: LICENSES.small, maxTokens: 100 }],
        clients: [...Object.values(CLIENTS).filter((known) => known.client_id !== app.client_id), app],
        accounts,
        groups: GROUPS,
      },
    });
    subjectTokens.host = await signInOnTheTv('host');
    subjectTokens.viewer = await signInOnTheTv('viewer');
  });
  afterAll(async () => {
    await server?.close();
  });

  const asPerson = (who: keyof typeof PEOPLE_ON_TV) => ({ subject_token: subjectTokens[who], subject_token_type: ACCESS_TOKEN_TYPE });

  it('a host may PUBLISH; a viewer asking PUBLISH is denied; a viewer asking nothing gets SUBSCRIBE only', async () => {
    const host = await mint(server.issuer, app, IVS_GRANT, { stage_arn: STAGES.main.arn, capabilities: 'PUBLISH', ...asPerson('host') });
    expect(host.body.participant_token).toMatchObject({ userId: PEOPLE.host.sub, capabilities: ['PUBLISH'] });
    const refused = await mint(server.issuer, app, IVS_GRANT, { stage_arn: STAGES.main.arn, capabilities: 'PUBLISH', ...asPerson('viewer') });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'access_denied', error_description: expect.stringContaining('PUBLISH') });
    const viewer = await mint(server.issuer, app, IVS_GRANT, { stage_arn: STAGES.main.arn, ...asPerson('viewer') });
    expect(viewer.body.participant_token).toMatchObject({ userId: PEOPLE.viewer.sub, capabilities: ['SUBSCRIBE'] });
  });

  it('the same for video roles: a host gets publisher, a viewer subscriber, and a viewer asking publisher is denied', async () => {
    const video = (who: keyof typeof PEOPLE_ON_TV, role?: string) =>
      mint(server.issuer, app, VIDEO_GRANT, { session_id: SESSION, ...(role ? { role } : {}), ...asPerson(who) });
    expect((await video('host')).body.video_token).toMatchObject({ role: 'publisher' });
    expect((await video('viewer')).body.video_token).toMatchObject({ role: 'subscriber' });
    expect((await video('viewer', 'publisher')).status).toBe(403);
  });

  it('and for licenses: a host gets a seat, a viewer is denied', async () => {
    const seat = (who: keyof typeof PEOPLE_ON_TV) =>
      mint(server.issuer, app, LICENSE_GRANT, { license_arn: LICENSES.small, client_token: `${who}-tv-${Math.random()}`, ...asPerson(who) });
    expect((await seat('host')).status).toBe(200);
    const refused = await seat('viewer');
    expect(refused.status).toBe(403);
    expect(refused.body.error_description).toContain(LICENSES.small);
  });
});
