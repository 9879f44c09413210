import { CheckoutLicenseCommand, GetLicenseUsageCommand, LicenseManagerClient } from '@aws-sdk/client-license-manager';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { sdkConfig } from '../support/aws.js';
import { leaseLicense, leaseLicenseArn, seatCheckout } from '../support/leases.js';
import { LICENSE_CLIENTS } from '../support/minters.js';
import { newKeysDir, startStagepass, uniqueRedisPrefix, type RunningStagepass } from '../support/stagepass.js';

let a: RunningStagepass;
let b: RunningStagepass;
beforeAll(async () => {
  const shared = { redis: { keyPrefix: uniqueRedisPrefix() }, keysDir: await newKeysDir() };
  const config = { licenses: [leaseLicense('race', { maxCheckoutsPerPersonPerMinute: 1000 })], clients: Object.values(LICENSE_CLIENTS) };
  a = await startStagepass({ ...shared, config });
  b = await startStagepass({ ...shared, config });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

it('200 concurrent checkouts of a 3-seat entitlement through two instances on one Redis get exactly 3 leases', async () => {
  const clients = [a, b].map((server) => new LicenseManagerClient(sdkConfig(server.issuer, 'license-manager', LICENSE_CLIENTS.other)));
  const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => clients[i % 2]!.send(new CheckoutLicenseCommand(seatCheckout('race')))));
  const leased = outcomes.filter((outcome) => outcome.status === 'fulfilled');
  const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [(outcome.reason as Error).name] : []));
  expect(leased).toHaveLength(3);
  expect(new Set(refusals)).toEqual(new Set(['NoEntitlementsAllowedException']));
  const { LicenseUsage } = await clients[1]!.send(new GetLicenseUsageCommand({ LicenseArn: leaseLicenseArn('race') }));
  expect(LicenseUsage!.EntitlementUsages![0]).toMatchObject({ Name: 'seats', ConsumedValue: '3', MaxCount: '3' });
});
