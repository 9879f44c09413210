import { describe, expect, it } from 'vitest';

import { parseLicenseParams } from '../../src/grants/license/params.js';

const LICENSE_ARN = 'arn:aws:license-manager::294406891311:license:l-16bf01b2c3d4e5f6a7b8c9d0e1f2a3b4';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/LicenseConsumer';
const required = { license_arn: LICENSE_ARN, client_token: 'b6c1e8f2-idempotency' };

function accepted(raw: Parameters<typeof parseLicenseParams>[0]) {
  const result = parseLicenseParams(raw);
  if (!result.ok) throw new Error(`expected the parameters to be accepted, got: ${result.message}`);
  return result.value;
}

describe('license token request parameters', () => {
  it('default to 365 days with no roles or properties when only the required fields are given', () => {
    expect(accepted(required)).toStrictEqual({
      licenseArn: LICENSE_ARN,
      roleArns: [],
      expirationInDays: 365,
      tokenProperties: [],
      clientToken: 'b6c1e8f2-idempotency',
    });
  });

  it('keep the roles, properties and expiration asked for', () => {
    const value = accepted({ ...required, role_arns: [ROLE_ARN], token_properties: ['a', 'b', 'c'], expiration_in_days: '3650' });
    expect(value).toMatchObject({ roleArns: [ROLE_ARN], tokenProperties: ['a', 'b', 'c'], expirationInDays: 3650 });
  });

  it.each([
    ['a regional license ARN', 'arn:aws:license-manager:us-east-1:123456789012:license:l-abc'],
    ['a license ARN in another partition', 'arn:aws-cn:license-manager::123456789012:license/l-abc'],
  ])('accept %s', (_, arn) => {
    expect(accepted({ ...required, license_arn: arn }).licenseArn).toBe(arn);
  });

  it('accept a role in the GovCloud partition', () => {
    const role = 'arn:aws-us-gov:iam::123456789012:role/path/Consumer';
    expect(accepted({ ...required, role_arns: [role] }).roleArns).toStrictEqual([role]);
  });

  it.each([
    ['a missing license', { license_arn: undefined }, 'license_arn', /license_arn is required/],
    ['a license ARN of another service', { license_arn: 'arn:aws:ivs:us-east-1:123456789012:stage/abc' }, 'license_arn', /license_arn must be a License Manager license ARN/],
    ['a license grant ARN', { license_arn: 'arn:aws:license-manager::123456789012:grant:g-abc' }, 'license_arn', /license_arn must be a License Manager license ARN/],
    ['a license ARN over 2048 characters', { license_arn: `${LICENSE_ARN}${'a'.repeat(2048)}` }, 'license_arn', /license_arn must be at most 2048/],
    ['a license sent twice', { license_arn: [LICENSE_ARN, LICENSE_ARN] }, 'license_arn', /license_arn must be sent once/],
    ['a user ARN among the roles', { role_arns: ['arn:aws:iam::123456789012:user/alice'] }, 'role_arns', /role_arns entries must be IAM role ARNs/],
    ['a role with a short account id', { role_arns: ['arn:aws:iam::1234:role/r'] }, 'role_arns', /role_arns entries must be IAM role ARNs/],
    ['an expiration of 0 days', { expiration_in_days: '0' }, 'expiration_in_days', /expiration_in_days must be an integer from 1 to 3650/],
    ['an expiration over ten years', { expiration_in_days: '3651' }, 'expiration_in_days', /from 1 to 3650/],
    ['a fractional expiration', { expiration_in_days: '1.5' }, 'expiration_in_days', /must be an integer/],
    ['an expiration sent twice', { expiration_in_days: ['1', '2'] }, 'expiration_in_days', /expiration_in_days must be sent once/],
    ['four token properties', { token_properties: ['a', 'b', 'c', 'd'] }, 'token_properties', /token_properties must have at most 3 entries/],
    ['an empty token property', { token_properties: [''] }, 'token_properties', /token_properties entries must not be empty/],
    ['a token property over 256 characters', { token_properties: ['p'.repeat(257)] }, 'token_properties', /token_properties entries must be at most 256/],
    ['a missing client token', { client_token: undefined }, 'client_token', /client_token is required/],
    ['an empty client token', { client_token: '' }, 'client_token', /client_token must be 1 to 2048 characters without whitespace/],
    ['a client token with a space', { client_token: 'two words' }, 'client_token', /without whitespace/],
    ['a client token over 2048 characters', { client_token: 't'.repeat(2049) }, 'client_token', /1 to 2048 characters/],
    ['a client token sent twice', { client_token: ['a', 'b'] }, 'client_token', /client_token must be sent once/],
  ])('refuse %s, naming the field', (_, params, field, message) => {
    const result = parseLicenseParams({ ...required, ...params });
    expect(result).toMatchObject({ ok: false, field });
    if (result.ok) return;
    expect(result.message).toContain(field);
    expect(result.message).toMatch(message);
  });
});
