import { z } from 'zod';

const licenseSchema = z.strictObject({
  arn: z.string().regex(/^arn:aws[a-z-]*:license-manager:/, 'must be a License Manager license ARN'),
  /** Live (unexpired, undeleted) refresh tokens allowed for this license at once. */
  maxTokens: z.int().min(1).max(10_000_000).default(100),
});

/** The `licenses` section: the licenses tokens may name; none configured, no license grant. */
export const licensesConfigSchema = z.array(licenseSchema).default([]);

export type LicenseConfig = z.output<typeof licenseSchema>;
