import { z } from 'zod';

import type { RawParams } from '../common/form-params.js';
import { list, parseResult, single, validate, type ParseResult } from '../common/param-schema.js';
import { EXPIRATION_RULE, validateLicenseRequest, type LicenseExchangeInput, type LicenseTokenInput, type LicenseTokenRequest } from './request.js';

/** The token endpoint's names for the license token request's fields. */
export const LICENSE_FORM_NAMES = {
  licenseArn: 'license_arn',
  roleArns: 'role_arns',
  expirationInDays: 'expiration_in_days',
  tokenProperties: 'token_properties',
  clientToken: 'client_token',
} as const;
export const LICENSE_PARAMETERS = Object.values(LICENSE_FORM_NAMES);
// Token properties may contain spaces, so only role ARNs may also come space-separated.
export const LICENSE_SPACE_SEPARATED = ['role_arns'] as const;

/** The token endpoint's names for the exchange's fields. */
export const EXCHANGE_FORM_NAMES = { assertion: 'assertion', tokenProperties: 'token_properties' } as const;
export const EXCHANGE_PARAMETERS = Object.values(EXCHANGE_FORM_NAMES);

const licenseFormSchema = z
  .object({
    license_arn: single().optional(),
    role_arns: list(z.string()).optional(),
    expiration_in_days: single().regex(/^[0-9]+$/, EXPIRATION_RULE).transform(Number).optional(),
    token_properties: list(z.string()).optional(),
    client_token: single().optional(),
  })
  .transform((form): LicenseTokenInput => ({
    licenseArn: form.license_arn,
    roleArns: form.role_arns,
    expirationInDays: form.expiration_in_days,
    tokenProperties: form.token_properties,
    clientToken: form.client_token,
  }));

export function decodeLicenseForm(raw: RawParams): LicenseTokenInput {
  return validate(licenseFormSchema, raw);
}

/** Decoded and checked: the first problem found is reported, named as the form names it. */
export function parseLicenseParams(raw: RawParams): ParseResult<LicenseTokenRequest> {
  return parseResult(() => validateLicenseRequest(decodeLicenseForm(raw)), LICENSE_FORM_NAMES);
}

const exchangeFormSchema = z
  .object({ assertion: single().optional(), token_properties: list(z.string()).optional() })
  .transform((form): LicenseExchangeInput => ({ assertion: form.assertion, tokenProperties: form.token_properties }));

export function decodeExchangeForm(raw: RawParams): LicenseExchangeInput {
  return validate(exchangeFormSchema, raw);
}
