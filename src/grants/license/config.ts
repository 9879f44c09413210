import { z } from 'zod';

import type { MinterConfiguration } from '../common/minter-configuration.js';
import { consumptionSchema, DEFAULT_CONSUMPTION, entitlementSchema, licenseIssuerSchema } from './entitlements.js';
import { LICENSE_RIGHTS } from './policy.js';
import { ARN_MAX_LENGTH, LICENSE_ARN_RULE, LICENSE_ARN_SHAPE } from './request.js';

export const licenseSchema = z.strictObject({
  arn: z.string().max(ARN_MAX_LENGTH).regex(LICENSE_ARN_SHAPE, LICENSE_ARN_RULE).meta({
    description: 'a License Manager license ARN (`arn:aws…:license-manager:<region>:<account>:license:<id>`)',
  }),
  maxTokens: z.int().min(1).max(10_000_000).default(100).meta({ description: 'live (unexpired, undeleted) tokens the license may have at once' }),
  maxTokensPerPerson: z.int().min(1).max(10_000_000).optional().meta({
    description: 'live tokens one person may hold of the license at once (seats per person), counted in the same atomic step as `maxTokens` on every instance; '
      + 'one more is `resource_limit_exceeded`. It applies to tokens minted for a person (a subject token); a client minting for itself is held to `maxTokens` only',
    absent: 'no limit per person',
  }),
  productSku: z.string().min(1).max(255).optional().meta({
    description: 'the product\'s SKU, which CheckoutLicense names the license by (`ProductSKU`)', absent: 'CheckoutLicense cannot find the license (CheckoutBorrowLicense names it by ARN)',
  }),
  issuer: licenseIssuerSchema.optional().meta({ description: 'who issued the license, as GetLicense shows it', absent: 'none shown; checkouts name the product only' }),
  entitlements: z.array(entitlementSchema).max(100).default([])
    .refine((entitlements) => new Set(entitlements.map(({ name }) => name)).size === entitlements.length, 'must not name an entitlement twice')
    .meta({ description: 'what leases of the license consume (CheckoutLicense, CheckoutBorrowLicense), each counted in units on every instance together' }),
  consumption: consumptionSchema.default(DEFAULT_CONSUMPTION),
  maxCheckoutsPerPersonPerMinute: z.int().min(1).max(1_000_000).default(60).meta({
    description: 'checkouts (CheckoutLicense, CheckoutBorrowLicense) one person (or a client for itself) may make of the license in a minute, '
      + 'on every instance together; one more is `RateLimitExceededException`',
  }),
});

export type LicenseConfig = z.output<typeof licenseSchema>;

export const licenseConfiguration = {
  section: z.array(licenseSchema).default([]).meta({
    title: 'Licenses',
    description: 'The licenses tokens may name. Not empty, or with the Admin API offered (which can add licenses), '
      + 'it turns on license tokens, their exchange, `/licenses/tokens` and the License Manager API.',
  }),
  policyMetadata: { [LICENSE_RIGHTS.licenseArns]: null },
} satisfies MinterConfiguration;
