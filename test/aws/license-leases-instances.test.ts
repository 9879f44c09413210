import { randomUUID } from 'node:crypto';

import {
  CheckoutLicenseCommand, CreateTokenCommand, DeleteTokenCommand, GetAccessTokenCommand, GetLicenseUsageCommand, LicenseManagerClient,
} from '@aws-sdk/client-license-manager';
import { fromWebToken } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { REGION, sdkConfig } from '../support/aws.js';
import { leaseLicense, leaseLicenseArn, seatCheckout } from '../support/leases.js';
import { LICENSE_CLIENTS, ROLE } from '../support/minters.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { newKeysDir, startStagepass, uniqueRedisPrefix, type RunningStagepass } from '../support/stagepass.js';

let a: RunningStagepass;
let b: RunningStagepass;
beforeAll(async () => {
  const shared = { redis: { keyPrefix: uniqueRedisPrefix() }, keysDir: await newKeysDir() };
  const config = { licenses: [leaseLicense('race', { maxCheckoutsPerPersonPerMinute: 1000 }), leaseLicense('shared')], clients: Object.values(LICENSE_CLIENTS) };
  a = await startStagepass({ ...shared, config });
  b = await startStagepass({ ...shared, config });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

/** 200 checkouts of a 3-seat entitlement at once, half through each instance: exactly 3 leases. */
async function raceForThreeSeats(a: RunningStagepass, b: RunningStagepass) {
  const clients = [a, b].map((server) => new LicenseManagerClient(sdkConfig(server.issuer, 'license-manager', LICENSE_CLIENTS.other)));
  const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => clients[i % 2]!.send(new CheckoutLicenseCommand(seatCheckout('race')))));
  const leased = outcomes.filter((outcome) => outcome.status === 'fulfilled');
  const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [(outcome.reason as Error).name] : []));
  expect(leased).toHaveLength(3);
  expect(new Set(refusals)).toEqual(new Set(['NoEntitlementsAllowedException']));
  const { LicenseUsage } = await clients[1]!.send(new GetLicenseUsageCommand({ LicenseArn: leaseLicenseArn('race') }));
  expect(LicenseUsage!.EntitlementUsages![0]).toMatchObject({ Name: 'seats', ConsumedValue: '3', MaxCount: '3' });
}

it('200 concurrent checkouts of a 3-seat entitlement through two instances on one Redis get exactly 3 leases', () => raceForThreeSeats(a, b));

it('role credentials assumed on one instance act on the other, and end on both when their license token is deleted on either', async () => {
  const on = (server: RunningStagepass) => new LicenseManagerClient(sdkConfig(server.issuer, 'license-manager', LICENSE_CLIENTS.other));
  const created = await on(a).send(new CreateTokenCommand({ LicenseArn: leaseLicenseArn('shared'), RoleArns: [ROLE], ClientToken: randomUUID() }));
  const { AccessToken } = await on(a).send(new GetAccessTokenCommand({ Token: created.Token }));
  const credentials = fromWebToken({ roleArn: ROLE, webIdentityToken: AccessToken!, roleSessionName: 'node-1', clientConfig: { region: REGION, endpoint: `${a.issuer}/aws/sts` } });
  const [roleOnA, roleOnB] = [a, b].map((server) => new LicenseManagerClient({ region: REGION, endpoint: `${server.issuer}/aws/license-manager`, credentials, maxAttempts: 1 }));
  const { Credentials } = await roleOnA!.config.credentials().then((held) => ({ Credentials: held }));
  expect(Credentials.accessKeyId).toMatch(/^ASIA/);
  expect((await roleOnB!.send(new CheckoutLicenseCommand(seatCheckout('shared')))).LicenseConsumptionToken).toBeDefined();
  await on(b).send(new DeleteTokenCommand({ TokenId: created.TokenId }));
  for (const role of [roleOnA!, roleOnB!]) await expect(role.send(new CheckoutLicenseCommand(seatCheckout('shared')))).rejects.toMatchObject({ name: 'AuthorizationException' });
});

describe('on a Redis Cluster of three masters', () => {
  let cluster: RedisCluster;
  let onCluster: RunningStagepass[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster();
    const keysDir = await newKeysDir();
    const config = {
      redisUrl: cluster.seedUrl, redisCluster: true, redisKeyPrefix: uniqueRedisPrefix(),
      licenses: [leaseLicense('race', { maxCheckoutsPerPersonPerMinute: 1000 })], clients: Object.values(LICENSE_CLIENTS),
    };
    onCluster = [await startStagepass({ keysDir, config }), await startStagepass({ keysDir, config })];
  });
  afterAll(async () => {
    await Promise.all(onCluster.map((server) => server.close()));
    await cluster?.stop();
  });

  it('200 concurrent checkouts through two instances get exactly 3 leases: a license\'s leases and counters live in one slot', () => raceForThreeSeats(onCluster[0]!, onCluster[1]!));
});
