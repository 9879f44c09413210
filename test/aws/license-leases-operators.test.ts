import {
  CheckInLicenseCommand, CheckoutBorrowLicenseCommand, CheckoutLicenseCommand, GetLicenseUsageCommand, LicenseManagerClient, ResourceNotFoundException,
} from '@aws-sdk/client-license-manager';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/observability/logger.js';
import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { sdkConfig } from '../support/aws.js';
import { leaseLicense, leaseLicenseArn, seatCheckout } from '../support/leases.js';
import { LICENSE_CLIENTS } from '../support/minters.js';
import { expectAnswersMatch, validatedDocument, type LoggedAnswer } from '../support/openapi.js';
import { startStagepass, type RunningStagepass } from '../support/stagepass.js';

type LogLine = Record<string, unknown>;
const lines: LogLine[] = [];
const log: LoggedAnswer[] = [];

let server: RunningStagepass;
let admin: ReturnType<typeof adminApi>;
beforeAll(async () => {
  server = await startStagepass({
    redis: true,
    logger: createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } }),
    config: {
      licenses: [leaseLicense('watched'), leaseLicense('forced'), leaseLicense('lapsing'), leaseLicense('rotated')],
      clients: [...CLIENTS_WITH_ADMINS, ...Object.values(LICENSE_CLIENTS)],
    },
  });
  admin = adminApi(server.issuer, await adminToken(server.issuer), log);
});
afterAll(async () => {
  expectAnswersMatch(await validatedDocument(server.issuer), log);
  await server?.close();
});

const lm = () => new LicenseManagerClient(sdkConfig(server.issuer, 'license-manager', LICENSE_CLIENTS.other, { systemClockOffset: server.clock.now() - Date.now() }));
const leasesOf = (id: string) => admin.get(`/licenses/${encodeURIComponent(leaseLicenseArn(id))}/leases`);
const auditOf = (lease: string) => lines.filter((line) => line.lease === lease).map((line) => line.audit);

describe('operators', () => {
  it('list a license\'s live leases: who, which node, how many units, until when', async () => {
    const lease = await lm().send(new CheckoutLicenseCommand(seatCheckout('watched', 2, { NodeId: 'studio-07' })));
    const listed = await leasesOf('watched');
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([{
      consumptionToken: lease.LicenseConsumptionToken, kind: 'PROVISIONAL', clientId: LICENSE_CLIENTS.other.client_id, nodeId: 'studio-07',
      entitlements: [{ name: 'seats', unit: 'Count', units: 2 }], issuedAt: lease.IssuedAt, expiration: lease.Expiration,
    }]);
    expect((await admin.get(`/licenses/${encodeURIComponent(leaseLicenseArn('none'))}/leases`)).status).toBe(404);
  });

  it('check a lease in by force: its units are free at once, its holder can no longer use it, and the audit trail says who', async () => {
    const lease = await lm().send(new CheckoutLicenseCommand(seatCheckout('forced', 3, { Entitlements: [{ Name: 'render-hours', Unit: 'Count', Value: '10' }] })));
    const path = `/licenses/${encodeURIComponent(leaseLicenseArn('forced'))}/leases/${encodeURIComponent(lease.LicenseConsumptionToken!)}`;
    expect((await admin.delete(path)).status).toBe(204);
    expect((await admin.delete(path)).status).toBe(404);
    expect((await leasesOf('forced')).body.items).toEqual([]);
    const usage = await lm().send(new GetLicenseUsageCommand({ LicenseArn: leaseLicenseArn('forced') }));
    expect(usage.LicenseUsage!.EntitlementUsages!.find(({ Name }) => Name === 'render-hours')!.ConsumedValue).toBe('0');
    await expect(lm().send(new CheckInLicenseCommand({ LicenseConsumptionToken: lease.LicenseConsumptionToken }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(auditOf(lease.LicenseConsumptionToken!)).toEqual(['lease_checkout', 'lease_forced_check_in']);
    expect(lines.find((line) => line.audit === 'lease_forced_check_in')).toMatchObject({ actor: 'admin-cli', licenseArn: leaseLicenseArn('forced'), entitlements: ['render-hours:10'] });
  });

  it('/metrics shows what each entitlement holds and may hold', async () => {
    await lm().send(new CheckoutLicenseCommand(seatCheckout('watched', 1)));
    const text = await (await fetch(`${server.issuer}/metrics`)).text();
    expect(text).toContain(`stagepass_license_entitlement_consumed{license="${leaseLicenseArn('watched')}",entitlement="seats"} 3`);
    expect(text).toContain(`stagepass_license_entitlement_max{license="${leaseLicenseArn('watched')}",entitlement="seats"} 3`);
    expect(text).toMatch(/stagepass_license_lease_events_total\{event="checkout"\} \d+/);
  });

  it('a lease that ends unrenewed is audited as expired once its units are freed', async () => {
    const lease = await lm().send(new CheckoutLicenseCommand(seatCheckout('lapsing', 3)));
    await expect(lm().send(new CheckoutLicenseCommand(seatCheckout('lapsing', 1)))).rejects.toMatchObject({ name: 'NoEntitlementsAllowedException' });
    server.clock.advance(16 * 60_000);
    expect((await leasesOf('lapsing')).body.items).toEqual([]);
    expect(auditOf(lease.LicenseConsumptionToken!)).toEqual(['lease_checkout', 'lease_expiry']);
  });

  it('a rotation of the signing keys signs new leases with the new RSA key, and a borrowed lease\'s token still verifies offline until it ends', async () => {
    const borrow = () => lm().send(new CheckoutBorrowLicenseCommand({
      LicenseArn: leaseLicenseArn('rotated'), Entitlements: [{ Name: 'seats', Unit: 'Count' }], DigitalSignatureMethod: 'JWT_PS384', ClientToken: crypto.randomUUID(),
    }));
    const before = await borrow();
    const [, rs256] = await server.stagepass.signingKeys.rotate();
    server.clock.advance(61 * 60_000);
    await server.stagepass.signingKeys.refresh();
    const after = await borrow();
    expect(decodeProtectedHeader(after.SignedToken!).kid).toBe(`${rs256!.kid}.ps384`);
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`));
    for (const { SignedToken } of [before, after]) {
      expect((await jwtVerify(SignedToken!, jwks, { algorithms: ['PS384'], currentDate: new Date(server.clock.now()) })).payload.license_arn).toBe(leaseLicenseArn('rotated'));
    }
  });
});
