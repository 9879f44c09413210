import { client, relyingParty } from './relying-party.js';
import { ScriptedUser } from './scripted-user.js';
import { CLIENTS, REDIRECT_URI, USERS } from './stagepass.js';

/** Signs alice in and approves the client; returns the URL the browser is sent back to. */
export async function signInAndApprove(user: ScriptedUser, authorizationUrl: string, { deny = false } = {}): Promise<string> {
  let page = await user.visit(authorizationUrl);
  if (page.html.includes('name="password"')) {
    page = await user.submit(page, '/login', { username: USERS.alice.username, password: USERS.alice.password });
  }
  if (page.url.startsWith(REDIRECT_URI)) return page.url;
  page = await user.submit(page, deny ? '/abort' : '/confirm');
  if (!page.url.startsWith(REDIRECT_URI)) throw new Error(`expected a redirect to the client, got ${page.status} at ${page.url}`);
  return page.url;
}

/** A complete authorization code flow with PKCE as the named client; returns its tokens. */
export async function authorizationCodeTokens(issuer: string, name: 'confidential' | 'native', scope = 'openid offline_access profile email') {
  const config = await relyingParty(issuer, name);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    prompt: 'consent',
  });
  const callback = await signInAndApprove(new ScriptedUser(), url.href);
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
  return { config, tokens, clientId: CLIENTS[name].client_id };
}

/** The person's side of the device flow, from verification_uri_complete to the last page. */
export async function approveDevice(
  user: ScriptedUser,
  verificationUriComplete: string,
  { cancelAt }: { cancelAt?: 'confirm' | 'consent' } = {},
) {
  const entry = await user.visit(verificationUriComplete);
  const confirm = await user.submit(entry, '/device');
  if (cancelAt === 'confirm') return user.submit(confirm, '/device', {}, 'abort');
  let page = await user.submit(confirm, '/device', {}, 'confirm');
  if (page.html.includes('name="password"')) {
    page = await user.submit(page, '/login', { username: USERS.alice.username, password: USERS.alice.password });
  }
  return user.submit(page, cancelAt === 'consent' ? '/abort' : '/confirm');
}
