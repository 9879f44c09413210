import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { chromiumPage } from '../support/browser.js';
import { PEOPLE, peopleAccounts } from '../support/people.js';
import { startStagepass, type RunningStagepass } from '../support/stagepass.js';

const chromium = chromiumPage();
let server: RunningStagepass;

beforeAll(async () => {
  server = await startStagepass({
    host: 'localhost',
    redis: true,
    config: {
      accounts: await peopleAccounts(),
      limits: { factorChangesPerMinutePerAccount: 2, factorChangesPerMinutePerAddress: 3 },
    },
  });
});
afterAll(async () => {
  await server?.close();
});

/** The account page of a person with a password only, signed in in their own browser. */
async function accountPage(person: { username: string; password: string }, browser: 'first person' | 'second person'): Promise<Page> {
  const page = await chromium.freshPage(browser);
  await page.goto(`${server.issuer}/account`);
  await page.getByLabel('Username').fill(person.username);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${server.issuer}/account`);
  return page;
}

/** Posts one of the account page's forms as the page would, with its token; the answer's status, Retry-After and notice. */
async function post(page: Page, path: string, fields: Record<string, string> = {}) {
  const csrf = (await page.locator('input[name=csrf]').first().getAttribute('value'))!;
  const answer = await page.request.post(`${server.issuer}/account${path}`, { form: { csrf, ...fields }, maxRedirects: 0 });
  const notice = /Too many changes to your sign-in methods\. Try again in [^.<]+\./.exec(await answer.text())?.[0];
  return { status: answer.status(), retryAfter: answer.headers()['retry-after'], notice };
}

describe('changes to sign-in methods on the account page', () => {
  it('are limited per person: past the rate every form (a passkey added, named or removed, an app, recovery codes) is answered 429 until the minute is over', async () => {
    const page = await accountPage(PEOPLE.host, 'first person');
    expect((await post(page, '/recovery-codes')).status).toBe(200);
    expect((await post(page, '/recovery-codes')).status).toBe(200);
    const refused = await Promise.all([
      post(page, '/passkeys', { name: 'Mine now', response: '{}' }),
      post(page, '/passkeys/some-passkey/name', { name: 'Renamed' }),
      post(page, '/factors/some-factor/remove'),
      post(page, '/totp'),
      post(page, '/recovery-codes'),
    ]);
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(Number(answer.retryAfter)).toBeGreaterThan(0);
      expect(answer.notice).toMatch(/^Too many changes to your sign-in methods\. Try again in /);
    }
    server.clock.advance(60_000);
    expect((await post(page, '/recovery-codes')).status).toBe(200);
  });

  it('are limited per address: a second person changing theirs from the same address is refused once the address is past its rate', async () => {
    server.clock.advance(60_000);
    const host = await accountPage(PEOPLE.host, 'first person');
    const viewer = await accountPage(PEOPLE.viewer, 'second person');
    expect((await post(host, '/recovery-codes')).status).toBe(200);
    expect((await post(host, '/recovery-codes')).status).toBe(200);
    expect((await post(viewer, '/recovery-codes')).status).toBe(200);
    const refused = await post(viewer, '/totp');
    expect(refused.status).toBe(429);
    expect(refused.notice).toBeDefined();
  });
});
