import type { RoleCredentials, RoleSession } from '../role-credentials.js';
import type { LeaseCaller } from '../leases/lease-service.js';
import { heldLicenseToken, type LicenseTokenSources } from '../token-liveness.js';

/** How the audit trail names role credentials issued. */
export const ASSUME_ROLE_WITH_WEB_IDENTITY = 'sts:AssumeRoleWithWebIdentity';

/**
 * The secret of temporary credentials, and who they act for: the license token's person (or
 * client) on its license only. Looked up at each call, as is everything the license token came
 * from, so credentials end with it on every instance at once.
 */
export function roleCallerResolver(credentials: RoleCredentials) {
  return async (accessKeyId: string, sessionToken: string): Promise<{ secretAccessKey: string; holder: RoleSession } | undefined> => {
    const found = await credentials.resolve(accessKeyId, sessionToken);
    return found && { secretAccessKey: found.secretAccessKey, holder: found.session };
  };
}

/** The lease caller role credentials make, once what they came from is found still to hold (a MintingError when not). */
export async function roleLeaseCaller(session: RoleSession, sources: LicenseTokenSources): Promise<LeaseCaller> {
  const stillHolds = async () => {
    await heldLicenseToken(session.tokenId, sources);
  };
  await stillHolds();
  return { clientId: session.clientId, person: session.person, tokenId: session.tokenId, mayUse: (licenseArn) => licenseArn === session.licenseArn, stillHolds };
}
