import { randomUUID } from 'node:crypto';

import {
  CheckoutLicenseCommand, CreateTokenCommand, DeleteTokenCommand, GetAccessTokenCommand, GetLicenseUsageCommand, LicenseManagerClient,
} from '@aws-sdk/client-license-manager';
import { fromWebToken } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/observability/logger.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { REGION, sdkConfig } from '../support/aws.js';
import { withFaults, type FaultyStore } from '../support/faulty-store.js';
import { authorizationCodeTokens } from '../support/flows.js';
import { leaseLicense, leaseLicenseArn, seatCheckout } from '../support/leases.js';
import { ACCESS_TOKEN_TYPE, JWT_BEARER_GRANT, LICENSE_CLIENTS, LICENSE_GRANT, LICENSING_APP, mint, ROLE } from '../support/minters.js';
import { startStagepass, type RunningStagepass } from '../support/stagepass.js';
import { TestClock } from '../support/clock.js';

type Client = { client_id: string; client_secret: string };
type LogLine = Record<string, unknown>;

/** A perpetual checkout holds its seats until checked in: nothing but the ending of what it came from frees them. */
const perpetualSeats = (id: string, seats: number) => seatCheckout(id, seats, { CheckoutType: 'PERPETUAL' });

describe.each([['in memory', false], ['on Redis', true]])('a lease ends at once with what it came from, %s', (_, redis) => {
  const lines: LogLine[] = [];
  let server: RunningStagepass;
  let admin: ReturnType<typeof adminApi>;
  beforeAll(async () => {
    server = await startStagepass({
      redis,
      logger: createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } }),
      config: {
        licenses: ['token', 'client', 'person'].map((id) => leaseLicense(id)),
        clients: [...CLIENTS_WITH_ADMINS.filter(({ client_id }) => client_id !== LICENSING_APP.client_id), LICENSING_APP, ...Object.values(LICENSE_CLIENTS)],
      },
    });
    admin = adminApi(server.issuer, await adminToken(server.issuer));
  });
  afterAll(() => server?.close());

  const licenseManagerAs = (client: Client) => new LicenseManagerClient(sdkConfig(server.issuer, 'license-manager', client));
  const withRoleCredentials = (webIdentityToken: string) => new LicenseManagerClient({
    region: REGION, endpoint: `${server.issuer}/aws/license-manager`, maxAttempts: 1,
    credentials: fromWebToken({ roleArn: ROLE, webIdentityToken, roleSessionName: 'studio-07', clientConfig: { region: REGION, endpoint: `${server.issuer}/aws/sts`, maxAttempts: 1 } }),
  });
  const leasesOf = async (id: string) => (await admin.get(`/licenses/${encodeURIComponent(leaseLicenseArn(id))}/leases`)).body.items as unknown[];
  /** How the lease ended in the audit trail, and in whose name. */
  const endingOf = (lease: string) => lines.filter((line) => line.lease === lease && line.audit === 'lease_forced_check_in').map((line) => line.actor);

  it('DeleteToken ends the perpetual leases its role credentials checked out: their seats are free', async () => {
    const license = leaseLicenseArn('token');
    const created = await licenseManagerAs(LICENSE_CLIENTS.other).send(new CreateTokenCommand({ LicenseArn: license, RoleArns: [ROLE], ClientToken: randomUUID() }));
    const { AccessToken } = await licenseManagerAs(LICENSE_CLIENTS.other).send(new GetAccessTokenCommand({ Token: created.Token }));
    const lease = await withRoleCredentials(AccessToken!).send(new CheckoutLicenseCommand(perpetualSeats('token', 3)));
    await expect(licenseManagerAs(LICENSE_CLIENTS.other).send(new CheckoutLicenseCommand(seatCheckout('token')))).rejects.toMatchObject({ name: 'NoEntitlementsAllowedException' });
    await licenseManagerAs(LICENSE_CLIENTS.other).send(new DeleteTokenCommand({ TokenId: created.TokenId }));
    expect(await leasesOf('token')).toEqual([]);
    const usage = await licenseManagerAs(LICENSE_CLIENTS.other).send(new GetLicenseUsageCommand({ LicenseArn: license }));
    expect(usage.LicenseUsage!.EntitlementUsages!.find(({ Name }) => Name === 'seats')!.ConsumedValue).toBe('0');
    expect((await licenseManagerAs(LICENSE_CLIENTS.other).send(new CheckoutLicenseCommand(seatCheckout('token', 3)))).LicenseConsumptionToken).toBeDefined();
    expect(endingOf(lease.LicenseConsumptionToken!)).toEqual(['stagepass:license-token-ended']);
  });

  it('a client deleted through the Admin API holds no seat', async () => {
    const clientId = `leasing-backend-${randomUUID()}`;
    const made = await admin.post('/clients', { client_id: clientId, grant_types: [LICENSE_GRANT], response_types: [], redirect_uris: [], license_arns: ['*'] });
    const lease = await licenseManagerAs({ client_id: clientId, client_secret: String(made.body.client_secret) }).send(new CheckoutLicenseCommand(perpetualSeats('client', 3)));
    expect(await leasesOf('client')).toHaveLength(1);
    expect((await admin.delete(`/clients/${clientId}`)).status).toBe(204);
    expect(await leasesOf('client')).toEqual([]);
    expect(endingOf(lease.LicenseConsumptionToken!)).toEqual(['stagepass:client-deleted']);
  });

  it('a person whose account is disabled holds no seat', async () => {
    const person = { username: `seated-${randomUUID()}`, password: 'checks out a seat or two' };
    const created = await admin.post('/accounts', person);
    const subjectToken = (await authorizationCodeTokens(server.issuer, 'confidential', 'openid', person)).tokens.access_token;
    const minted = await mint(server.issuer, LICENSING_APP, LICENSE_GRANT, {
      license_arn: leaseLicenseArn('person'), role_arns: ROLE, client_token: randomUUID(), subject_token: subjectToken, subject_token_type: ACCESS_TOKEN_TYPE,
    });
    const exchanged = await mint(server.issuer, LICENSING_APP, JWT_BEARER_GRANT, { assertion: (minted.body.license_token as { Token: string }).Token });
    const lease = await withRoleCredentials(String(exchanged.body.access_token)).send(new CheckoutLicenseCommand(perpetualSeats('person', 2)));
    expect(await leasesOf('person')).toMatchObject([{ person: created.body.sub }]);
    const path = `/accounts/${encodeURIComponent(String(created.body.sub))}`;
    const read = await admin.get(path);
    expect((await admin.put(path, { ...read.body, disabled: true }, { 'if-match': read.headers.get('etag')! })).status).toBe(200);
    expect(await leasesOf('person')).toEqual([]);
    expect(endingOf(lease.LicenseConsumptionToken!)).toEqual(['stagepass:account-ended']);
  });
});

