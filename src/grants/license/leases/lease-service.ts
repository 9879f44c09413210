import type { LeaseSigningKey } from '../../../keys/server-signing-key.js';
import type { LeaseStore, ValueStore } from '../../../store/store.js';
import type { Clock } from '../../../time/clock.js';
import type { BanList } from '../../common/ban-list.js';
import type { LicenseConfig } from '../config.js';
import type { EntitlementConfig } from '../entitlements.js';
import type { LicenseDirectory } from '../license-directory.js';
import { holderOf, licenseOfConsumptionToken, newConsumptionToken, type EntitlementData, type LeaseKind, type LeaseRecord } from './lease-record.js';
import { refuse } from './lease-refusal.js';
import {
  assertCheckInAllowed, defined, entitlementCounter, entitlementOf, notLive, personCounter, refusedUnits, replayed, sha256,
} from './lease-rules.js';
import type { CheckInLicenseInput, CheckoutBorrowLicenseInput, CheckoutLicenseInput, ExtendLicenseConsumptionInput, RequestedEntitlement } from './lease-request.js';
import { encodeLeaseToken } from './lease-token.js';

/** A checkout's ClientToken answers the same lease for ten minutes, as CreateToken's does. */
const CLIENT_TOKEN_SECONDS = 600;
const MINUTE = 60;

/** Who calls a lease operation, once their signature is checked. */
export interface LeaseCaller {
  clientId: string;
  /** The person it acts for (temporary credentials of a license token minted for a person); absent when the client acts for itself. */
  person?: string | undefined;
  /** The license token temporary credentials came from. */
  tokenId?: string | undefined;
  /** The licenses it may use: its client's `license_arns`, or the one license of its temporary credentials. */
  mayUse(licenseArn: string): boolean;
  /**
   * Throws when what the caller acts from has ended since it was checked (a MintingError). Asked
   * again once a lease is reserved: an ending sweeps the leases it finds, so a checkout checked
   * before the ending and reserved after its sweep would otherwise keep its lease.
   */
  stillHolds?(): Promise<void>;
}

export type LeaseEventName = 'checkout' | 'extend' | 'check_in' | 'expiry' | 'forced_check_in';

export interface LeaseServiceDependencies {
  issuer: string;
  licenses: LicenseDirectory;
  store: LeaseStore & ValueStore;
  bans: BanList;
  leaseKey: LeaseSigningKey;
  clock: Clock;
  /** Told of every lease that began, changed or ended, for the audit trail; `actor`, whoever forced a check-in (an operator, or stagepass ending a lease with its source). */
  onEvent(event: LeaseEventName, lease: LeaseRecord, actor?: string): void;
}

/** One entitlement's use of a license now. */
export interface EntitlementUsage {
  entitlement: EntitlementConfig;
  consumed: number;
}

/** Whose leases end: a license token's (on its license), a client's or a person's. */
export type LeaseSource = { tokenId: string; licenseArn: string } | { clientId: string } | { person: string };

const comesFrom = (lease: LeaseRecord, source: LeaseSource): boolean => {
  if ('tokenId' in source) return lease.tokenId === source.tokenId;
  return 'clientId' in source ? lease.clientId === source.clientId : lease.person === source.person;
};

/**
 * Leases on a license's entitlements: checkouts take all their units or none, on every instance
 * together; a provisional or borrowed lease gives them back when it ends unless extended, a
 * perpetual one only when checked in.
 */
export class LeaseService {
  constructor(private readonly deps: LeaseServiceDependencies) {}

