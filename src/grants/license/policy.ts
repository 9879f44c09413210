import { accessDenied } from '../common/grant-errors.js';

/** `license_arns` lists the licenses a client may issue tokens for; `"*"` means every configured one. */
export function authorizeLicenseRequest(allowedLicenseArns: readonly string[], licenseArn: string): void {
  if (!allowedLicenseArns.includes('*') && !allowedLicenseArns.includes(licenseArn)) {
    throw accessDenied(`this client may not issue tokens for license ${licenseArn}`);
  }
}
