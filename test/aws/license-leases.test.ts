import {
  AccessDeniedException, CheckInLicenseCommand, CheckoutBorrowLicenseCommand, CheckoutLicenseCommand, ConflictException, ExtendLicenseConsumptionCommand,
  GetLicenseCommand, GetLicenseUsageCommand, LicenseManagerClient, NoEntitlementsAllowedException, RateLimitExceededException, ResourceNotFoundException,
  UnsupportedDigitalSignatureMethodException, ValidationException,
} from '@aws-sdk/client-license-manager';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sdkConfig, signedPost } from '../support/aws.js';
import { leaseLicense, leaseLicenseArn, seatCheckout } from '../support/leases.js';
import { LICENSE_CLIENTS } from '../support/minters.js';
import { startStagepass, type RunningStagepass } from '../support/stagepass.js';

const { backend, other } = LICENSE_CLIENTS;
const MINUTE = 60_000;

let server: RunningStagepass;
beforeAll(async () => {
  server = await startStagepass({
    config: {
      licenses: [
        ...['basics', 'expiry', 'extend', 'checkin', 'perpetual', 'borrow', 'idempotent', 'usage', 'refusals'].map((id) => leaseLicense(id)),
        leaseLicense('per-person', { entitlements: [{ name: 'seats', unit: 'Count', maxCount: 10, maxCountPerPerson: 2 }] }),
        leaseLicense('rate', { maxCheckoutsPerPersonPerMinute: 2, entitlements: [{ name: 'seats', unit: 'Count', maxCount: 100 }] }),
        leaseLicense('no-borrow', { consumption: { provisional: { maxTimeToLiveInMinutes: 15 } } }),
        leaseLicense('no-early', { consumption: { provisional: { maxTimeToLiveInMinutes: 15 }, borrow: { allowEarlyCheckIn: false, maxTimeToLiveInMinutes: 60 } } }),
      ],
      clients: Object.values(LICENSE_CLIENTS),
    },
  });
});
afterAll(() => server.close());

/** The SDK client of a machine whose clock is the server's: the tests move the server's on, and a signature is dated. */
const licenseManagerAs = (client: { client_id: string; client_secret: string }) =>
  new LicenseManagerClient(sdkConfig(server.issuer, 'license-manager', client, { systemClockOffset: server.clock.now() - Date.now() }));
const lm = { send: ((command: never) => licenseManagerAs(other).send(command)) as LicenseManagerClient['send'] };
const checkout = (id: string, seats = 1, extra: Record<string, unknown> = {}) => lm.send(new CheckoutLicenseCommand(seatCheckout(id, seats, extra)));
const seatsConsumed = async (id: string) => {
  const { LicenseUsage } = await lm.send(new GetLicenseUsageCommand({ LicenseArn: leaseLicenseArn(id) }));
  return LicenseUsage!.EntitlementUsages!.find(({ Name }) => Name === 'seats')!.ConsumedValue;
};
const verifiedWithJwks = (token: string) => jwtVerify(token, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer, algorithms: ['PS384'] });

