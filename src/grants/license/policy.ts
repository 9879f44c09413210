import { accessDenied, describe } from '../common/minting-error.js';
import { allows, type Rights } from '../common/rights.js';

/** The rights field of license tokens: the licenses (`"*"` = every configured one). */
export const LICENSE_RIGHTS = { licenseArns: 'license_arns' } as const;
export const LICENSE_RIGHTS_FIELDS = Object.values(LICENSE_RIGHTS);

export function authorizeLicenseRequest(rights: Rights, licenseArn: string): void {
  if (!allows(rights, LICENSE_RIGHTS.licenseArns, licenseArn)) {
    throw accessDenied(describe`this client may not issue tokens for license ${licenseArn}`);
  }
}
