import { z } from 'zod';

import type { RawParams } from '../common/form-params.js';
import { list, parseWith, single, type ParseResult } from '../common/param-schema.js';

/**
 * Any AWS partition (aws, aws-cn, aws-us-gov, …), an empty or named region (license ARNs are
 * usually regionless), and a `license:` or `license/` resource. AWS's own model is stricter about
 * the id; the check here only keeps out values that are plainly not a license ARN.
 */
const LICENSE_ARN_SHAPE = /^arn:aws[a-z-]*:license-manager:[a-z0-9-]*:[0-9]*:license[:/].+$/;
const ROLE_ARN_SHAPE = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/.+$/;
/** AWS's general limit on an ARN's length. */
const ARN_MAX_LENGTH = 2048;
const EXPIRATION_RULE = 'expiration_in_days must be an integer from 1 to 3650';
const CLIENT_TOKEN_RULE = 'client_token must be 1 to 2048 characters without whitespace';

const licenseArn = single('license_arn')
  .max(ARN_MAX_LENGTH, `license_arn must be at most ${ARN_MAX_LENGTH} characters`)
  .regex(LICENSE_ARN_SHAPE, 'license_arn must be a License Manager license ARN (arn:aws:license-manager::<account>:license:<id>)');

const roleArns = list(
  'role_arns',
  z
    .string()
    .max(ARN_MAX_LENGTH, `role_arns entries must be at most ${ARN_MAX_LENGTH} characters`)
    .regex(ROLE_ARN_SHAPE, 'role_arns entries must be IAM role ARNs (arn:aws:iam::<12-digit account>:role/<name>)'),
);

const expirationInDays = single('expiration_in_days')
  .regex(/^[0-9]+$/, EXPIRATION_RULE)
  .transform(Number)
  .pipe(z.number().int().min(1, EXPIRATION_RULE).max(3650, EXPIRATION_RULE));

const tokenProperties = list(
  'token_properties',
  z.string().min(1, 'token_properties entries must not be empty').max(256, 'token_properties entries must be at most 256 characters'),
).refine((values) => values.length <= 3, 'token_properties must have at most 3 entries');

// CreateToken's idempotency token; whitespace is refused as AWS refuses it.
const clientToken = single('client_token').regex(/^\S{1,2048}$/, CLIENT_TOKEN_RULE);

const licenseParamsSchema = z
  .object({
    license_arn: licenseArn,
    role_arns: roleArns.default([]),
    expiration_in_days: expirationInDays.default(365),
    token_properties: tokenProperties.default([]),
    client_token: clientToken,
  })
  .transform((p) => ({
    licenseArn: p.license_arn,
    roleArns: p.role_arns,
    expirationInDays: p.expiration_in_days,
    tokenProperties: p.token_properties,
    clientToken: p.client_token,
  }));

export type LicenseTokenRequest = z.output<typeof licenseParamsSchema>;

/** Reads the form parameters of a license token request; the first problem found is reported. */
export function parseLicenseParams(raw: RawParams): ParseResult<LicenseTokenRequest> {
  return parseWith(licenseParamsSchema, raw);
}
