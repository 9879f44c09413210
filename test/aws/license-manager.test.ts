import { randomUUID } from 'node:crypto';

import {
  AccessDeniedException,
  AuthorizationException,
  CreateTokenCommand,
  DeleteTokenCommand,
  GetAccessTokenCommand,
  LicenseManagerClient,
  ListTokensCommand,
  ResourceLimitExceededException,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-license-manager';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sdkConfig, signedPost } from '../support/aws.js';
import { LICENSE_CLIENTS, LICENSES, ROLE } from '../support/minters.js';
import { startStagepass, type RunningStagepass } from '../support/stagepass.js';

const { backend, other } = LICENSE_CLIENTS;

let server: RunningStagepass;
let jwks: ReturnType<typeof createLocalJWKSet>;
beforeAll(async () => {
  server = await startStagepass({
    config: {
      licenses: [{ arn: LICENSES.small, maxTokens: 2 }, { arn: LICENSES.large, maxTokens: 1000 }],
      clients: Object.values(LICENSE_CLIENTS),
    },
  });
  jwks = createLocalJWKSet(await (await fetch(`${server.issuer}/jwks`)).json() as { keys: JWK[] });
});
afterAll(() => server.close());

const licenseManagerAs = (client: { client_id: string; client_secret: string }) =>
  new LicenseManagerClient(sdkConfig(server.issuer, 'license-manager', client));
const createLargeToken = (client = licenseManagerAs(other), extra: Partial<ConstructorParameters<typeof CreateTokenCommand>[0]> = {}) =>
  client.send(new CreateTokenCommand({ LicenseArn: LICENSES.large, ClientToken: randomUUID(), TokenProperties: ['seat-12'], RoleArns: [ROLE], ...extra }));

describe('License Manager tokens', () => {
  it('CreateToken is idempotent on ClientToken: the same call returns the same token, signed by this server', async () => {
    const client = licenseManagerAs(other);
    const request = { LicenseArn: LICENSES.large, ClientToken: randomUUID(), TokenProperties: ['seat-12'], RoleArns: [ROLE], ExpirationInDays: 30 };
    const first = await client.send(new CreateTokenCommand(request));
    const again = await client.send(new CreateTokenCommand(request));
    expect(first.TokenType).toBe('REFRESH_TOKEN');
    expect(again).toMatchObject({ TokenId: first.TokenId, Token: first.Token });
    const { payload } = await jwtVerify(first.Token!, jwks, { issuer: server.issuer, audience: LICENSES.large });
    expect(payload).toMatchObject({ jti: first.TokenId, amr: ['seat-12'], roles: [ROLE] });
    expect(payload.exp! - payload.iat!).toBe(30 * 86_400);
  });

  it('the same ClientToken with other parameters throws ValidationException', async () => {
    const client = licenseManagerAs(other);
    const ClientToken = randomUUID();
    await client.send(new CreateTokenCommand({ LicenseArn: LICENSES.large, ClientToken }));
    const changed = client.send(new CreateTokenCommand({ LicenseArn: LICENSES.large, ClientToken, TokenProperties: ['other'] }));
    await expect(changed).rejects.toBeInstanceOf(ValidationException);
    await expect(changed).rejects.toMatchObject({ message: expect.stringContaining('ClientToken was already used') });
  });

  it('GetAccessToken exchanges the token for a one-hour access token for the same license', async () => {
    const client = licenseManagerAs(other);
    const created = await createLargeToken(client);
    const { AccessToken } = await client.send(new GetAccessTokenCommand({ Token: created.Token, TokenProperties: ['seat-12'] }));
    const { payload } = await jwtVerify(AccessToken!, jwks, { issuer: server.issuer, audience: LICENSES.large });
    expect(payload).toMatchObject({ token_id: created.TokenId, amr: ['seat-12'], client_id: other.client_id });
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it('after DeleteToken, GetAccessToken with that token throws AuthorizationException', async () => {
    const client = licenseManagerAs(other);
    const created = await createLargeToken(client);
    await client.send(new DeleteTokenCommand({ TokenId: created.TokenId }));
    const exchanging = client.send(new GetAccessTokenCommand({ Token: created.Token }));
    await expect(exchanging).rejects.toBeInstanceOf(AuthorizationException);
    await expect(exchanging).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });

  it('ListTokens shows the client\'s tokens without the token itself, a deleted one as DELETED', async () => {
    const client = licenseManagerAs(other);
    const kept = await createLargeToken(client);
    const deleted = await createLargeToken(client);
    await client.send(new DeleteTokenCommand({ TokenId: deleted.TokenId }));
    const { Tokens } = await client.send(new ListTokensCommand({ TokenIds: [kept.TokenId!, deleted.TokenId!] }));
    expect(Tokens).toHaveLength(2);
    expect(Tokens!.find((token) => token.TokenId === kept.TokenId)).toMatchObject({
      TokenType: 'REFRESH_TOKEN', LicenseArn: LICENSES.large, Status: 'AVAILABLE', TokenProperties: ['seat-12'], RoleArns: [ROLE],
    });
    expect(Tokens!.find((token) => token.TokenId === deleted.TokenId)!.Status).toBe('DELETED');
    expect(JSON.stringify(Tokens)).not.toContain(kept.Token);
  });

  it('ListTokens filters by LicenseArns and pages with MaxResults', async () => {
    const client = licenseManagerAs(other);
    await createLargeToken(client);
    await createLargeToken(client);
    const filtered = await client.send(new ListTokensCommand({ Filters: [{ Name: 'LicenseArns', Values: [LICENSES.unconfigured] }] }));
    expect(filtered.Tokens).toEqual([]);
    const first = await client.send(new ListTokensCommand({ MaxResults: 1 }));
    expect(first.Tokens).toHaveLength(1);
    const second = await client.send(new ListTokensCommand({ MaxResults: 1, NextToken: first.NextToken }));
    expect(second.Tokens![0]!.TokenId).not.toBe(first.Tokens![0]!.TokenId);
  });

  it('ListTokens never shows another client\'s tokens', async () => {
    const created = await createLargeToken();
    const { Tokens } = await licenseManagerAs(backend).send(new ListTokensCommand({}));
    expect(Tokens!.map((token) => token.TokenId)).not.toContain(created.TokenId);
  });
});

describe('License Manager refusals', () => {
  it('a license outside the client\'s license_arns throws AccessDeniedException', async () => {
    const creating = createLargeToken(licenseManagerAs(backend));
    await expect(creating).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(creating).rejects.toMatchObject({ message: expect.stringContaining(LICENSES.large) });
  });

  it('a license this server does not have throws ResourceNotFoundException', async () => {
    const creating = licenseManagerAs(other).send(new CreateTokenCommand({ LicenseArn: LICENSES.unconfigured, ClientToken: randomUUID() }));
    await expect(creating).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('a license at its live-token limit throws ResourceLimitExceededException', async () => {
    const client = licenseManagerAs(backend);
    const create = () => client.send(new CreateTokenCommand({ LicenseArn: LICENSES.small, ClientToken: randomUUID() }));
    await create();
    await create();
    await expect(create()).rejects.toBeInstanceOf(ResourceLimitExceededException);
  });

  it('DeleteToken of a token the client does not have throws ResourceNotFoundException', async () => {
    const created = await createLargeToken();
    const deleting = licenseManagerAs(backend).send(new DeleteTokenCommand({ TokenId: created.TokenId }));
    await expect(deleting).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('an SDK client with the wrong secret gets InvalidSignatureException (403)', async () => {
    const creating = createLargeToken(licenseManagerAs({ ...other, client_secret: 'not-the-secret-0123456789' }));
    await expect(creating).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
  });
});

describe('License Manager bad input', () => {
  const call = (target: string, body: string, signing: Partial<Parameters<typeof signedPost>[2]> = {}) =>
    signedPost(`${server.issuer}/aws/license-manager/`, body, {
      service: 'license-manager',
      client: other,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSLicenseManager.${target}` },
      ...signing,
    });
  const createToken = (fields: Record<string, unknown>) => JSON.stringify({ LicenseArn: LICENSES.large, ClientToken: randomUUID(), ...fields });

  it.each([
    ['malformed JSON', 'CreateToken', '{"LicenseArn"', 'the request body is not valid JSON'],
    ['no ClientToken', 'CreateToken', JSON.stringify({ LicenseArn: LICENSES.large }), 'ClientToken is required'],
    ['days in words', 'CreateToken', createToken({ ExpirationInDays: 'ten' }), 'ExpirationInDays must be a number'],
    ['zero days', 'CreateToken', createToken({ ExpirationInDays: 0 }), 'ExpirationInDays must be an integer from 1 to 3650'],
    ['four token properties', 'CreateToken', createToken({ TokenProperties: ['a', 'b', 'c', 'd'] }), 'TokenProperties must have at most 3 entries'],
    ['a role that is not an IAM role ARN', 'CreateToken', createToken({ RoleArns: ['admin'] }), 'RoleArns entries must be IAM role ARNs (arn:aws:iam::<12-digit account>:role/<name>)'],
    ['a ClientToken with spaces', 'CreateToken', createToken({ ClientToken: 'two words' }), 'ClientToken must be 1 to 2048 characters without whitespace'],
    ['an unknown ListTokens filter', 'ListTokens', JSON.stringify({ Filters: [{ Name: 'Status', Values: ['AVAILABLE'] }] }), 'Filters.0.Name must be LicenseArns'],
    ['no Token to exchange', 'GetAccessToken', '{}', 'Token is required'],
  ])('%s answers 400 ValidationException naming the problem', async (_case, target, body, message) => {
    const response = await call(target, body);
    expect(response).toMatchObject({ status: 400, errorType: 'ValidationException', body: { __type: 'ValidationException', Message: message } });
  });

  it('a Token this server did not sign answers AuthorizationException', async () => {
    const response = await call('GetAccessToken', JSON.stringify({ Token: 'not-a-jwt' }));
    expect(response).toMatchObject({ status: 403, errorType: 'AuthorizationException' });
  });

  it('an operation License Manager does not offer here answers UnknownOperationException', async () => {
    const response = await call('CreateLicense', '{}');
    expect(response).toMatchObject({ status: 400, errorType: 'UnknownOperationException' });
  });

  it('an X-Amz-Target left out of the signature answers 403 InvalidSignatureException', async () => {
    const response = await signedPost(`${server.issuer}/aws/license-manager/`, '{}', {
      service: 'license-manager',
      client: other,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      unsignedHeaders: { 'x-amz-target': 'AWSLicenseManager.ListTokens' },
    });
    expect(response).toMatchObject({ status: 403, errorType: 'InvalidSignatureException', body: { Message: 'these headers must be signed: x-amz-target' } });
  });

  it('an unsigned request answers 403 MissingAuthenticationTokenException', async () => {
    const unsigned = await fetch(`${server.issuer}/aws/license-manager/`, {
      method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSLicenseManager.ListTokens' }, body: '{}',
    });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });
});
