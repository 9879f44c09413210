import { client, relyingParty } from './relying-party.js';
import { ScriptedUser } from './scripted-user.js';
import { CLIENTS, REDIRECT_URI, USERS } from './stagepass.js';

type Person = { username: string; password: string };

/** Signs a person (alice unless named) in and approves the client; returns the URL the browser is sent back to. */
export async function signInAndApprove(
  user: ScriptedUser,
  authorizationUrl: string,
  { deny = false, as = USERS.alice as Person } = {},
): Promise<string> {
  let page = await user.visit(authorizationUrl);
  if (page.html.includes('name="password"')) {
    page = await user.submit(page, '/login', { username: as.username, password: as.password });
  }
  if (page.url.startsWith(REDIRECT_URI)) return page.url;
  page = await user.submit(page, deny ? '/abort' : '/confirm');
  if (!page.url.startsWith(REDIRECT_URI)) throw new Error(`expected a redirect to the client, got ${page.status} at ${page.url}`);
  return page.url;
}

/** Signs in on the pages through the confidential client; true when the pages took the password and the flow went on to the client. */
export async function passwordTaken(issuer: string, username: string, password: string): Promise<boolean> {
  const config = await relyingParty(issuer, 'confidential');
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI, scope: 'openid', state: client.randomState(),
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  });
  const user = new ScriptedUser();
  const after = await user.submit(await user.visit(url.href), '/login', { username, password });
  return after.status !== 401 && !after.html.includes('Wrong username or password');
}

/** A complete authorization code flow with PKCE as the named client, signed in as alice unless named; returns its tokens. */
export async function authorizationCodeTokens(
  issuer: string,
  name: 'confidential' | 'native',
  scope = 'openid offline_access profile email',
  as: Person = USERS.alice,
) {
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
  const callback = await signInAndApprove(new ScriptedUser(), url.href, { as });
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
