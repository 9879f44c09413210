import type { LicenseConfig } from '../config.js';
import type { LeaseRecord } from '../leases/lease-record.js';
import type { LeaseCaller, LeaseService } from '../leases/lease-service.js';
import type {
  CheckInLicenseInput, CheckoutBorrowLicenseInput, CheckoutLicenseInput, ExtendLicenseConsumptionInput, LicenseArnInput,
} from '../leases/lease-request.js';

/**
 * CheckoutLicense, CheckoutBorrowLicense, ExtendLicenseConsumption, CheckInLicense, GetLicense and
 * GetLicenseUsage over the lease service, answered in License Manager's shapes.
 */
export function leaseOperations(leases: LeaseService) {
  return {
    async checkoutLicense(input: CheckoutLicenseInput, caller: LeaseCaller) {
      const lease = await leases.checkout(input, caller);
      return { CheckoutType: lease.kind, ...checkedOut(lease) };
    },

    async checkoutBorrowLicense(input: CheckoutBorrowLicenseInput, caller: LeaseCaller) {
      const lease = await leases.borrow(input, caller);
      return { ...checkedOut(lease), ...(lease.checkoutMetadata === undefined ? {} : { CheckoutMetadata: lease.checkoutMetadata }) };
    },

    async extendLicenseConsumption(input: ExtendLicenseConsumptionInput, caller: LeaseCaller) {
      const lease = await leases.extend(input, caller);
      return { LicenseConsumptionToken: lease.token, Expiration: lease.expiration };
    },

    async checkInLicense(input: CheckInLicenseInput, caller: LeaseCaller) {
      await leases.checkIn(input, caller);
      return {};
    },

    async getLicense(input: LicenseArnInput, caller: LeaseCaller) {
      return { License: licenseView(await leases.license(input.LicenseArn, caller)) };
    },

    async getLicenseUsage(input: LicenseArnInput, caller: LeaseCaller) {
      const usage = await leases.usage(await leases.license(input.LicenseArn, caller));
      return {
        LicenseUsage: {
          EntitlementUsages: usage.map(({ entitlement, consumed }) => ({
            Name: entitlement.name, ConsumedValue: String(consumed), MaxCount: String(entitlement.maxCount), Unit: entitlement.unit,
          })),
        },
      };
    },
  };
}

function checkedOut(lease: LeaseRecord) {
  return {
    LicenseArn: lease.licenseArn,
    LicenseConsumptionToken: lease.token,
    EntitlementsAllowed: lease.entitlements,
    SignedToken: lease.signedToken,
    IssuedAt: lease.issuedAt,
    ...(lease.nodeId === undefined ? {} : { NodeId: lease.nodeId }),
    ...(lease.expiration === undefined ? {} : { Expiration: lease.expiration }),
  };
}

/** A license as GetLicense shows it; what stagepass does not keep (validity, home region) is left out. */
function licenseView(license: LicenseConfig) {
  const { provisional, borrow } = license.consumption;
  return {
    LicenseArn: license.arn,
    ...(license.productSku === undefined ? {} : { ProductSKU: license.productSku }),
    ...(license.issuer === undefined ? {} : { Issuer: { Name: license.issuer.name, ...(license.issuer.keyFingerprint === undefined ? {} : { KeyFingerprint: license.issuer.keyFingerprint }) } }),
    Status: 'AVAILABLE',
    Entitlements: license.entitlements.map(({ name, unit, maxCount, allowCheckIn }) => ({ Name: name, MaxCount: maxCount, Unit: unit, AllowCheckIn: allowCheckIn, Overage: false })),
    ConsumptionConfiguration: {
      ProvisionalConfiguration: { MaxTimeToLiveInMinutes: provisional.maxTimeToLiveInMinutes },
      ...(borrow === undefined ? {} : { BorrowConfiguration: { AllowEarlyCheckIn: borrow.allowEarlyCheckIn, MaxTimeToLiveInMinutes: borrow.maxTimeToLiveInMinutes } }),
    },
  };
}
