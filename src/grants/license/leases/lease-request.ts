import { z } from 'zod';

import { ENTITLEMENT_UNITS } from '../entitlements.js';
import { ARN_MAX_LENGTH, LICENSE_ARN_RULE, LICENSE_ARN_SHAPE } from '../request.js';

export type EntitlementDataUnit = (typeof ENTITLEMENT_UNITS)[number];

/**
 * The lease operations' inputs, in License Manager's names, with the rules of its model: what a
 * request that breaks them is refused with names the field (`ValidationException`).
 */
const clientToken = z.string({ error: 'is required' }).regex(/^\S{1,2048}$/, 'must be 1 to 2048 characters without whitespace');
const nodeId = z.string().min(1, 'must not be empty').max(2048, 'must be at most 2048 characters').optional();
const UNITS_RULE = 'must be a whole number of units from 1 to 1000000000, as a string';

const entitlementData = z.object({
  Name: z.string({ error: 'is required' }).min(1, 'must not be empty').max(255, 'must be at most 255 characters'),
  Value: z.string().regex(/^[1-9][0-9]{0,9}$/, UNITS_RULE).refine((value) => Number(value) <= 1_000_000_000, UNITS_RULE).optional(),
  Unit: z.enum(ENTITLEMENT_UNITS, { error: `must be one of License Manager's units (${ENTITLEMENT_UNITS.slice(0, 3).join(', ')}, …)` }),
});

const entitlements = z.array(entitlementData, { error: 'is required' })
  .min(1, 'must name at least one entitlement')
  .max(100, 'must name at most 100 entitlements')
  .refine((list) => new Set(list.map(({ Name }) => Name)).size === list.length, 'must not name an entitlement twice');

export const checkoutLicenseInput = z.object({
  ProductSKU: z.string({ error: 'is required' }).min(1, 'must not be empty').max(255, 'must be at most 255 characters'),
  CheckoutType: z.enum(['PROVISIONAL', 'PERPETUAL'], { error: 'must be PROVISIONAL or PERPETUAL' }),
  KeyFingerprint: z.string().max(255, 'must be at most 255 characters').optional(),
  Entitlements: entitlements,
  ClientToken: clientToken,
  Beneficiary: z.string().max(255, 'must be at most 255 characters').optional(),
  NodeId: nodeId,
});

export const checkoutBorrowLicenseInput = z.object({
  LicenseArn: z.string({ error: 'is required' }).max(ARN_MAX_LENGTH, `must be at most ${ARN_MAX_LENGTH} characters`).regex(LICENSE_ARN_SHAPE, LICENSE_ARN_RULE),
  Entitlements: entitlements,
  DigitalSignatureMethod: z.string({ error: 'is required' }),
  NodeId: nodeId,
  CheckoutMetadata: z.array(z.object({ Name: z.string().max(255).optional(), Value: z.string().max(1024).optional() })).max(20, 'must have at most 20 entries').optional(),
  ClientToken: clientToken,
});

const consumptionToken = z.string({ error: 'is required' }).min(1, 'must not be empty').max(2048, 'must be at most 2048 characters');

export const extendLicenseConsumptionInput = z.object({ LicenseConsumptionToken: consumptionToken, DryRun: z.boolean().optional() });
export const checkInLicenseInput = z.object({ LicenseConsumptionToken: consumptionToken, Beneficiary: z.string().max(255).optional() });
export const licenseArnInput = z.object({
  LicenseArn: z.string({ error: 'is required' }).max(ARN_MAX_LENGTH, `must be at most ${ARN_MAX_LENGTH} characters`).regex(LICENSE_ARN_SHAPE, LICENSE_ARN_RULE),
  Version: z.string().max(255).optional(),
});

export type CheckoutLicenseInput = z.output<typeof checkoutLicenseInput>;
export type CheckoutBorrowLicenseInput = z.output<typeof checkoutBorrowLicenseInput>;
export type ExtendLicenseConsumptionInput = z.output<typeof extendLicenseConsumptionInput>;
export type CheckInLicenseInput = z.output<typeof checkInLicenseInput>;
export type LicenseArnInput = z.output<typeof licenseArnInput>;
export type RequestedEntitlement = z.output<typeof entitlementData>;
