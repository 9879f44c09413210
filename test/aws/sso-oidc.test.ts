import {
  AccessDeniedException,
  AuthorizationPendingException,
  CreateTokenCommand,
  ExpiredTokenException,
  InvalidClientException,
  InvalidGrantException,
  InvalidRedirectUriException,
  InvalidRequestException,
  InvalidScopeException,
  RegisterClientCommand,
  SlowDownException,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
  UnauthorizedClientException,
  UnsupportedGrantTypeException,
} from '@aws-sdk/client-sso-oidc';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { approveDevice, signInAndApprove } from '../support/flows.js';
import { client as openid } from '../support/relying-party.js';
import { ScriptedUser } from '../support/scripted-user.js';
import { CLIENTS, REDIRECT_URI, startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const DAY = 86_400;

let server: RunningStagepass;
let sso: SSOOIDCClient;
beforeAll(async () => {
  server = await startStagepass();
  sso = new SSOOIDCClient({
    region: 'us-east-1',
    endpoint: `${server.issuer}/aws/sso-oidc`,
    // SSO OIDC's operations are unsigned; explicit credentials keep the SDK from looking for any.
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    maxAttempts: 1,
  });
});
afterAll(() => server.close());

async function registerDeviceClient() {
  return sso.send(new RegisterClientCommand({ clientName: 'aws-cli on the living room PC', clientType: 'public' }));
}

async function startDevice() {
  const registered = await registerDeviceClient();
  const credentials = { clientId: registered.clientId!, clientSecret: registered.clientSecret! };
  const started = await sso.send(new StartDeviceAuthorizationCommand({ ...credentials, startUrl: 'https://example.awsapps.com/start' }));
  const poll = () => sso.send(new CreateTokenCommand({ ...credentials, grantType: DEVICE_GRANT, deviceCode: started.deviceCode! }));
  return { credentials, started, poll };
}

async function userinfoSub(accessToken: string): Promise<unknown> {
  const response = await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  return ((await response.json()) as { sub?: string }).sub;
}

describe('SSO OIDC RegisterClient on a server whose registration needs an initial access token', () => {
  const INITIAL_ACCESS_TOKEN = 'initial-access-token-0123456789';
  let guarded: RunningStagepass;
  const clientFor = (authorization?: string) => {
    const sdk = new SSOOIDCClient({ region: 'us-east-1', endpoint: `${guarded.issuer}/aws/sso-oidc`, credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' }, maxAttempts: 1 });
    if (authorization) {
      sdk.middlewareStack.add((next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers.authorization = authorization;
        return next(args);
      }, { step: 'build' });
    }
    return sdk;
  };
  beforeAll(async () => {
    guarded = await startStagepass({ config: { registration: { initialAccessToken: INITIAL_ACCESS_TOKEN } } });
  });
  afterAll(() => guarded.close());

  it('is refused without the token or with a wrong one, as /reg refuses it', async () => {
    for (const sdk of [clientFor(), clientFor('Bearer not-the-initial-access-token')]) {
      const registering = sdk.send(new RegisterClientCommand({ clientName: 'uninvited', clientType: 'public' }));
      await expect(registering).rejects.toBeInstanceOf(AccessDeniedException);
      await expect(registering).rejects.toMatchObject({ error: 'access_denied', message: expect.stringContaining('initial access token') });
    }
  });

  it('registers a client when the SDK sends the token', async () => {
    const registered = await clientFor(`Bearer ${INITIAL_ACCESS_TOKEN}`).send(new RegisterClientCommand({ clientName: 'invited', clientType: 'public' }));
    expect(registered.clientId).toEqual(expect.any(String));
  });
});

describe('SSO OIDC RegisterClient', () => {
  it('returns a client id and a secret that expires 90 days after issue', async () => {
    const registered = await registerDeviceClient();
    expect(registered.clientId).toEqual(expect.any(String));
    expect(registered.clientSecret!.length).toBeGreaterThanOrEqual(32);
    expect(registered.clientSecretExpiresAt! - registered.clientIdIssuedAt!).toBe(90 * DAY);
    expect(Math.abs(registered.clientIdIssuedAt! - Date.now() / 1000)).toBeLessThan(60);
    expect(registered.authorizationEndpoint).toBe(`${server.issuer}/auth`);
    expect(registered.tokenEndpoint).toBe(`${server.issuer}/aws/sso-oidc/token`);
  });

  it('a redirect URI that is not a URL throws InvalidRedirectUriException', async () => {
    const registering = sso.send(new RegisterClientCommand({
      clientName: 'broken', clientType: 'public', grantTypes: ['authorization_code'], redirectUris: ['not a url'],
    }));
    await expect(registering).rejects.toBeInstanceOf(InvalidRedirectUriException);
  });

  it('a client type other than public throws InvalidRequestException naming clientType', async () => {
    const registering = sso.send(new RegisterClientCommand({ clientName: 'server', clientType: 'confidential' }));
    await expect(registering).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(registering).rejects.toMatchObject({ error: 'invalid_request', message: expect.stringMatching(/^clientType must be public/) });
  });

  it('a scope this server does not offer throws InvalidScopeException', async () => {
    const registering = sso.send(new RegisterClientCommand({ clientName: 'cli', clientType: 'public', scopes: ['sso:account:access'] }));
    await expect(registering).rejects.toBeInstanceOf(InvalidScopeException);
  });

  it.each(['stagepass:admin', 'stagepass:admin:read'])('a client may not register itself with the admin API\'s scope %s (InvalidScopeException)', async (scope) => {
    const registering = sso.send(new RegisterClientCommand({ clientName: 'cli', clientType: 'public', scopes: ['openid', scope] }));
    await expect(registering).rejects.toBeInstanceOf(InvalidScopeException);
    await expect(registering).rejects.toMatchObject({ message: expect.stringContaining(`scopes may not include ${scope}`) });
  });

  it('a client registered with the profile scope gets alice\'s name from userinfo', async () => {
    const registered = await sso.send(new RegisterClientCommand({ clientName: 'profile reader', clientType: 'public', scopes: ['openid', 'profile'] }));
    const credentials = { clientId: registered.clientId!, clientSecret: registered.clientSecret! };
    const started = await sso.send(new StartDeviceAuthorizationCommand({ ...credentials, startUrl: 'https://example.awsapps.com/start' }));
    await approveDevice(new ScriptedUser(), started.verificationUriComplete!);
    const tokens = await sso.send(new CreateTokenCommand({ ...credentials, grantType: DEVICE_GRANT, deviceCode: started.deviceCode! }));
    const userinfo = await (await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } })).json();
    expect(userinfo).toMatchObject({ sub: USERS.alice.sub, name: 'Alice Example' });
    expect(tokens.refreshToken).toBeUndefined();
  });

  it('a grant type SSO OIDC does not offer throws UnsupportedGrantTypeException', async () => {
    const registering = sso.send(new RegisterClientCommand({ clientName: 'machine', clientType: 'public', grantTypes: ['client_credentials'] }));
    await expect(registering).rejects.toBeInstanceOf(UnsupportedGrantTypeException);
  });
});

