import { randomUUID } from 'node:crypto';

import { AccessDeniedException, GetAccessTokenCommand, LicenseManagerClient } from '@aws-sdk/client-license-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminApi, adminToken, CLIENTS_WITH_ADMINS, seenWithinPropagation } from '../support/admin.js';
import { sdkConfig } from '../support/aws.js';
import { authorizationCodeTokens } from '../support/flows.js';
import { ACCESS_TOKEN_TYPE, JWT_BEARER_GRANT, LICENSE_GRANT, LICENSING_APP, mint } from '../support/minters.js';
import { startStagepass, type RunningStagepass } from '../support/stagepass.js';

const LICENSE = 'arn:aws:license-manager::123456789012:license:l-rights-at-exchange';

let server: RunningStagepass;
let admin: ReturnType<typeof adminApi>;
beforeAll(async () => {
  server = await startStagepass({
    config: {
      clients: [...CLIENTS_WITH_ADMINS.filter(({ client_id }) => client_id !== LICENSING_APP.client_id), LICENSING_APP],
      licenses: [{ arn: LICENSE, maxTokens: 100 }],
      groups: { hosts: { license_arns: [LICENSE] } },
    },
  });
  admin = adminApi(server.issuer, await adminToken(server.issuer));
});
afterAll(() => server?.close());

const edit = async (path: string, change: (answer: Record<string, unknown>) => void) => {
  const read = await admin.get(path);
  const body = structuredClone(read.body) as Record<string, unknown>;
  change(body);
  expect((await admin.put(path, body, { 'if-match': read.headers.get('etag')! })).status).toBe(200);
};
const exchange = (client: { client_id: string; client_secret: string }, token: string) => mint(server.issuer, client, JWT_BEARER_GRANT, { assertion: token });

describe('a license token exchanges only while its holders still hold the license', () => {
  it('a client whose license_arns no longer name the license is refused, at the token endpoint and at GetAccessToken', async () => {
    const made = await admin.post('/clients', { client_id: 'rights-backend', grant_types: [LICENSE_GRANT, JWT_BEARER_GRANT], response_types: [], redirect_uris: [], license_arns: [LICENSE] });
    const client = { client_id: 'rights-backend', client_secret: String(made.body.client_secret) };
    const minted = await mint(server.issuer, client, LICENSE_GRANT, { license_arn: LICENSE, client_token: randomUUID() });
    const token = (minted.body.license_token as { Token: string }).Token;
    expect((await exchange(client, token)).status).toBe(200);

    await edit('/clients/rights-backend', (answer) => { answer.license_arns = []; });
    const refused = await seenWithinPropagation(() => exchange(client, token), ({ status }) => status !== 200);
    expect(refused).toMatchObject({ status: 403, body: { error: 'access_denied', error_description: `this client no longer holds license ${LICENSE} in its license_arns` } });
    const sdk = new LicenseManagerClient(sdkConfig(server.issuer, 'license-manager', client));
    await expect(sdk.send(new GetAccessTokenCommand({ Token: token }))).rejects.toBeInstanceOf(AccessDeniedException);
  });

  it('a person taken out of the group that holds the license is refused', async () => {
    const person = { username: 'rights-host', password: 'a host until further notice' };
    const created = await admin.post('/accounts', { ...person, groups: ['hosts'] });
    const signedIn = (await authorizationCodeTokens(server.issuer, 'confidential', 'openid', person)).tokens.access_token;
    const minted = await mint(server.issuer, LICENSING_APP, LICENSE_GRANT, {
      license_arn: LICENSE, client_token: randomUUID(), subject_token: signedIn, subject_token_type: ACCESS_TOKEN_TYPE,
    });
    expect(minted.status).toBe(200);
    const token = (minted.body.license_token as { Token: string }).Token;
    expect((await exchange(LICENSING_APP, token)).status).toBe(200);

    await edit(`/accounts/${encodeURIComponent(String(created.body.sub))}`, (answer) => { answer.groups = []; });
    const refused = await seenWithinPropagation(() => exchange(LICENSING_APP, token), ({ status }) => status !== 200);
    expect(refused).toMatchObject({ status: 403, body: { error: 'access_denied', error_description: `this person no longer holds license ${LICENSE} through their groups` } });
  });
});
