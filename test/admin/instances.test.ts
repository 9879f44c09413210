import type { AddressInfo } from 'node:net';

import { CheckInLicenseCommand, CheckoutLicenseCommand, GetLicenseUsageCommand, LicenseManagerClient } from '@aws-sdk/client-license-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN_CLIENTS, adminApi, adminToken, CLIENTS_WITH_ADMINS, seenWithinPropagation } from '../support/admin.js';
import { sdkConfig } from '../support/aws.js';
import { authorizationCodeTokens } from '../support/flows.js';
import { leaseLicense, leaseLicenseArn, seatCheckout } from '../support/leases.js';
import { hashPassword } from '../../src/accounts/password.js';
import {
  ACCESS_TOKEN_TYPE, IVS_GRANT, ivsConfig, JWT_BEARER_GRANT, LICENSE_CLIENTS, LICENSE_GRANT, LICENSES, LICENSING_APP, mint, ROLE, STAGES, VIDEO_GRANT, VIDEO_PROJECT,
} from '../support/minters.js';
import { PEOPLE, PEOPLE_APP, peopleAccounts, VIDEO_SESSION } from '../support/people.js';
import { basicAuth, client, postForm } from '../support/relying-party.js';
import { newKeysDir, startStagepass, uniqueRedisPrefix, type RunningStagepass } from '../support/stagepass.js';

let a: RunningStagepass;
let b: RunningStagepass;
let adminOnA: ReturnType<typeof adminApi>;
let viewerToken: string;
/** What a third instance starts with: the same store and keys, its own configuration. */
let sharedWithA: { redis: { keyPrefix: string }; keysDir: string; config: Record<string, unknown> };

/** A configured account that a later configuration removes. */
const LEAVER = { sub: 'sub-leaver', username: 'leaver', password: 'leaving the configuration file' };
/** The license the people's tokens hold their one seat of. */
const SEAT_LICENSE = LICENSES.small;
/** The license a client of the configuration holds the one seat of before it is removed from the file. */
const FORMER_CLIENT_LICENSE = 'arn:aws:license-manager::123456789012:license:l-former-client';

