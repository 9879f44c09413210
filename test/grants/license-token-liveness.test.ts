import { describe, expect, it } from 'vitest';

import { BanList } from '../../src/grants/common/ban-list.js';
import type { Person } from '../../src/grants/common/people.js';
import { licenseSchema } from '../../src/grants/license/config.js';
import { LicenseDirectory } from '../../src/grants/license/license-directory.js';
import { heldLicenseToken, type LicenseTokenSources } from '../../src/grants/license/token-liveness.js';
import { LicenseTokenRegistry } from '../../src/grants/license/token-registry.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { TestClock } from '../support/clock.js';

const ARN = 'arn:aws:license-manager::123456789012:license:l-liveness';
const MFA = { acr: 'urn:stagepass:acr:mfa' };

/** A license token minted for `pia`, and what it comes from, her groups' rights as `person` gives them. */
async function sourcesWith(person: Omit<Person, 'id' | 'groups'>) {
  const clock = new TestClock();
  const store = new MemoryStore(clock);
  const registry = new LicenseTokenRegistry(store, clock);
  await registry.insert({
    TokenId: 'token-1', TokenType: 'REFRESH_TOKEN', LicenseArn: ARN, ExpirationTime: new Date(clock.now() + 86_400_000).toISOString(),
    TokenProperties: [], RoleArns: [], Status: 'AVAILABLE', clientId: 'app', person: 'pia', groups: ['hosts'],
  }, { key: 'claim-1', value: 'issued' }, { maxTokens: 10, expiresIn: 86_400 });
  const sources: LicenseTokenSources = {
    registry,
    licenses: new LicenseDirectory([licenseSchema.parse({ arn: ARN })], store),
    bans: new BanList(store, () => clock.now()),
    people: { isEnded: async () => false, findNow: async (id) => ({ id, groups: ['hosts'], ...person }) },
    clientRights: async () => ({ license_arns: ['*'] }),
  };
  return sources;
}

describe('what a license token needs to be still held', () => {
  it('a group that needs a stronger sign-in than none still holds the license: what is asked is membership, not how the person signed in last', async () => {
    const sources = await sourcesWith({ rights: { license_arns: [] }, withheld: [{ rights: { license_arns: [ARN] }, requires: MFA }] });
    expect((await heldLicenseToken('token-1', sources)).LicenseArn).toBe(ARN);
  });

  it('no group of the person holding the license, withheld or not, is access_denied', async () => {
    const sources = await sourcesWith({ rights: { license_arns: [] }, withheld: [{ rights: { license_arns: ['arn:other'] }, requires: MFA }] });
    await expect(heldLicenseToken('token-1', sources)).rejects.toMatchObject({ code: 'access_denied' });
  });
});
