import { z } from 'zod';

import { validate } from '../common/param-schema.js';

/**
 * Any AWS partition (aws, aws-cn, aws-us-gov, …), an empty or named region (license ARNs are
 * usually regionless), and a `license:` or `license/` resource. AWS's own model is stricter about
 * the id; the check here only keeps out values that are plainly not a license ARN. The
 * configuration's licenses are held to the same rule, so every configured license can be named.
 */
export const LICENSE_ARN_SHAPE = /^arn:aws[a-z-]*:license-manager:[a-z0-9-]*:[0-9]*:license[:/].+$/;
export const LICENSE_ARN_RULE = 'must be a License Manager license ARN (arn:aws:license-manager::<account>:license:<id>)';
/** AWS's general limit on an ARN's length. */
export const ARN_MAX_LENGTH = 2048;
const ROLE_ARN_SHAPE = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/.+$/;
/** Days a license refresh token may be asked to last, at most. */
export const MAX_EXPIRATION_DAYS = 3650;
export const EXPIRATION_RULE = `must be an integer from 1 to ${MAX_EXPIRATION_DAYS}`;

/** A license token request as a caller states it. */
export interface LicenseTokenInput {
  licenseArn?: string;
  roleArns?: readonly string[];
  expirationInDays?: number;
  tokenProperties?: readonly string[];
  /** CreateToken's idempotency token. */
  clientToken?: string;
}

export const licenseArnSchema = z
  .string({ error: 'is required' })
  .max(ARN_MAX_LENGTH, `must be at most ${ARN_MAX_LENGTH} characters`)
  .regex(LICENSE_ARN_SHAPE, LICENSE_ARN_RULE);

const tokenProperties = z
  .array(z.string().min(1, 'entries must not be empty').max(256, 'entries must be at most 256 characters'))
  .refine((values) => values.length <= 3, 'must have at most 3 entries');

const licenseRequestSchema = z
  .object({
    licenseArn: licenseArnSchema,
    roleArns: z
      .array(z
        .string()
        .max(ARN_MAX_LENGTH, `entries must be at most ${ARN_MAX_LENGTH} characters`)
        .regex(ROLE_ARN_SHAPE, 'entries must be IAM role ARNs (arn:aws:iam::<12-digit account>:role/<name>)'))
      .default([]),
    expirationInDays: z.int(EXPIRATION_RULE).min(1, EXPIRATION_RULE).max(MAX_EXPIRATION_DAYS, EXPIRATION_RULE).default(365),
    tokenProperties: tokenProperties.default([]),
    // Whitespace is refused as AWS refuses it.
    clientToken: z.string({ error: 'is required' }).regex(/^\S{1,2048}$/, 'must be 1 to 2048 characters without whitespace'),
  })
  .transform((p) => ({
    licenseArn: p.licenseArn,
    roleArns: p.roleArns,
    expirationInDays: p.expirationInDays,
    tokenProperties: p.tokenProperties,
    clientToken: p.clientToken,
  }));

export type LicenseTokenRequest = z.output<typeof licenseRequestSchema>;

export function validateLicenseRequest(input: LicenseTokenInput): LicenseTokenRequest {
  return validate(licenseRequestSchema, input);
}

/** The GetAccessToken step as a caller states it: the license refresh token, and the properties wanted of it. */
export interface LicenseExchangeInput {
  assertion?: string;
  tokenProperties?: readonly string[];
}
