import { accessDenied, describe } from '../common/minting-error.js';
import { rightsHolders, type MintingCaller } from '../common/minting-service.js';
import { allows } from '../common/rights.js';

/** The rights field of license tokens: the licenses (`"*"` = every configured one). */
export const LICENSE_RIGHTS = { licenseArns: 'license_arns' } as const;
export const LICENSE_RIGHTS_FIELDS = Object.values(LICENSE_RIGHTS);

/** Tokens of the license, within the client's rights and the person's. */
export function authorizeLicenseRequest(caller: MintingCaller, licenseArn: string): void {
  for (const { holder, rights } of rightsHolders(caller)) {
    if (!allows(rights, LICENSE_RIGHTS.licenseArns, licenseArn)) {
      throw accessDenied(describe`${holder} may not issue tokens for license ${licenseArn}`);
    }
  }
}
