import type { BanList } from '../common/ban-list.js';
import { accessDenied, describe, invalidGrant } from '../common/minting-error.js';
import type { People } from '../common/people.js';
import { allows, type Rights } from '../common/rights.js';
import type { LicenseDirectory } from './license-directory.js';
import { LICENSE_RIGHTS } from './policy.js';
import type { LicenseTokenRecord, LicenseTokenRegistry } from './token-registry.js';

/** What a license token comes from, each read as it is now. */
export interface LicenseTokenSources {
  registry: LicenseTokenRegistry;
  licenses: LicenseDirectory;
  bans: BanList;
  people: Pick<People, 'isEnded' | 'findNow'>;
  /** The client's rights now; undefined once the client is deleted. */
  clientRights(clientId: string): Promise<Rights | undefined>;
}

/**
 * The license token's record while everything it came from still holds: the token not deleted nor
 * expired, its license still here, its client still here and still holding the license in its
 * `license_arns`, and its person's account not ended, not banned from the license and still
 * holding it through their groups. What the token gives (access tokens, role credentials, the
 * leases those check out) is only as alive as this, checked at each use, on every instance.
 */
export async function heldLicenseToken(tokenId: string, { registry, licenses, bans, people, clientRights }: LicenseTokenSources): Promise<LicenseTokenRecord> {
  const record = await registry.find(tokenId);
  if (!record || record.Status !== 'AVAILABLE') throw invalidGrant(describe`the license token was deleted or has expired`);
  // Ending an account ends its tokens; this also refuses those no ending reached (an account gone from the configuration file).
  if (record.person !== undefined && (await people.isEnded(record.person))) {
    throw invalidGrant(describe`the license token was minted for an account that is disabled or deleted`);
  }
  const arn = record.LicenseArn;
  if (!(await licenses.find(arn))) throw invalidGrant(describe`license ${arn} no longer exists on this server`);
  const rights = await clientRights(record.clientId);
  if (!rights) throw invalidGrant(describe`the client the license token was issued to was deleted`);
  if (!allows(rights, LICENSE_RIGHTS.licenseArns, arn)) throw accessDenied(describe`this client no longer holds license ${arn} in its license_arns`);
  if (record.person !== undefined) {
    await bans.refuse(record.person, arn);
    const person = await people.findNow(record.person, record.groups ?? []);
    // Membership is what is asked here, not how strongly they signed in: the token was minted after a sign-in its groups asked for.
    const held = [person.rights, ...person.withheld.map(({ rights }) => rights)];
    if (!held.some((rights) => allows(rights, LICENSE_RIGHTS.licenseArns, arn))) throw accessDenied(describe`this person no longer holds license ${arn} through their groups`);
  }
  return record;
}