beforeAll(async () => {
  const keysDir = await newKeysDir();
  const redis = { keyPrefix: uniqueRedisPrefix() };
  const config = {
    clients: [
      ...CLIENTS_WITH_ADMINS.filter(({ client_id }) => !([PEOPLE_APP.client_id, LICENSING_APP.client_id] as string[]).includes(client_id)),
      PEOPLE_APP, LICENSING_APP, LICENSE_CLIENTS.other,
    ],
    accounts: [...(await peopleAccounts()), { ...LEAVER, password: await hashPassword(LEAVER.password) }],
    ivs: ivsConfig(keysDir),
    video: VIDEO_PROJECT,
    licenses: [{ arn: SEAT_LICENSE, maxTokens: 1 }, { arn: FORMER_CLIENT_LICENSE, maxTokens: 1 }],
  };
  sharedWithA = { redis, keysDir, config };
  a = await startStagepass({ redis, keysDir, config });
  b = await startStagepass({ redis, keysDir, config });
  adminOnA = adminApi(a.issuer, await adminToken(a.issuer));
  viewerToken = (await authorizationCodeTokens(b.issuer, 'native', 'openid groups', PEOPLE.viewer)).tokens.access_token;
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const asViewer = () => ({ subject_token: viewerToken, subject_token_type: ACCESS_TOKEN_TYPE });
const videoOnB = () => mint(b.issuer, PEOPLE_APP, VIDEO_GRANT, { session_id: VIDEO_SESSION, ...asViewer() });
const ivsOnB = (capabilities: string) => mint(b.issuer, PEOPLE_APP, IVS_GRANT, { stage_arn: STAGES.main.arn, capabilities, ...asViewer() });

/**
 * An instance on A's store and keys, started with a configuration changed from A's: it has A's
 * issuer, as every instance behind one address has, and is reached at its own port (addressOf).
 */
function startedLikeA(change: (config: Record<string, unknown>) => Record<string, unknown>): Promise<RunningStagepass> {
  const { config, ...shared } = sharedWithA;
  return startStagepass({ ...shared, config: { ...change(config), issuer: a.issuer } });
}

const addressOf = (server: RunningStagepass) => `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;

describe('changes made on one instance apply on the other within a second', () => {
  it('a group made on A gives its rights on B, and once deleted takes them away', async () => {
    // Without any group, a person may mint what the client may.
    expect((await ivsOnB('PUBLISH')).status).toBe(200);
    expect((await adminOnA.put('/groups/*', { ivs_stage_arns: [STAGES.main.arn], ivs_capabilities: ['SUBSCRIBE'] })).status).toBe(201);
    const refused = await seenWithinPropagation(() => ivsOnB('PUBLISH'), ({ status }) => status === 403);
    expect(refused.status).toBe(403);
    expect(refused.body.error_description).toContain('this person');
    expect((await ivsOnB('SUBSCRIBE')).status).toBe(200);

    expect((await adminOnA.put('/groups/*', { ivs_stage_arns: [STAGES.main.arn], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'] })).status).toBe(200);
    expect((await seenWithinPropagation(() => ivsOnB('PUBLISH'), ({ status }) => status === 200)).status).toBe(200);
    // The group gives no video role; deleted, no group is left and the client's rights decide again.
    expect((await videoOnB()).status).toBe(403);
    expect((await adminOnA.delete('/groups/*')).status).toBe(204);
    expect((await seenWithinPropagation(videoOnB, ({ status }) => status === 200)).status).toBe(200);
  });

  it('a ban set on A refuses that person on B, and lifted on A lets them mint on B again', async () => {
    const video = videoOnB;
    expect((await video()).status).toBe(200);
    expect((await adminOnA.put(`/bans/${PEOPLE.viewer.sub}`, { resources: [VIDEO_SESSION], reason: 'heckling' })).status).toBe(201);
    const refused = await seenWithinPropagation(video, ({ status }) => status === 403);
    expect(refused.body).toEqual({ error: 'access_denied', error_description: `this person is banned from ${VIDEO_SESSION} until the ban is lifted: heckling` });
    expect((await ivsOnB('SUBSCRIBE')).status).toBe(200);
    expect((await adminOnA.delete(`/bans/${PEOPLE.viewer.sub}`)).status).toBe(204);
    expect((await seenWithinPropagation(video, ({ status }) => status === 200)).status).toBe(200);
  });

  it('a license added on A mints on B; removed on A, its tokens stop exchanging on B', async () => {
    const arn = LICENSES.large;
    expect((await adminOnA.post('/licenses', { arn, maxTokens: 5 })).status).toBe(201);
    const minted = await seenWithinPropagation(
      () => mint(b.issuer, LICENSE_CLIENTS.other, LICENSE_GRANT, { license_arn: arn, client_token: 'on-b', role_arns: ROLE }),
      ({ status }) => status === 200,
    );
    expect(minted.status).toBe(200);
    const exchange = () => mint(b.issuer, LICENSE_CLIENTS.other, JWT_BEARER_GRANT, { assertion: String(minted.body.access_token) });
    expect((await exchange()).status).toBe(200);
    expect((await adminOnA.delete(`/licenses/${encodeURIComponent(arn)}`)).status).toBe(204);
    const refused = await seenWithinPropagation(exchange, ({ status }) => status === 400);
    expect(refused.body.error).toBe('invalid_grant');
    expect(refused.body.error_description).toBe('the license token was deleted or has expired');
  });

  it('a license deleted on A frees its leases\' units on B at once: made again under its ARN, it holds no lease', async () => {
    const arn = leaseLicenseArn('instances');
    const path = `/licenses/${encodeURIComponent(arn)}`;
    const onB = new LicenseManagerClient(sdkConfig(b.issuer, 'license-manager', LICENSE_CLIENTS.other, { systemClockOffset: b.clock.now() - Date.now() }));
    expect((await adminOnA.post('/licenses', leaseLicense('instances'))).status).toBe(201);
    const held = await seenWithinPropagation(() => onB.send(new CheckoutLicenseCommand(seatCheckout('instances', 3))).catch(() => undefined), (lease) => lease !== undefined);
    await onB.send(new CheckoutLicenseCommand({ ...seatCheckout('instances'), CheckoutType: 'PERPETUAL', Entitlements: [{ Name: 'render-hours', Unit: 'Count', Value: '10' }] }));
    expect((await adminOnA.delete(path)).status).toBe(204);
    expect((await adminOnA.post('/licenses', leaseLicense('instances'))).status).toBe(201);
    expect((await adminOnA.get(`${path}/leases`)).body.items).toEqual([]);
    const usage = await onB.send(new GetLicenseUsageCommand({ LicenseArn: arn }));
    expect(usage.LicenseUsage!.EntitlementUsages!.map(({ Name, ConsumedValue }) => [Name, ConsumedValue])).toEqual([['seats', '0'], ['render-hours', '0']]);
    expect((await onB.send(new CheckoutLicenseCommand(seatCheckout('instances', 3)))).LicenseConsumptionToken).not.toBe(held!.LicenseConsumptionToken);
    await expect(onB.send(new CheckInLicenseCommand({ LicenseConsumptionToken: held!.LicenseConsumptionToken }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('an account created on A signs in on B; disabled on A, B refuses its tokens and its sign-in', async () => {
    const person = { username: 'made-on-a', password: 'made on instance a, used on b' };
    const created = await adminOnA.post('/accounts', person);
    expect(created.status).toBe(201);
    const { config, tokens } = await authorizationCodeTokens(b.issuer, 'native', 'openid offline_access', person);
    expect(tokens.claims()?.sub).toBe(created.body.sub);
    const mintOnB = () => mint(b.issuer, PEOPLE_APP, VIDEO_GRANT, { session_id: VIDEO_SESSION, subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN_TYPE });
    expect((await mintOnB()).status).toBe(200);

    expect((await adminOnA.put(`/accounts/${created.body.sub}`, { username: person.username, disabled: true })).status).toBe(200);
    const refused = await seenWithinPropagation(mintOnB, ({ status }) => status === 400);
    expect(refused.body.error).toBe('invalid_grant');
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The sign-in page answers again, refusing the password, where it would have gone on to consent.
    await expect(authorizationCodeTokens(b.issuer, 'native', 'openid', person)).rejects.toThrow('no form posting to …/confirm');
  });

  it('an account deleted on A: its license tokens exchange no more on B, and their seat is free on B', async () => {
    const person = { username: 'seat-holder', password: 'holds the one seat of the license' };
    const created = await adminOnA.post('/accounts', person);
    expect(created.status).toBe(201);
    const { tokens } = await authorizationCodeTokens(b.issuer, 'confidential', 'openid', person);
    const minted = await mint(b.issuer, LICENSING_APP, LICENSE_GRANT, {
      license_arn: SEAT_LICENSE, client_token: 'seat-holder', subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN_TYPE,
    });
    expect(minted.status).toBe(200);
    const exchangeOnB = () => mint(b.issuer, LICENSING_APP, JWT_BEARER_GRANT, { assertion: String(minted.body.access_token) });
    expect((await exchangeOnB()).status).toBe(200);

    expect((await adminOnA.delete(`/accounts/${created.body.sub}`)).status).toBe(204);
    expect((await exchangeOnB()).body.error).toBe('invalid_grant');
    const seat = await mint(b.issuer, LICENSE_CLIENTS.other, LICENSE_GRANT, { license_arn: SEAT_LICENSE, client_token: 'seat-taken-over' });
    expect(seat.status).toBe(200);
    expect((await mint(b.issuer, LICENSE_CLIENTS.other, JWT_BEARER_GRANT, { assertion: String(seat.body.access_token) })).status).toBe(200);
    expect((await fetch(`${b.issuer}/licenses/tokens/${(seat.body.license_token as { TokenId: string }).TokenId}`, {
      method: 'DELETE', headers: basicAuth(LICENSE_CLIENTS.other.client_id, LICENSE_CLIENTS.other.client_secret),
    })).status).toBe(204);
  });

  it('an account removed from the configuration: its license tokens exchange no more on an instance started without it', async () => {
    const { tokens } = await authorizationCodeTokens(a.issuer, 'confidential', 'openid', LEAVER);
    const minted = await mint(a.issuer, LICENSING_APP, LICENSE_GRANT, {
      license_arn: SEAT_LICENSE, client_token: 'leaver', subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN_TYPE,
    });
    expect(minted.status).toBe(200);
    const exchange = (at: string) => mint(at, LICENSING_APP, JWT_BEARER_GRANT, { assertion: String(minted.body.access_token) });
    expect((await exchange(a.issuer)).status).toBe(200);

    const without = await startedLikeA((config) => ({ ...config, accounts: (config.accounts as { sub: string }[]).filter(({ sub }) => sub !== LEAVER.sub) }));
    try {
      const refused = await exchange(addressOf(without));
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({ error: 'invalid_grant', error_description: 'the license token was minted for an account that is disabled or deleted' });
    } finally {
      await without.close();
    }
  });

  it('a client removed from the configuration: one made under its id through the Admin API inherits none of its license tokens', async () => {
    const former = LICENSE_CLIENTS.other;
    const minted = await mint(a.issuer, former, LICENSE_GRANT, { license_arn: FORMER_CLIENT_LICENSE, client_token: 'former' });
    expect(minted.status).toBe(200);

    const without = await startedLikeA((config) => ({ ...config, clients: (config.clients as { client_id: string }[]).filter(({ client_id }) => client_id !== former.client_id) }));
    try {
      const at = addressOf(without);
      const admin = adminApi(at, String((await postForm(`${at}/token`, { grant_type: 'client_credentials', scope: 'stagepass:admin' },
        basicAuth(ADMIN_CLIENTS.admin.client_id, ADMIN_CLIENTS.admin.client_secret))).body.access_token));
      const { client_secret: _secret, ...metadata } = former;
      const made = await admin.post('/clients', metadata);
      expect(made.status).toBe(201);
      const again = { client_id: former.client_id, client_secret: String(made.body.client_secret) };

      const listed = await fetch(`${at}/licenses/tokens`, { headers: basicAuth(again.client_id, again.client_secret) });
      expect(((await listed.json()) as { Tokens: unknown[] }).Tokens).toEqual([]);
      expect((await mint(at, again, JWT_BEARER_GRANT, { assertion: String(minted.body.access_token) })).body.error).toBe('invalid_grant');
      expect((await mint(at, again, LICENSE_GRANT, { license_arn: FORMER_CLIENT_LICENSE, client_token: 'former' })).status).toBe(200);
    } finally {
      await without.close();
    }
  });

  it('two operators creating one username on two instances at once: exactly one account is made', async () => {
    const adminOnB = adminApi(b.issuer, await adminToken(b.issuer));
    const account = { username: 'wanted-by-two', password: 'either of the two operators' };
    const answers = await Promise.all([adminOnA.post('/accounts', account), adminOnB.post('/accounts', account)]);
    expect(answers.map(({ status }) => status).sort()).toEqual([201, 409]);
  });

  it('two operators changing one group from the same ETag on two instances: one wins, the other is told 412', async () => {
    const adminOnB = adminApi(b.issuer, await adminToken(b.issuer));
    const created = await adminOnA.put('/groups/racers', { video_roles: ['subscriber'] });
    const etag = created.headers.get('etag')!;
    const answers = await Promise.all([
      adminOnA.put('/groups/racers', { video_roles: ['publisher'] }, { 'if-match': etag }),
      adminOnB.put('/groups/racers', { video_roles: ['moderator'] }, { 'if-match': etag }),
    ]);
    expect(answers.map(({ status }) => status).sort()).toEqual([200, 412]);
    const winner = answers.find(({ status }) => status === 200)!;
    expect((await adminOnB.get('/groups/racers')).body.rights).toEqual(winner.body.rights);
  });
});