describe('CheckoutLicense', () => {
  it('a provisional checkout answers a lease for the license\'s time to live, with a PS384 token /jwks verifies', async () => {
    const answer = await checkout('basics', 2, { NodeId: 'studio-07' });
    expect(answer).toMatchObject({
      CheckoutType: 'PROVISIONAL', LicenseArn: leaseLicenseArn('basics'), NodeId: 'studio-07',
      EntitlementsAllowed: [{ Name: 'seats', Unit: 'Count', Value: '2' }],
    });
    expect(Date.parse(answer.Expiration!) - Date.parse(answer.IssuedAt!)).toBe(15 * MINUTE);
    const { payload, protectedHeader } = await verifiedWithJwks(answer.SignedToken!);
    expect(protectedHeader.alg).toBe('PS384');
    expect(payload).toMatchObject({
      aud: leaseLicenseArn('basics'), sub: other.client_id, jti: answer.LicenseConsumptionToken, node_id: 'studio-07', checkout_type: 'PROVISIONAL',
      entitlements: [{ Name: 'seats', Unit: 'Count', Value: '2' }], exp: Date.parse(answer.Expiration!) / 1000,
    });
    expect(await seatsConsumed('basics')).toBe('2');
  });

  it('takes every entitlement asked for or none: one short refuses the whole checkout with NoEntitlementsAllowedException', async () => {
    const both = checkout('refusals', 2, { Entitlements: [{ Name: 'seats', Unit: 'Count', Value: '2' }, { Name: 'render-hours', Unit: 'Count', Value: '11' }] });
    await expect(both).rejects.toBeInstanceOf(NoEntitlementsAllowedException);
    await expect(both).rejects.toMatchObject({ message: expect.stringContaining('render-hours') });
    expect(await seatsConsumed('refusals')).toBe('0');
  });

  it('a seat left by a machine that died comes back once its lease\'s time is over, with nobody checking it in', async () => {
    await checkout('expiry', 3);
    await expect(checkout('expiry')).rejects.toBeInstanceOf(NoEntitlementsAllowedException);
    server.clock.advance(16 * MINUTE);
    expect(await seatsConsumed('expiry')).toBe('0');
    expect((await checkout('expiry', 3)).LicenseConsumptionToken).toBeDefined();
  });

  it('the same ClientToken answers the same lease, and with another request is refused', async () => {
    const request = seatCheckout('idempotent', 1);
    const first = await lm.send(new CheckoutLicenseCommand(request));
    const again = await lm.send(new CheckoutLicenseCommand(request));
    expect(again.LicenseConsumptionToken).toBe(first.LicenseConsumptionToken);
    expect(await seatsConsumed('idempotent')).toBe('1');
    const changed = lm.send(new CheckoutLicenseCommand({ ...request, Entitlements: [{ Name: 'seats', Unit: 'Count', Value: '2' }] }));
    await expect(changed).rejects.toBeInstanceOf(ValidationException);
    await expect(changed).rejects.toMatchObject({ message: expect.stringContaining('ClientToken') });
  });

  it('one person holds at most maxCountPerPerson units', async () => {
    await checkout('per-person', 2);
    const third = checkout('per-person');
    await expect(third).rejects.toBeInstanceOf(NoEntitlementsAllowedException);
    await expect(third).rejects.toMatchObject({ message: expect.stringContaining('the most one person may hold') });
  });

  it('checkouts past the license\'s rate per person and minute throw RateLimitExceededException until the minute is over', async () => {
    await checkout('rate');
    await checkout('rate');
    await expect(checkout('rate')).rejects.toBeInstanceOf(RateLimitExceededException);
    server.clock.advance(MINUTE);
    expect((await checkout('rate')).LicenseConsumptionToken).toBeDefined();
  });
});