describe('SSO OIDC device authorization', () => {
  it('answers a user code, the device pages of this server and a one-second interval', async () => {
    const { started } = await startDevice();
    expect(started.userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(started.verificationUri).toBe(`${server.issuer}/device`);
    expect(started.verificationUriComplete).toBe(`${server.issuer}/device?user_code=${started.userCode}`);
    expect(started.expiresIn).toBe(600);
    expect(started.interval).toBe(1);
  });

  it('a device that polls with CreateToken gets tokens for alice once she approves on the device page', async () => {
    const { started, poll } = await startDevice();
    const last = await approveDevice(new ScriptedUser(), started.verificationUriComplete!);
    expect(last.html).toContain('Device connected');
    const tokens = await poll();
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.expiresIn).toBe(3600);
    expect(decodeJwt(tokens.idToken!).sub).toBe(USERS.alice.sub);
    expect(await userinfoSub(tokens.accessToken!)).toBe(USERS.alice.sub);
    expect(tokens.refreshToken).toEqual(expect.any(String));
  });

  it('CreateToken with the refresh token rotates it; the old one then throws InvalidGrantException', async () => {
    const { credentials, started, poll } = await startDevice();
    await approveDevice(new ScriptedUser(), started.verificationUriComplete!);
    const first = await poll();
    const refreshed = await sso.send(new CreateTokenCommand({ ...credentials, grantType: 'refresh_token', refreshToken: first.refreshToken! }));
    expect(await userinfoSub(refreshed.accessToken!)).toBe(USERS.alice.sub);
    expect(refreshed.refreshToken).not.toBe(first.refreshToken);
    const reused = sso.send(new CreateTokenCommand({ ...credentials, grantType: 'refresh_token', refreshToken: first.refreshToken! }));
    await expect(reused).rejects.toBeInstanceOf(InvalidGrantException);
  });

  it('polling before the person acts throws AuthorizationPendingException', async () => {
    const { poll } = await startDevice();
    const pending = poll();
    await expect(pending).rejects.toBeInstanceOf(AuthorizationPendingException);
    await expect(pending).rejects.toMatchObject({ error: 'authorization_pending', $metadata: { httpStatusCode: 400 } });
  });

  it('polling again within the interval throws SlowDownException', async () => {
    const { poll } = await startDevice();
    await expect(poll()).rejects.toBeInstanceOf(AuthorizationPendingException);
    const tooSoon = poll();
    await expect(tooSoon).rejects.toBeInstanceOf(SlowDownException);
    await expect(tooSoon).rejects.toMatchObject({ message: expect.stringMatching(/wait 6 s/) });
  });

  it('a device polling at its interval keeps getting AuthorizationPendingException', async () => {
    const { poll } = await startDevice();
    for (let i = 0; i < 2; i += 1) {
      await expect(poll()).rejects.toBeInstanceOf(AuthorizationPendingException);
      server.clock.advance(1_050);
    }
  });

  it('a wrong client secret throws InvalidClientException with status 401', async () => {
    const registered = await registerDeviceClient();
    const starting = sso.send(new StartDeviceAuthorizationCommand({ clientId: registered.clientId!, clientSecret: 'not-the-secret', startUrl: 'https://example.awsapps.com/start' }));
    await expect(starting).rejects.toBeInstanceOf(InvalidClientException);
    await expect(starting).rejects.toMatchObject({ $metadata: { httpStatusCode: 401 } });
  });

  it('a public client from the configuration starts a device flow; the secret the SDK insists on is not used', async () => {
    const started = await sso.send(new StartDeviceAuthorizationCommand({ clientId: CLIENTS.native.client_id, clientSecret: 'none', startUrl: 'https://example.awsapps.com/start' }));
    const page = await new ScriptedUser().visit(started.verificationUriComplete!);
    expect(page.html).toContain(started.userCode);
    const polling = sso.send(new CreateTokenCommand({ clientId: CLIENTS.native.client_id, clientSecret: 'none', grantType: DEVICE_GRANT, deviceCode: started.deviceCode! }));
    await expect(polling).rejects.toBeInstanceOf(AuthorizationPendingException);
  });

  it('an unknown client throws InvalidClientException', async () => {
    const starting = sso.send(new StartDeviceAuthorizationCommand({ clientId: 'nobody', clientSecret: 'nothing', startUrl: 'https://example.awsapps.com/start' }));
    await expect(starting).rejects.toBeInstanceOf(InvalidClientException);
  });

  it('an expired device code throws ExpiredTokenException', async () => {
    const { started, poll } = await startDevice();
    const { store } = server.stagepass;
    const record = await store.findModel('DeviceCode', started.deviceCode!);
    expect(record).toBeDefined();
    // Let the code's lifetime run out without waiting ten minutes.
    await store.upsertModel('DeviceCode', started.deviceCode!, { ...record, exp: Math.floor(Date.now() / 1000) - 1 }, 60);
    await expect(poll()).rejects.toBeInstanceOf(ExpiredTokenException);
  });

  it('the person cancelling on the device page throws AccessDeniedException', async () => {
    const { started, poll } = await startDevice();
    await approveDevice(new ScriptedUser(), started.verificationUriComplete!, { cancelAt: 'consent' });
    await expect(poll()).rejects.toBeInstanceOf(AccessDeniedException);
  });

  it('a device client redeeming an authorization code throws UnauthorizedClientException', async () => {
    const { credentials } = await startDevice();
    const redeeming = sso.send(new CreateTokenCommand({ ...credentials, grantType: 'authorization_code', code: 'some-code', redirectUri: REDIRECT_URI }));
    await expect(redeeming).rejects.toBeInstanceOf(UnauthorizedClientException);
  });
});

