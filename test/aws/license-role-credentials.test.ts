import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  AccessDeniedException, CheckInLicenseCommand, CheckoutLicenseCommand, CreateTokenCommand, DeleteTokenCommand, ExtendLicenseConsumptionCommand,
  GetAccessTokenCommand, GetLicenseCommand, GetLicenseUsageCommand, LicenseManagerClient,
} from '@aws-sdk/client-license-manager';
import { AssumeRoleWithWebIdentityCommand, ExpiredTokenException, InvalidIdentityTokenException, STSClient } from '@aws-sdk/client-sts';
import { fromTokenFile, fromWebToken } from '@aws-sdk/credential-providers';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { REGION, sdkConfig, signedPost } from '../support/aws.js';
import { authorizationCodeTokens } from '../support/flows.js';
import { leaseLicense, leaseLicenseArn, seatCheckout } from '../support/leases.js';
import { ACCESS_TOKEN_TYPE, JWT_BEARER_GRANT, LICENSE_CLIENTS, LICENSE_GRANT, LICENSING_APP, mint, ROLE } from '../support/minters.js';
import { startStagepass, type RunningStagepass } from '../support/stagepass.js';

const { other } = LICENSE_CLIENTS;
type Client = { client_id: string; client_secret: string };

let server: RunningStagepass;
let admin: ReturnType<typeof adminApi>;
beforeAll(async () => {
  server = await startStagepass({
    config: {
      licenses: [
        ...['roles', 'elsewhere'].map((id) => leaseLicense(id)),
        // Each ending takes a seat first.
        leaseLicense('ends', { entitlements: [{ name: 'seats', unit: 'Count', maxCount: 100 }] }),
      ],
      clients: [...CLIENTS_WITH_ADMINS.filter(({ client_id }) => client_id !== LICENSING_APP.client_id), LICENSING_APP, ...Object.values(LICENSE_CLIENTS)],
    },
  });
  admin = adminApi(server.issuer, await adminToken(server.issuer));
});
afterAll(() => server?.close());

/** SDK clients on a machine whose clock is the server's, which the tests move on. */
const skew = () => ({ systemClockOffset: server.clock.now() - Date.now() });
const licenseManagerAs = (client: Client) => new LicenseManagerClient(sdkConfig(server.issuer, 'license-manager', client, skew()));
const sts = () => new STSClient({ region: REGION, endpoint: `${server.issuer}/aws/sts`, maxAttempts: 1, ...skew() });

/** CreateToken and GetAccessToken through the SDK: a license access token of `client`. */
async function accessTokenOf(client: Client, licenseArn: string) {
  // A client each: the SDK sets its clock by the answer's Date, the machine's, not the server's moved one.
  const created = await licenseManagerAs(client).send(new CreateTokenCommand({ LicenseArn: licenseArn, RoleArns: [ROLE], ClientToken: randomUUID() }));
  const { AccessToken } = await licenseManagerAs(client).send(new GetAccessTokenCommand({ Token: created.Token }));
  return { tokenId: created.TokenId!, accessToken: AccessToken! };
}

/** A License Manager client whose credentials come from `fromWebToken`, the SDK's own provider, with only the endpoints changed. */
const withRoleCredentials = (webIdentityToken: string) => new LicenseManagerClient({
  region: REGION,
  endpoint: `${server.issuer}/aws/license-manager`,
  maxAttempts: 1,
  ...skew(),
  credentials: fromWebToken({ roleArn: ROLE, webIdentityToken, roleSessionName: 'studio-07', clientConfig: { region: REGION, endpoint: `${server.issuer}/aws/sts`, maxAttempts: 1 } }),
});

const assume = async (webIdentityToken: string, extra: Partial<ConstructorParameters<typeof AssumeRoleWithWebIdentityCommand>[0]> = {}) =>
  sts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: 'studio-07', WebIdentityToken: webIdentityToken, ...extra }));

