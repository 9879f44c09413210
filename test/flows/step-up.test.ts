import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { client, relyingParty } from '../support/relying-party.js';
import { ScriptedUser } from '../support/scripted-user.js';
import { REDIRECT_URI, startStagepass, type RunningStagepass } from '../support/stagepass.js';
import { authenticatorCode } from '../support/totp.js';

const SAM = { username: 'sam', password: 'sam steps up when asked' };
const MFA = 'urn:stagepass:acr:mfa';
const PHISHING_RESISTANT = 'urn:stagepass:acr:phishing-resistant';

describe.each([
  ['memory store', false],
  ['Redis', true],
] as const)('an app asking for a stronger or more recent sign-in (%s)', (_name, redis) => {
  let server: RunningStagepass;
  let sam: ScriptedUser;
  let secret: string;

  // Sam signs in with his password alone, then sets up an authenticator app: his browser's session stays a password sign-in.
  beforeAll(async () => {
    server = await startStagepass({ redis, config: { clients: CLIENTS_WITH_ADMINS } });
    const admin = adminApi(server.issuer, await adminToken(server.issuer));
    expect((await admin.post('/accounts', SAM)).status).toBe(201);
    sam = new ScriptedUser();
    let page = await sam.submit(await sam.visit(`${server.issuer}/account`), '/login', SAM);
    page = await sam.submit(page, '/account/totp');
    secret = /data-totp-secret>([A-Z2-7]+)</.exec(page.html)![1]!;
    await sam.submit(page, '/account/totp/confirm', { code: authenticatorCode(secret, server.clock.now()) });
  });
  afterAll(() => server?.close());

  /** The confidential app's authorization request with `parameters`, as sam's browser follows it. */
  async function authorize(parameters: Record<string, string>) {
    const config = await relyingParty(server.issuer, 'confidential');
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', state, prompt: 'consent', ...parameters });
    const redeem = (callback: string) => client.authorizationCodeGrant(config, new URL(callback), { expectedState: state });
    return { page: await sam.visit(url.href), redeem };
  }

  it('acr_values asking for mfa: a person signed in with a password is asked for the missing step only, and the ID token says mfa', async () => {
    const { page, redeem } = await authorize({ acr_values: MFA });
    expect(page.html).toContain('This app asks for a stronger sign-in');
    expect(page.html).not.toContain('name="password"');
    server.clock.advance(30_000);
    const consent = await sam.submit(page, '/second-factor', { code: authenticatorCode(secret, server.clock.now()) });
    const tokens = await redeem((await sam.submit(consent, '/confirm')).url);
    expect(tokens.claims()).toMatchObject({ acr: MFA, amr: ['pwd', 'otp', 'mfa'] });
  });

  it('a session that meets the acr asked for is not asked again', async () => {
    const { page, redeem } = await authorize({ acr_values: MFA });
    expect(page.html).toContain('Allow access?');
    expect((await redeem((await sam.submit(page, '/confirm')).url)).claims()).toMatchObject({ acr: MFA });
  });

  it('an essential acr the person cannot give ends with unmet_authentication_requirements at the app', async () => {
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: [PHISHING_RESISTANT] } } });
    const { page } = await authorize({ claims });
    const answer = new URL(page.url);
    expect(answer.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(answer.searchParams.get('error_description')).toContain(PHISHING_RESISTANT);
  });

  it('the same acr asked for without essential: the sign-in the person has goes on, and the ID token says which it is', async () => {
    const { page, redeem } = await authorize({ acr_values: PHISHING_RESISTANT });
    expect(page.html).toContain('Allow access?');
    expect((await redeem((await sam.submit(page, '/confirm')).url)).claims()).toMatchObject({ acr: MFA });
  });

  it('max_age shorter than the sign-in\'s age asks for the sign-in again', async () => {
    // oidc-provider dates sign-ins by the system's clock, in whole seconds, which no test moves.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const { page } = await authorize({ max_age: '1' });
    expect(page.html).toContain('name="password"');
  });
});