describe('SSO OIDC authorization code with PKCE', () => {
  it('a client registered for authorization_code redeems alice\'s code with its verifier', async () => {
    const registered = await sso.send(new RegisterClientCommand({
      clientName: 'aws-cli with a browser', clientType: 'public', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI],
    }));
    const verifier = openid.randomPKCECodeVerifier();
    const authorization = new URL(registered.authorizationEndpoint!);
    authorization.search = new URLSearchParams({
      client_id: registered.clientId!,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid offline_access',
      code_challenge: await openid.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      prompt: 'consent',
    }).toString();
    const callback = new URL(await signInAndApprove(new ScriptedUser(), authorization.href));
    const code = callback.searchParams.get('code')!;
    const tokens = await sso.send(new CreateTokenCommand({
      clientId: registered.clientId!, clientSecret: registered.clientSecret!, grantType: 'authorization_code', code, redirectUri: REDIRECT_URI, codeVerifier: verifier,
    }));
    expect(decodeJwt(tokens.idToken!).sub).toBe(USERS.alice.sub);
    expect(tokens.refreshToken).toEqual(expect.any(String));
  });
});

describe('SSO OIDC bad input', () => {
  const post = (path: string, body: string) =>
    fetch(`${server.issuer}/aws/sso-oidc${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it.each([
    ['malformed JSON', '/client/register', '{"clientName": ', 'the request body is not valid JSON'],
    ['a JSON array', '/client/register', '[]', 'the request body must be a JSON object'],
    ['a number for clientName', '/client/register', '{"clientName": 5, "clientType": "public"}', 'clientName must be a string'],
    ['no clientName', '/client/register', '{"clientType": "public"}', 'clientName is required'],
    ['scopes as a string', '/client/register', '{"clientName": "x", "clientType": "public", "scopes": "openid"}', 'scopes must be a list'],
    ['no clientId', '/device_authorization', '{"clientSecret": "s"}', 'clientId is required'],
    ['no grantType', '/token', '{"clientId": "c", "clientSecret": "s"}', 'grantType is required'],
    ['a number in scope', '/token', '{"clientId": "c", "grantType": "refresh_token", "scope": [1]}', 'scope.0 must be a string'],
  ])('%s answers 400 InvalidRequestException naming the problem', async (_case, path, body, description) => {
    const response = await post(path, body);
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
    expect(await response.json()).toMatchObject({ error: 'invalid_request', error_description: description });
  });

  it('a missing device code answers InvalidRequestException naming deviceCode', async () => {
    const registered = await registerDeviceClient();
    const polling = sso.send(new CreateTokenCommand({ clientId: registered.clientId!, clientSecret: registered.clientSecret!, grantType: DEVICE_GRANT }));
    await expect(polling).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(polling).rejects.toMatchObject({ message: expect.stringContaining('deviceCode') });
  });

  it('an operation SSO OIDC does not have answers 404', async () => {
    const response = await post('/client/unregister', '{}');
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });
});