  async checkout(input: CheckoutLicenseInput, caller: LeaseCaller): Promise<LeaseRecord> {
    const license = await this.#licenseOfProduct(input.ProductSKU, input.KeyFingerprint, caller);
    const ttl = input.CheckoutType === 'PROVISIONAL' ? license.consumption.provisional.maxTimeToLiveInMinutes * MINUTE : undefined;
    return this.#lease(license, input.CheckoutType, ttl, input.Entitlements, caller, {
      clientToken: input.ClientToken, nodeId: input.NodeId, beneficiary: input.Beneficiary,
    });
  }

  async borrow(input: CheckoutBorrowLicenseInput, caller: LeaseCaller): Promise<LeaseRecord> {
    if (input.DigitalSignatureMethod !== 'JWT_PS384') {
      throw refuse('UnsupportedDigitalSignatureMethodException', `DigitalSignatureMethod must be JWT_PS384, not ${input.DigitalSignatureMethod}`);
    }
    const license = await this.#usableLicense(input.LicenseArn, caller);
    const borrow = license.consumption.borrow;
    if (!borrow) throw refuse('ValidationException', `license ${license.arn} does not allow borrowing`);
    return this.#lease(license, 'BORROW', borrow.maxTimeToLiveInMinutes * MINUTE, input.Entitlements, caller, {
      clientToken: input.ClientToken, nodeId: input.NodeId, checkoutMetadata: input.CheckoutMetadata,
    });
  }

  /** Moves a live provisional lease's end to now plus the license's time to live; DryRun says so without moving it. */
  async extend({ LicenseConsumptionToken: token, DryRun }: ExtendLicenseConsumptionInput, caller: LeaseCaller): Promise<LeaseRecord> {
    const { license, lease } = await this.#callersLease(token, caller);
    if (lease.kind !== 'PROVISIONAL') throw refuse('ValidationException', `only a provisional lease can be extended; this one is ${lease.kind}`);
    const until = this.deps.clock.now() + license.consumption.provisional.maxTimeToLiveInMinutes * MINUTE * 1000;
    const extended: LeaseRecord = { ...lease, expiration: new Date(until).toISOString() };
    if (DryRun) return extended;
    if (!(await this.deps.store.renewLease(license.arn, token, until, JSON.stringify(extended)))) throw notLive(token);
    this.deps.onEvent('extend', extended);
    return extended;
  }

  /** Gives a lease's units back at once, where its license allows it. */
  async checkIn({ LicenseConsumptionToken: token }: CheckInLicenseInput, caller: LeaseCaller): Promise<void> {
    const { license, lease } = await this.#callersLease(token, caller);
    assertCheckInAllowed(license, lease);
    const released = await this.deps.store.releaseLease(license.arn, token);
    if (released === undefined) throw notLive(token);
    this.deps.onEvent('check_in', lease);
  }

  /** An operator's check-in, whatever the license allows; false when no such lease is live. */
  async forceCheckIn(licenseArn: string, token: string, actor: string): Promise<boolean> {
    const released = await this.deps.store.releaseLease(licenseArn, token);
    if (released !== undefined) this.deps.onEvent('forced_check_in', JSON.parse(released) as LeaseRecord, actor);
    return released !== undefined;
  }

  /** Ends every lease of a license at once (it was deleted): its units are free, and one made again under its ARN holds none. */
  async endLicense(licenseArn: string, actor: string): Promise<void> {
    for (const record of await this.deps.store.endLeases(licenseArn)) this.deps.onEvent('forced_check_in', JSON.parse(record) as LeaseRecord, actor);
  }

  /**
   * Ends at once, on every instance, the live leases of what came to an end (a license token, a
   * client, a person): none holds its units until it expires, or forever. Endings are rare, so
   * the leases are found by reading each license's.
   */
  async endLeasesOf(source: LeaseSource, actor: string): Promise<void> {
    const licenseArns = 'licenseArn' in source ? [source.licenseArn] : [...(await this.deps.licenses.collection.current()).keys()];
    for (const licenseArn of licenseArns) {
      const ofSource = (await this.deps.store.liveLeases(licenseArn)).filter(({ record }) => comesFrom(JSON.parse(record) as LeaseRecord, source));
      for (const { lease } of ofSource) await this.forceCheckIn(licenseArn, lease, actor);
    }
  }

  /** The license, if the caller may use it. */
  async license(licenseArn: string, caller: LeaseCaller): Promise<LicenseConfig> {
    return this.#usableLicense(licenseArn, caller);
  }

  /** Units held of each entitlement of the license now, the ended leases' given back first. */
  async usage(license: LicenseConfig): Promise<EntitlementUsage[]> {
    await this.#expire(license.arn);
    const units = await this.deps.store.leaseUnits(license.arn);
    return license.entitlements.map((entitlement) => ({ entitlement, consumed: units[entitlementCounter(entitlement.name)] ?? 0 }));
  }

  /** The license's live leases. */
  async liveLeases(licenseArn: string): Promise<LeaseRecord[]> {
    await this.#expire(licenseArn);
    return (await this.deps.store.liveLeases(licenseArn)).map(({ record }) => JSON.parse(record) as LeaseRecord);
  }

  async #lease(license: LicenseConfig, kind: LeaseKind, ttlSeconds: number | undefined, requested: RequestedEntitlement[], caller: LeaseCaller, details: {
    clientToken: string; nodeId?: string | undefined; beneficiary?: string | undefined; checkoutMetadata?: LeaseRecord['checkoutMetadata'];
  }): Promise<LeaseRecord> {
    const entitlements = requested.map((wanted, i) => entitlementOf(license, wanted, i));
    await this.#holdToRate(license, caller);
    const now = this.deps.clock.now();
    const issuedAt = Math.floor(now / 1000);
    const token = newConsumptionToken(license.arn);
    // A perpetual lease's SignedToken proves the checkout for as long as a provisional lease would last.
    const tokenExpiresAt = issuedAt + (ttlSeconds ?? license.consumption.provisional.maxTimeToLiveInMinutes * MINUTE);
    const data: EntitlementData[] = entitlements.map(({ entitlement, units }) => ({ Name: entitlement.name, Value: String(units), Unit: entitlement.unit }));
    const record: LeaseRecord = {
      token, licenseArn: license.arn, kind, entitlements: data, clientId: caller.clientId,
      ...defined({ person: caller.person, tokenId: caller.tokenId, nodeId: details.nodeId, beneficiary: details.beneficiary, checkoutMetadata: details.checkoutMetadata }),
      issuedAt: new Date(issuedAt * 1000).toISOString(),
      ...(ttlSeconds === undefined ? {} : { expiration: new Date((issuedAt + ttlSeconds) * 1000).toISOString() }),
      signedToken: await encodeLeaseToken({
        issuer: this.deps.issuer, subject: caller.person ?? caller.clientId, licenseArn: license.arn, productSku: license.productSku, leaseId: token, kind,
        entitlements: data, nodeId: details.nodeId, checkoutMetadata: details.checkoutMetadata, issuedAt, expiresAt: tokenExpiresAt,
      }, await this.deps.leaseKey.keyFor(tokenExpiresAt)),
    };
    return this.#reserve(license, record, entitlements, caller, details.clientToken);
  }

  async #reserve(license: LicenseConfig, record: LeaseRecord, entitlements: { entitlement: EntitlementConfig; units: number }[], caller: LeaseCaller, clientToken: string): Promise<LeaseRecord> {
    const holder = holderOf(caller);
    const fingerprint = sha256(JSON.stringify([record.kind, record.entitlements, record.nodeId ?? null, record.beneficiary ?? null, record.checkoutMetadata ?? null]));
    const reserved = await this.deps.store.reserveLease({
      group: license.arn,
      lease: record.token,
      units: entitlements.flatMap(({ entitlement, units }) => [
        { counter: entitlementCounter(entitlement.name), units, limit: entitlement.maxCount },
        ...(entitlement.maxCountPerPerson === undefined ? [] : [{ counter: personCounter(holder, entitlement.name), units, limit: entitlement.maxCountPerPerson }]),
      ]),
      record: JSON.stringify(record),
      ...(record.expiration === undefined ? {} : { until: Date.parse(record.expiration) }),
      claim: { name: sha256(JSON.stringify([caller.clientId, caller.person ?? null, clientToken])), value: JSON.stringify({ fingerprint, record }), expiresIn: CLIENT_TOKEN_SECONDS },
    });
    this.#ended(reserved.expired);
    if (reserved.outcome === 'claimed') return replayed(reserved.value, fingerprint);
    if (reserved.outcome === 'refused') throw refusedUnits(license, reserved.counter, holder);
    try {
      await caller.stillHolds?.();
    } catch (error) {
      await this.deps.store.releaseLease(license.arn, record.token);
      throw error;
    }
    this.deps.onEvent('checkout', record);
    return record;
  }

  /** Checkouts per person (or client for itself) per minute, on every instance together. */
  async #holdToRate(license: LicenseConfig, caller: LeaseCaller): Promise<void> {
    const window = Math.floor(this.deps.clock.now() / 60_000);
    const count = await this.deps.store.incrementValue(`license-checkouts:${license.arn}:${holderOf(caller)}:${window}`, MINUTE);
    if (count > license.maxCheckoutsPerPersonPerMinute) {
      throw refuse('RateLimitExceededException', `at most ${license.maxCheckoutsPerPersonPerMinute} checkouts of license ${license.arn} a minute are allowed; try again in a minute`);
    }
  }

  async #licenseOfProduct(productSku: string, keyFingerprint: string | undefined, caller: LeaseCaller): Promise<LicenseConfig> {
    const all = [...(await this.deps.licenses.collection.current()).values()];
    const ofProduct = all.filter((license) => license.productSku === productSku
      && (license.issuer?.keyFingerprint === undefined || license.issuer.keyFingerprint === keyFingerprint));
    if (ofProduct.length === 0) throw refuse('ResourceNotFoundException', `no license of product ${productSku}${keyFingerprint === undefined ? '' : ` and key ${keyFingerprint}`} here`);
    const found = ofProduct.find((license) => caller.mayUse(license.arn));
    if (!found) throw refuse('AccessDeniedException', `this caller may use no license of product ${productSku}`);
    await this.deps.bans.refuse(caller.person, found.arn);
    return found;
  }

  async #usableLicense(licenseArn: string, caller: LeaseCaller): Promise<LicenseConfig> {
    const license = caller.mayUse(licenseArn) ? await this.deps.licenses.find(licenseArn) : undefined;
    if (!license) throw refuse('AccessDeniedException', `no license ${licenseArn} that this caller may use`);
    await this.deps.bans.refuse(caller.person, license.arn);
    return license;
  }

  /** The caller's own live lease: another's is as unknown as one that never was. */
  async #callersLease(token: string, caller: LeaseCaller): Promise<{ license: LicenseConfig; lease: LeaseRecord }> {
    const licenseArn = licenseOfConsumptionToken(token);
    if (licenseArn !== undefined && !caller.mayUse(licenseArn)) throw refuse('AccessDeniedException', `this caller may not use license ${licenseArn}`);
    const license = licenseArn === undefined ? undefined : await this.deps.licenses.find(licenseArn);
    if (!license) throw notLive(token);
    const live = await this.deps.store.findLease(license.arn, token);
    const lease = live && (JSON.parse(live.record) as LeaseRecord);
    if (!lease || lease.clientId !== caller.clientId || lease.person !== caller.person) throw notLive(token);
    return { license, lease };
  }

  async #expire(licenseArn: string): Promise<void> {
    this.#ended(await this.deps.store.expireLeases(licenseArn));
  }

  #ended(records: string[]): void {
    for (const record of records) this.deps.onEvent('expiry', JSON.parse(record) as LeaseRecord);
  }
}