describe('ExtendLicenseConsumption and CheckInLicense', () => {
  it('extending moves a live lease\'s end to now plus the time to live; DryRun moves nothing', async () => {
    const { LicenseConsumptionToken } = await checkout('extend', 3);
    server.clock.advance(10 * MINUTE);
    const dry = await lm.send(new ExtendLicenseConsumptionCommand({ LicenseConsumptionToken, DryRun: true }));
    expect(Date.parse(dry.Expiration!)).toBeGreaterThan(server.clock.now() + 14 * MINUTE);
    server.clock.advance(6 * MINUTE);
    await expect(lm.send(new ExtendLicenseConsumptionCommand({ LicenseConsumptionToken }))).rejects.toBeInstanceOf(ResourceNotFoundException);

    const renewed = await checkout('extend', 3);
    server.clock.advance(10 * MINUTE);
    const extended = await lm.send(new ExtendLicenseConsumptionCommand({ LicenseConsumptionToken: renewed.LicenseConsumptionToken }));
    expect(extended.LicenseConsumptionToken).toBe(renewed.LicenseConsumptionToken);
    server.clock.advance(10 * MINUTE);
    await expect(checkout('extend')).rejects.toBeInstanceOf(NoEntitlementsAllowedException);
    expect(await seatsConsumed('extend')).toBe('3');
  });

  it('checking in gives the units back at once; the lease then cannot be extended or checked in again', async () => {
    const { LicenseConsumptionToken } = await checkout('checkin', 3);
    await lm.send(new CheckInLicenseCommand({ LicenseConsumptionToken }));
    expect(await seatsConsumed('checkin')).toBe('0');
    await expect(lm.send(new CheckInLicenseCommand({ LicenseConsumptionToken }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(lm.send(new ExtendLicenseConsumptionCommand({ LicenseConsumptionToken }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('an entitlement without allowCheckIn keeps its units until the lease ends: ConflictException', async () => {
    const { LicenseConsumptionToken } = await checkout('checkin', 1, { Entitlements: [{ Name: 'render-hours', Unit: 'Count', Value: '4' }] });
    await expect(lm.send(new CheckInLicenseCommand({ LicenseConsumptionToken }))).rejects.toBeInstanceOf(ConflictException);
  });

  it('a perpetual lease has no end: it holds its units until checked in', async () => {
    const perpetual = await checkout('perpetual', 3, { CheckoutType: 'PERPETUAL' });
    expect(perpetual.Expiration).toBeUndefined();
    server.clock.advance(24 * 60 * MINUTE);
    expect(await seatsConsumed('perpetual')).toBe('3');
    const extending = lm.send(new ExtendLicenseConsumptionCommand({ LicenseConsumptionToken: perpetual.LicenseConsumptionToken }));
    await expect(extending).rejects.toBeInstanceOf(ValidationException);
    await lm.send(new CheckInLicenseCommand({ LicenseConsumptionToken: perpetual.LicenseConsumptionToken }));
    expect(await seatsConsumed('perpetual')).toBe('0');
  });

  it('a lease of a license the client\'s license_arns do not name is AccessDeniedException', async () => {
    const { LicenseConsumptionToken } = await checkout('checkin');
    await expect(licenseManagerAs(backend).send(new CheckInLicenseCommand({ LicenseConsumptionToken }))).rejects.toBeInstanceOf(AccessDeniedException);
  });
});

describe('CheckoutBorrowLicense', () => {
  it('lends units for the borrow time to live, with a PS384 token naming the license, entitlements, node and end', async () => {
    const borrowed = await lm.send(new CheckoutBorrowLicenseCommand({
      LicenseArn: leaseLicenseArn('borrow'), Entitlements: [{ Name: 'seats', Unit: 'Count', Value: '1' }], DigitalSignatureMethod: 'JWT_PS384',
      NodeId: 'laptop-3', CheckoutMetadata: [{ Name: 'trip', Value: 'on location' }], ClientToken: crypto.randomUUID(),
    }));
    expect(Date.parse(borrowed.Expiration!) - Date.parse(borrowed.IssuedAt!)).toBe(120 * MINUTE);
    expect(borrowed.CheckoutMetadata).toEqual([{ Name: 'trip', Value: 'on location' }]);
    const { payload } = await verifiedWithJwks(borrowed.SignedToken!);
    expect(decodeProtectedHeader(borrowed.SignedToken!).kid).toMatch(/\.ps384$/);
    expect(payload).toMatchObject({
      license_arn: leaseLicenseArn('borrow'), node_id: 'laptop-3', checkout_type: 'BORROW', entitlements: [{ Name: 'seats', Value: '1', Unit: 'Count' }],
      exp: Date.parse(borrowed.Expiration!) / 1000,
    });
    await lm.send(new CheckInLicenseCommand({ LicenseConsumptionToken: borrowed.LicenseConsumptionToken }));
    expect(await seatsConsumed('borrow')).toBe('0');
  });

  it('a borrowed lease is checked in early only where the license allows it, and otherwise frees its units when it ends', async () => {
    const borrowed = await lm.send(new CheckoutBorrowLicenseCommand({
      LicenseArn: leaseLicenseArn('no-early'), Entitlements: [{ Name: 'seats', Unit: 'Count', Value: '3' }], DigitalSignatureMethod: 'JWT_PS384', ClientToken: crypto.randomUUID(),
    }));
    const early = lm.send(new CheckInLicenseCommand({ LicenseConsumptionToken: borrowed.LicenseConsumptionToken }));
    await expect(early).rejects.toBeInstanceOf(ConflictException);
    await expect(early).rejects.toMatchObject({ message: expect.stringContaining('checked in early') });
    expect(await seatsConsumed('no-early')).toBe('3');
    server.clock.advance(61 * MINUTE);
    expect(await seatsConsumed('no-early')).toBe('0');
  });

  it('refuses another signature method, and a license that does not lend', async () => {
    const borrow = (LicenseArn: string, DigitalSignatureMethod: string) => lm.send(new CheckoutBorrowLicenseCommand({
      LicenseArn, Entitlements: [{ Name: 'seats', Unit: 'Count' }], DigitalSignatureMethod: DigitalSignatureMethod as 'JWT_PS384', ClientToken: crypto.randomUUID(),
    }));
    await expect(borrow(leaseLicenseArn('borrow'), 'RS256')).rejects.toBeInstanceOf(UnsupportedDigitalSignatureMethodException);
    await expect(borrow(leaseLicenseArn('no-borrow'), 'JWT_PS384')).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('does not allow borrowing') });
  });
});

describe('GetLicense and GetLicenseUsage', () => {
  it('show the license\'s product, issuer, entitlements and consumption, and what is used of each', async () => {
    await checkout('usage', 2);
    const { License } = await lm.send(new GetLicenseCommand({ LicenseArn: leaseLicenseArn('usage') }));
    expect(License).toMatchObject({
      LicenseArn: leaseLicenseArn('usage'), ProductSKU: 'sku-usage', Issuer: { Name: 'Studio Inc.', KeyFingerprint: 'studio-key' }, Status: 'AVAILABLE',
      Entitlements: [{ Name: 'seats', MaxCount: 3, Unit: 'Count', AllowCheckIn: true }, { Name: 'render-hours', MaxCount: 10, Unit: 'Count', AllowCheckIn: false }],
      ConsumptionConfiguration: { ProvisionalConfiguration: { MaxTimeToLiveInMinutes: 15 }, BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 120 } },
    });
    const { LicenseUsage } = await lm.send(new GetLicenseUsageCommand({ LicenseArn: leaseLicenseArn('usage') }));
    expect(LicenseUsage!.EntitlementUsages).toEqual([
      { Name: 'seats', ConsumedValue: '2', MaxCount: '3', Unit: 'Count' },
      { Name: 'render-hours', ConsumedValue: '0', MaxCount: '10', Unit: 'Count' },
    ]);
  });

  it('a license outside the client\'s license_arns is AccessDeniedException, and cannot be checked out', async () => {
    await expect(licenseManagerAs(backend).send(new GetLicenseCommand({ LicenseArn: leaseLicenseArn('usage') }))).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(licenseManagerAs(backend).send(new CheckoutLicenseCommand(seatCheckout('usage')))).rejects.toBeInstanceOf(AccessDeniedException);
  });
});

describe('lease operations\' bad input', () => {
  const call = (target: string, body: unknown) => signedPost(`${server.issuer}/aws/license-manager/`, JSON.stringify(body), {
    service: 'license-manager', client: other, signingDate: new Date(server.clock.now()), headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSLicenseManager.${target}` },
  });
  const token = `${Buffer.from(leaseLicenseArn('refusals')).toString('base64url')}.00000000-0000-0000-0000-000000000000`;

  it.each([
    ['CheckoutLicense', {}, 400, 'ValidationException', 'ProductSKU is required'],
    ['CheckoutLicense', { ...seatCheckout('refusals'), CheckoutType: 'FOREVER' }, 400, 'ValidationException', 'CheckoutType must be PROVISIONAL or PERPETUAL'],
    ['CheckoutLicense', { ...seatCheckout('refusals'), Entitlements: [] }, 400, 'ValidationException', 'Entitlements must name at least one entitlement'],
    ['CheckoutLicense', { ...seatCheckout('refusals'), Entitlements: [{ Name: 'seats', Unit: 'Count', Value: '-1' }] }, 400, 'ValidationException', 'Entitlements.0.Value must be a whole number'],
    ['CheckoutLicense', { ...seatCheckout('refusals'), Entitlements: [{ Name: 'seats', Unit: 'Bytes' }] }, 400, 'ValidationException', 'Entitlements.0.Unit must be Count'],
    ['CheckoutLicense', { ...seatCheckout('refusals'), Entitlements: [{ Name: 'gpus', Unit: 'Count' }] }, 400, 'ValidationException', 'has no entitlement gpus'],
    ['CheckoutLicense', { ...seatCheckout('refusals'), ProductSKU: 'sku-none' }, 400, 'ResourceNotFoundException', 'no license of product sku-none and key studio-key here'],
    ['CheckoutLicense', { ...seatCheckout('refusals'), KeyFingerprint: 'another-key' }, 400, 'ResourceNotFoundException', 'no license of product'],
    ['CheckoutLicense', { ...seatCheckout('refusals'), ClientToken: 'two words' }, 400, 'ValidationException', 'ClientToken must be 1 to 2048 characters without whitespace'],
    ['CheckoutBorrowLicense', { LicenseArn: 'arn:nope', Entitlements: [{ Name: 'seats', Unit: 'Count' }], DigitalSignatureMethod: 'JWT_PS384', ClientToken: 'x' }, 400, 'ValidationException', 'LicenseArn must be a License Manager license ARN'],
    ['ExtendLicenseConsumption', {}, 400, 'ValidationException', 'LicenseConsumptionToken is required'],
    ['ExtendLicenseConsumption', { LicenseConsumptionToken: 'not-a-lease' }, 400, 'ResourceNotFoundException', 'no live lease'],
    ['ExtendLicenseConsumption', { LicenseConsumptionToken: token, DryRun: 'yes' }, 400, 'ValidationException', 'DryRun must be true or false'],
    ['CheckInLicense', { LicenseConsumptionToken: token }, 400, 'ResourceNotFoundException', 'no live lease'],
    ['CheckInLicense', { LicenseConsumptionToken: 7 }, 400, 'ValidationException', 'LicenseConsumptionToken must be a string'],
    ['GetLicense', {}, 400, 'ValidationException', 'LicenseArn is required'],
    ['GetLicenseUsage', { LicenseArn: leaseLicenseArn('none') }, 401, 'AccessDeniedException', 'no license'],
  ])('%s with %j answers %i %s', async (target, body, status, errorType, message) => {
    const response = await call(target, body);
    expect(response).toMatchObject({ status, errorType, body: { __type: errorType, Message: expect.stringContaining(message) } });
  });
});