describe('a checkout racing the ending of what it came from', () => {
  let server: RunningStagepass;
  let store: FaultyStore;
  beforeAll(async () => {
    const clock = new TestClock();
    store = withFaults(new MemoryStore(clock));
    server = await startStagepass({ store, clock, config: { licenses: [leaseLicense('race')], clients: [LICENSING_APP, ...Object.values(LICENSE_CLIENTS)] } });
  });
  afterAll(() => server?.close());

  it('keeps no seat when its license token is deleted after the checkout was let in and before its seats were taken', async () => {
    const licenseManager = new LicenseManagerClient(sdkConfig(server.issuer, 'license-manager', LICENSE_CLIENTS.other));
    const created = await licenseManager.send(new CreateTokenCommand({ LicenseArn: leaseLicenseArn('race'), RoleArns: [ROLE], ClientToken: randomUUID() }));
    const { AccessToken } = await licenseManager.send(new GetAccessTokenCommand({ Token: created.Token }));
    const role = new LicenseManagerClient({
      region: REGION, endpoint: `${server.issuer}/aws/license-manager`, maxAttempts: 1,
      credentials: fromWebToken({ roleArn: ROLE, webIdentityToken: AccessToken!, roleSessionName: 'racer', clientConfig: { region: REGION, endpoint: `${server.issuer}/aws/sts`, maxAttempts: 1 } }),
    });
    await role.config.credentials();

    const held = store.holdNext('reserveLease');
    const checkout = role.send(new CheckoutLicenseCommand(perpetualSeats('race', 3)));
    await held.reached;
    await licenseManager.send(new DeleteTokenCommand({ TokenId: created.TokenId }));
    held.release();

    await expect(checkout).rejects.toMatchObject({ name: 'AuthorizationException' });
    const usage = await licenseManager.send(new GetLicenseUsageCommand({ LicenseArn: leaseLicenseArn('race') }));
    expect(usage.LicenseUsage!.EntitlementUsages!.find(({ Name }) => Name === 'seats')!.ConsumedValue).toBe('0');
  });
});
