import { z } from 'zod';

import { ARN_MAX_LENGTH, LICENSE_ARN_RULE, LICENSE_ARN_SHAPE } from './request.js';

export const licenseSchema = z.strictObject({
  arn: z.string().max(ARN_MAX_LENGTH).regex(LICENSE_ARN_SHAPE, LICENSE_ARN_RULE),
  /** Live (unexpired, undeleted) refresh tokens allowed for this license at once. */
  maxTokens: z.int().min(1).max(10_000_000).default(100),
  /** Live tokens one person may hold of this license at once (seats per person); no such limit when absent. */
  maxTokensPerPerson: z.int().min(1).max(10_000_000).optional(),
});

/** The `licenses` section: the licenses tokens may name; none configured, no license grant. */
export const licensesConfigSchema = z.array(licenseSchema).default([]);

export type LicenseConfig = z.output<typeof licenseSchema>;
