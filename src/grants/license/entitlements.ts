import { z } from 'zod';

/** License Manager's EntitlementDataUnit values: an entitlement's unit, which a checkout must name as it is. */
export const ENTITLEMENT_UNITS = [
  'Count', 'None', 'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes',
  'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second',
  'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second',
  'Terabits/Second', 'Count/Second',
] as const;

/** AWS's bound on an entitlement's name and a license's strings. */
const NAME_MAX = 255;
const UNITS_MAX = 1_000_000_000;
/** License Manager keeps a provisional lease an hour unless the license says otherwise; AWS allows up to 2 days of borrowing. */
const TTL_MAX_MINUTES = 43_200;

export const entitlementSchema = z.strictObject({
  name: z.string().min(1).max(NAME_MAX).meta({ description: 'the entitlement\'s name, as checkouts name it' }),
  unit: z.enum(ENTITLEMENT_UNITS).default('Count').meta({ description: 'License Manager\'s `EntitlementDataUnit`: a checkout must name the same' }),
  maxCount: z.int().min(1).max(UNITS_MAX).meta({ description: 'units live leases may hold at once, on every instance together' }),
  maxCountPerPerson: z.int().min(1).max(UNITS_MAX).optional().meta({
    description: 'units the leases of one person (or of a client checking out for itself) may hold at once',
    absent: 'no limit per person',
  }),
  allowCheckIn: z.boolean().default(true).meta({ description: 'whether CheckInLicense gives the units back before the lease ends (a perpetual lease\'s units come back only so)' }),
});

export type EntitlementConfig = z.output<typeof entitlementSchema>;

const minutes = (description: string, defaultMinutes: number) =>
  z.int().min(1).max(TTL_MAX_MINUTES).default(defaultMinutes).meta({ description });

export const consumptionSchema = z.strictObject({
  provisional: z.strictObject({
    maxTimeToLiveInMinutes: minutes('minutes a provisional lease holds its units unless extended (ExtendLicenseConsumption)', 60),
  }).default({ maxTimeToLiveInMinutes: 60 }).meta({ description: 'provisional leases (CheckoutLicense `PROVISIONAL`)' }),
  borrow: z.strictObject({
    allowEarlyCheckIn: z.boolean().default(false).meta({ description: 'whether a borrowed lease may be checked in before it ends' }),
    maxTimeToLiveInMinutes: minutes('minutes a borrowed lease holds its units, offline', 1440),
  }).optional().meta({ description: 'borrowing (CheckoutBorrowLicense)', absent: 'the license cannot be borrowed' }),
}).meta({ description: 'how long leases of the license last' });

export type ConsumptionConfig = z.output<typeof consumptionSchema>;

export const DEFAULT_CONSUMPTION: ConsumptionConfig = { provisional: { maxTimeToLiveInMinutes: 60 } };

export const licenseIssuerSchema = z.strictObject({
  name: z.string().min(1).max(NAME_MAX).meta({ description: 'the issuer\'s name' }),
  keyFingerprint: z.string().min(1).max(NAME_MAX).optional().meta({
    description: 'the fingerprint CheckoutLicense names the issuer by (`KeyFingerprint`)', absent: 'checkouts name the product only',
  }),
});