describe('AssumeRoleWithWebIdentity', () => {
  it('turns a license access token into role credentials for one of its roles, as STS answers', async () => {
    const { accessToken } = await accessTokenOf(other, leaseLicenseArn('roles'));
    const answer = await assume(accessToken, { DurationSeconds: 900 });
    expect(answer.Credentials).toMatchObject({ AccessKeyId: expect.stringMatching(/^ASIA[A-Z2-7]{16}$/), SecretAccessKey: expect.any(String), SessionToken: expect.any(String) });
    expect(answer.Credentials!.Expiration!.getTime() - server.clock.now()).toBeGreaterThan(890_000);
    expect(answer.Credentials!.Expiration!.getTime() - server.clock.now()).toBeLessThanOrEqual(900_000);
    expect(answer).toMatchObject({
      AssumedRoleUser: { Arn: 'arn:aws:sts::123456789012:assumed-role/LicenseConsumer/studio-07', AssumedRoleId: expect.stringMatching(/^AROA[0-9A-F]{17}:studio-07$/) },
      SubjectFromWebIdentityToken: other.client_id, Audience: leaseLicenseArn('roles'), Provider: server.issuer,
    });
  });

  it('names the assumed role in the role\'s own partition', async () => {
    const chinaRole = 'arn:aws-cn:iam::123456789012:role/studio/LicenseConsumer';
    const created = await licenseManagerAs(other).send(new CreateTokenCommand({ LicenseArn: leaseLicenseArn('roles'), RoleArns: [ROLE, chinaRole], ClientToken: randomUUID() }));
    const { AccessToken } = await licenseManagerAs(other).send(new GetAccessTokenCommand({ Token: created.Token }));
    const answer = await assume(AccessToken!, { RoleArn: chinaRole });
    expect(answer.AssumedRoleUser!.Arn).toBe('arn:aws-cn:sts::123456789012:assumed-role/LicenseConsumer/studio-07');
  });

  it('refuses what STS refuses, in its words', async () => {
    const { accessToken } = await accessTokenOf(other, leaseLicenseArn('roles'));
    await expect(assume('not-a-token')).rejects.toBeInstanceOf(InvalidIdentityTokenException);
    await expect(assume(accessToken, { RoleArn: 'arn:aws:iam::123456789012:role/Administrator' })).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await expect(assume(accessToken, { DurationSeconds: 100 })).rejects.toMatchObject({ name: 'ValidationError', message: 'DurationSeconds must be from 900 to 43200 seconds' });
    await expect(assume(accessToken, { Policy: '{}' })).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('session policies are not supported') });
    await expect(assume(accessToken, { RoleSessionName: 'a b' })).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('RoleSessionName') });
  });

  it('an unknown action, or a request that is not a form, is an XML InvalidAction, never a server error', async () => {
    const asForm = await fetch(`${server.issuer}/aws/sts`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=GetCallerIdentity&Version=2011-06-15' });
    expect(asForm.status).toBe(400);
    expect(await asForm.text()).toMatch(/<Code>InvalidAction<\/Code>/);
    const asJson = await fetch(`${server.issuer}/aws/sts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(asJson.status).toBe(400);
    expect(asJson.headers.get('content-type')).toMatch(/^text\/xml/);
  });
});

describe('License Manager with role credentials', () => {
  it('checks out, extends, checks in and reads the license through fromWebToken, with only the endpoints changed', async () => {
    const { accessToken, tokenId } = await accessTokenOf(other, leaseLicenseArn('roles'));
    const role = withRoleCredentials(accessToken);
    const lease = await role.send(new CheckoutLicenseCommand(seatCheckout('roles', 2, { NodeId: 'studio-07' })));
    const { payload } = await jwtVerify(lease.SignedToken!, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer });
    expect(payload).toMatchObject({ sub: other.client_id, node_id: 'studio-07' });
    expect((await role.send(new ExtendLicenseConsumptionCommand({ LicenseConsumptionToken: lease.LicenseConsumptionToken }))).Expiration).toBeDefined();
    expect((await role.send(new GetLicenseCommand({ LicenseArn: leaseLicenseArn('roles') }))).License!.ProductSKU).toBe('sku-roles');
    const usage = await role.send(new GetLicenseUsageCommand({ LicenseArn: leaseLicenseArn('roles') }));
    expect(usage.LicenseUsage!.EntitlementUsages![0]).toMatchObject({ Name: 'seats', ConsumedValue: '2' });
    await role.send(new CheckInLicenseCommand({ LicenseConsumptionToken: lease.LicenseConsumptionToken }));
    expect(tokenId).toBeDefined();
  });

  it('come as well from fromTokenFile, the provider that reads the access token from a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stagepass-web-identity-'));
    const file = join(dir, 'token');
    await writeFile(file, (await accessTokenOf(other, leaseLicenseArn('roles'))).accessToken);
    const role = new LicenseManagerClient({
      region: REGION, endpoint: `${server.issuer}/aws/license-manager`, maxAttempts: 1, ...skew(),
      credentials: fromTokenFile({ webIdentityTokenFile: file, roleArn: ROLE, roleSessionName: 'from-file', clientConfig: { region: REGION, endpoint: `${server.issuer}/aws/sts` } }),
    });
    expect((await role.send(new GetLicenseCommand({ LicenseArn: leaseLicenseArn('roles') }))).License!.LicenseArn).toBe(leaseLicenseArn('roles'));
    await rm(dir, { recursive: true });
  });

  it('acts on its own license only, and not on tokens: anything else is AccessDeniedException', async () => {
    const role = withRoleCredentials((await accessTokenOf(other, leaseLicenseArn('roles'))).accessToken);
    await expect(role.send(new GetLicenseCommand({ LicenseArn: leaseLicenseArn('elsewhere') }))).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(role.send(new CheckoutLicenseCommand(seatCheckout('elsewhere')))).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(role.send(new CreateTokenCommand({ LicenseArn: leaseLicenseArn('roles'), ClientToken: randomUUID() }))).rejects.toBeInstanceOf(AccessDeniedException);
  });

  it('a session token that is not theirs, or left unsigned, is refused', async () => {
    const { accessToken } = await accessTokenOf(other, leaseLicenseArn('roles'));
    const { Credentials } = await assume(accessToken);
    const request = (sessionToken: string, unsigned = false) => signedPost(`${server.issuer}/aws/license-manager/`, JSON.stringify({ LicenseArn: leaseLicenseArn('roles') }), {
      service: 'license-manager', client: { client_id: Credentials!.AccessKeyId!, client_secret: Credentials!.SecretAccessKey! }, signingDate: new Date(server.clock.now()),
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSLicenseManager.GetLicense' },
      ...(unsigned ? { unsignedHeaders: { 'x-amz-security-token': sessionToken } } : { sessionToken }),
    });
    expect(await request(`${Credentials!.SessionToken!}x`)).toMatchObject({ status: 403, errorType: 'UnrecognizedClientException' });
    expect(await request(Credentials!.SessionToken!, true)).toMatchObject({ status: 403, errorType: 'InvalidSignatureException' });
  });
});

describe('role credentials end with what they came from, and refuse new checkouts', () => {
  const stillWorks = (role: LicenseManagerClient, id: string) => role.send(new CheckoutLicenseCommand(seatCheckout(id)));

  it('the license token deleted', async () => {
    const { accessToken, tokenId } = await accessTokenOf(other, leaseLicenseArn('ends'));
    const role = withRoleCredentials(accessToken);
    await stillWorks(role, 'ends');
    await licenseManagerAs(other).send(new DeleteTokenCommand({ TokenId: tokenId }));
    await expect(stillWorks(role, 'ends')).rejects.toMatchObject({ name: 'AuthorizationException', message: expect.stringContaining('deleted') });
  });

  it('the client deleted', async () => {
    const made = await admin.post('/clients', { client_id: 'role-backend', grant_types: [LICENSE_GRANT, JWT_BEARER_GRANT], response_types: [], redirect_uris: [], license_arns: ['*'] });
    const client = { client_id: 'role-backend', client_secret: String(made.body.client_secret) };
    const role = withRoleCredentials((await accessTokenOf(client, leaseLicenseArn('ends'))).accessToken);
    await stillWorks(role, 'ends');
    expect((await admin.delete('/clients/role-backend')).status).toBe(204);
    await expect(stillWorks(role, 'ends')).rejects.toMatchObject({ name: 'AuthorizationException' });
  });

  /** A person made through the Admin API, and role credentials of a license token minted for them. */
  const personWithRole = async (username: string) => {
    const person = { username, password: 'checks out a seat or two' };
    const created = await admin.post('/accounts', person);
    const subjectToken = (await authorizationCodeTokens(server.issuer, 'confidential', 'openid', person)).tokens.access_token;
    const minted = await mint(server.issuer, LICENSING_APP, LICENSE_GRANT, {
      license_arn: leaseLicenseArn('ends'), role_arns: ROLE, client_token: randomUUID(), subject_token: subjectToken, subject_token_type: ACCESS_TOKEN_TYPE,
    });
    const exchanged = await mint(server.issuer, LICENSING_APP, JWT_BEARER_GRANT, { assertion: (minted.body.license_token as { Token: string }).Token });
    return { created, role: withRoleCredentials(String(exchanged.body.access_token)) };
  };

  it('the person banned from the license', async () => {
    const { created, role } = await personWithRole('role-banned');
    await stillWorks(role, 'ends');
    const banned = await admin.put(`/bans/${encodeURIComponent(String(created.body.sub))}`, { resources: [leaseLicenseArn('ends')], until: null, reason: 'seat sharing' });
    expect(banned.status).toBe(201);
    await expect(stillWorks(role, 'ends')).rejects.toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('seat sharing') });
  });

  it('the person disabled', async () => {
    const { created, role } = await personWithRole('role-person');
    const lease = await stillWorks(role, 'ends');
    const { payload } = await jwtVerify(lease.SignedToken!, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)));
    expect(payload.sub).toBe(created.body.sub);
    const path = `/accounts/${encodeURIComponent(String(created.body.sub))}`;
    const read = await admin.get(path);
    expect((await admin.put(path, { ...read.body, disabled: true }, { 'if-match': read.headers.get('etag')! })).status).toBe(200);
    // Disabling a person ends their license tokens, and so what they gave.
    await expect(stillWorks(role, 'ends')).rejects.toMatchObject({ name: 'AuthorizationException' });
  });

  it('the license deleted, and stay ended when a license is made again under its ARN', async () => {
    const path = `/licenses/${encodeURIComponent(leaseLicenseArn('made-and-gone'))}`;
    expect((await admin.post('/licenses', leaseLicense('made-and-gone'))).status).toBe(201);
    const role = withRoleCredentials((await accessTokenOf(other, leaseLicenseArn('made-and-gone'))).accessToken);
    await stillWorks(role, 'made-and-gone');
    expect((await admin.delete(path)).status).toBe(204);
    await expect(stillWorks(role, 'made-and-gone')).rejects.toMatchObject({ name: 'AuthorizationException', message: expect.stringContaining('deleted') });
    expect((await admin.post('/licenses', leaseLicense('made-and-gone'))).status).toBe(201);
    await expect(stillWorks(role, 'made-and-gone')).rejects.toMatchObject({ name: 'AuthorizationException', message: expect.stringContaining('deleted') });
    expect((await admin.get(`${path}/leases`)).body.items).toEqual([]);
  });
});

// Last: the time they let pass outlives the tokens (an admin's, a sign-in's) the tests before them hold.
describe('as time passes', () => {
  it('role credentials expire with their DurationSeconds', async () => {
    const { accessToken } = await accessTokenOf(other, leaseLicenseArn('roles'));
    const { Credentials } = await assume(accessToken, { DurationSeconds: 900 });
    const call = () => signedPost(`${server.issuer}/aws/license-manager/`, JSON.stringify({ LicenseArn: leaseLicenseArn('roles') }), {
      service: 'license-manager', client: { client_id: Credentials!.AccessKeyId!, client_secret: Credentials!.SecretAccessKey! }, sessionToken: Credentials!.SessionToken!,
      signingDate: new Date(server.clock.now()), headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSLicenseManager.GetLicense' },
    });
    expect((await call()).status).toBe(200);
    server.clock.advance(901_000);
    expect(await call()).toMatchObject({ status: 403, errorType: 'UnrecognizedClientException' });
  });

  it('role credentials never outlast the license token they come from', async () => {
    const created = await licenseManagerAs(other).send(new CreateTokenCommand({ LicenseArn: leaseLicenseArn('roles'), RoleArns: [ROLE], ClientToken: randomUUID(), ExpirationInDays: 1 }));
    server.clock.advance(23.5 * 3600_000);
    const { AccessToken } = await licenseManagerAs(other).send(new GetAccessTokenCommand({ Token: created.Token }));
    const { Credentials } = await assume(AccessToken!, { DurationSeconds: 43_200 });
    const { payload } = await jwtVerify(created.Token!, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { currentDate: new Date(server.clock.now()) });
    expect(Credentials!.Expiration!.getTime()).toBe(payload.exp! * 1000);
  });

  it('an access token past its hour is ExpiredTokenException', async () => {
    const { accessToken } = await accessTokenOf(other, leaseLicenseArn('roles'));
    server.clock.advance(61 * 60_000);
    await expect(assume(accessToken)).rejects.toBeInstanceOf(ExpiredTokenException);
  });
});
