import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { client, relyingParty } from '../support/relying-party.js';
import { ScriptedUser, type Page } from '../support/scripted-user.js';
import { REDIRECT_URI, startStagepass, type RunningStagepass } from '../support/stagepass.js';

const ROSA = { sub: 'sub-rosa', username: 'rosa', password: 'rosa first password' };

describe.each([
  ['memory store', false],
  ['Redis', true],
] as const)('a browser session ends when the account\'s credentials change (%s)', (_name, redis) => {
  let server: RunningStagepass;
  let admin: ReturnType<typeof adminApi>;
  let password = ROSA.password;

  beforeAll(async () => {
    server = await startStagepass({ redis, config: { clients: CLIENTS_WITH_ADMINS } });
    admin = adminApi(server.issuer, await adminToken(server.issuer));
    expect((await admin.post('/accounts', ROSA)).status).toBe(201);
  });
  afterAll(() => server?.close());

  /** An app's authorization request in the browser: the consent page when the session stands, the sign-in page otherwise. */
  async function authorize(browser: ScriptedUser): Promise<Page> {
    const config = await relyingParty(server.issuer, 'confidential');
    return browser.visit(client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', prompt: 'consent' }).href);
  }

  /**
   * A browser rosa signed in in; her session stands there (a second request goes straight to
   * consent). oidc-provider dates a sign-in to the second by the system's clock, which no test
   * moves, and a sign-in in the second of a change stands: this one waits for the next second
   * before the test changes anything.
   */
  async function signedIn(): Promise<ScriptedUser> {
    const browser = new ScriptedUser();
    const consent = await browser.submit(await authorize(browser), '/login', { username: ROSA.username, password });
    expect(consent.html).toContain('Allow access?');
    expect((await authorize(browser)).html).toContain('Allow access?');
    await new Promise((resolve) => setTimeout(resolve, 1010 - (Date.now() % 1000)));
    return browser;
  }

  const signInAsked = (page: Page) => page.html.includes('name="password"');

  it('disabled, then enabled again', async () => {
    const browser = await signedIn();
    expect((await admin.put(`/accounts/${ROSA.sub}`, { username: ROSA.username, disabled: true })).status).toBe(200);
    expect((await admin.put(`/accounts/${ROSA.sub}`, { username: ROSA.username, disabled: false })).status).toBe(200);
    expect(signInAsked(await authorize(browser))).toBe(true);
  });

  it('its password changed', async () => {
    const browser = await signedIn();
    password = 'rosa second password';
    expect((await admin.put(`/accounts/${ROSA.sub}`, { username: ROSA.username, password })).status).toBe(200);
    expect(signInAsked(await authorize(browser))).toBe(true);
    // The account page, too, takes the browser to the sign-in.
    expect(signInAsked(await browser.visit(`${server.issuer}/account`))).toBe(true);
  });

  it('deleted, and made again with the same username and subject', async () => {
    const browser = await signedIn();
    expect((await admin.delete(`/accounts/${ROSA.sub}`)).status).toBe(204);
    password = ROSA.password;
    expect((await admin.post('/accounts', ROSA)).status).toBe(201);
    expect(signInAsked(await authorize(browser))).toBe(true);
  });

  it('a factor removed by an operator', async () => {
    const browser = await signedIn();
    const codes = await browser.submit(await browser.visit(`${server.issuer}/account`), '/account/recovery-codes');
    expect(codes.html).toContain('recovery-codes');
    const [factor] = (await admin.get(`/accounts/${ROSA.sub}/factors`)).body.items;
    expect((await admin.delete(`/accounts/${ROSA.sub}/factors/${factor.id}`)).status).toBe(204);
    expect(signInAsked(await authorize(browser))).toBe(true);
  });

  it('a session signed in after the change stands', async () => {
    await signedIn();
  });
});
