import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GROUPS, PEOPLE, PEOPLE_APP, peopleAccounts } from '../support/people.js';
import { ACCESS_TOKEN_TYPE, IVS_GRANT, ivsConfig, LICENSES, mint, STAGES, VIDEO_PROJECT } from '../support/minters.js';
import { client, relyingParty } from '../support/relying-party.js';
import { ScriptedUser } from '../support/scripted-user.js';
import { CLIENTS, newKeysDir, REDIRECT_URI, startStagepass, type RunningStagepass } from '../support/stagepass.js';
import { authenticatorCode } from '../support/totp.js';

const MFA = 'urn:stagepass:acr:mfa';
/** The hosts' rights, PUBLISH among them, need a sign-in with two factors within 15 minutes. */
const STRONG_GROUPS = { ...GROUPS, hosts: { ...GROUPS.hosts, requires: { acr: MFA, maxAgeSeconds: 900 } } };

describe.each([['memory', false], ['Redis', true]] as const)('rights that require a strong, recent sign-in (%s store)', (_name, redis) => {
  let server: RunningStagepass;
  /** Hana's browser: signed in with her password alone, then she set up an authenticator app. */
  let hana: ScriptedUser;
  let secret: string;

  beforeAll(async () => {
    const keysDir = await newKeysDir();
    server = await startStagepass({
      redis, keysDir,
      config: {
        ivs: ivsConfig(keysDir),
        video: VIDEO_PROJECT,
        licenses: [{ arn: LICENSES.small, maxTokens: 10 }],
        clients: [...Object.values(CLIENTS).filter(({ client_id }) => client_id !== PEOPLE_APP.client_id), PEOPLE_APP],
        accounts: await peopleAccounts(),
        groups: STRONG_GROUPS,
      },
    });
    hana = new ScriptedUser();
    let page = await hana.submit(await hana.visit(`${server.issuer}/account`), '/login', { username: PEOPLE.host.username, password: PEOPLE.host.password });
    page = await hana.submit(page, '/account/totp');
    secret = /data-totp-secret>([A-Z2-7]+)</.exec(page.html)![1]!;
    await hana.submit(page, '/account/totp/confirm', { code: authenticatorCode(secret, server.clock.now()) });
  });
  afterAll(() => server?.close());

  /** The app's code flow with PKCE in hana's browser (`parameters` added to the request), answering a second step if asked. */
  async function signIn(parameters: Record<string, string> = {}) {
    const config = await relyingParty(server.issuer, 'native');
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid groups', state, prompt: 'consent',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...parameters,
    });
    let page = await hana.visit(url.href);
    if (page.html.includes('stronger sign-in')) {
      server.clock.advance(30_000);
      page = await hana.submit(page, '/second-factor', { code: authenticatorCode(secret, server.clock.now()) });
    }
    const callback = await hana.submit(page, '/confirm');
    return client.authorizationCodeGrant(config, new URL(callback.url), { pkceCodeVerifier: verifier, expectedState: state });
  }

  const publish = (accessToken: string) => mint(server.issuer, PEOPLE_APP, IVS_GRANT, {
    stage_arn: STAGES.main.arn, capabilities: 'PUBLISH', subject_token: accessToken, subject_token_type: ACCESS_TOKEN_TYPE,
  });

  it('a host signed in with a password alone is answered as RFC 9470 says for PUBLISH, and may still SUBSCRIBE', async () => {
    const tokens = await signIn();
    expect(tokens.claims()?.acr).toBe('urn:stagepass:acr:password');
    const refused = await publish(tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('insufficient_user_authentication');
    expect(refused.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_user_authentication", error_description="a stronger or more recent sign-in is required", acr_values="${MFA}", max_age=900`,
    );
    const subscribed = await mint(server.issuer, PEOPLE_APP, IVS_GRANT, {
      stage_arn: STAGES.main.arn, capabilities: 'SUBSCRIBE', subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN_TYPE,
    });
    expect(subscribed.status).toBe(200);
  });

  it('the app steps up with the acr_values and max_age it was told; the retried mint succeeds', async () => {
    const refused = await publish((await signIn()).access_token);
    const challenge = refused.headers.get('www-authenticate')!;
    const acrValues = /acr_values="([^"]+)"/.exec(challenge)![1]!;
    const maxAge = /max_age=(\d+)/.exec(challenge)![1]!;
    const stepped = await signIn({ acr_values: acrValues, max_age: maxAge });
    expect(stepped.claims()).toMatchObject({ acr: MFA, amr: ['pwd', 'otp', 'mfa'] });
    const published = await publish(stepped.access_token);
    expect(published.status).toBe(200);
  });

  it('a person in no group that requires it is refused PUBLISH as before: access_denied, not a step-up', async () => {
    const viewer = new ScriptedUser();
    const config = await relyingParty(server.issuer, 'native');
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid', prompt: 'consent', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const consent = await viewer.submit(await viewer.visit(url.href), '/login', { username: PEOPLE.viewer.username, password: PEOPLE.viewer.password });
    const tokens = await client.authorizationCodeGrant(config, new URL((await viewer.submit(consent, '/confirm')).url), { pkceCodeVerifier: verifier });
    const refused = await publish(tokens.access_token);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('access_denied');
  });
});
