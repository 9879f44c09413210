import { afterEach, describe, expect, it } from 'vitest';

import { LicenseTokenRegistry, listedToken } from '../../src/grants/license/token-registry.js';
import { inGroup } from '../../src/store/keys.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { TestClock } from '../support/clock.js';
import { LICENSES } from '../support/minters.js';

const DAY = 86_400;
const stores: MemoryStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

/** A token as the registry recorded it before tokens named their person apart: `subject` was the token's sub. */
async function recordedEarlier(store: MemoryStore, tokenId: string, clientId: string, subject: string): Promise<void> {
  const record = {
    TokenId: tokenId, TokenType: 'REFRESH_TOKEN', LicenseArn: LICENSES.small, ExpirationTime: new Date(Date.now() + DAY * 1000).toISOString(),
    TokenProperties: [], RoleArns: [], Status: 'AVAILABLE', clientId, subject,
  };
  await store.setValue(`license-of-token:${tokenId}`, LICENSES.small, DAY);
  await store.addToSet(`license-tokens-of-client:${clientId}`, tokenId, DAY);
  await store.setValue(inGroup(LICENSES.small, `license-token:${tokenId}`), JSON.stringify(record), DAY);
}

describe('license tokens recorded before tokens named their person apart', () => {
  it('are their person\'s when their sub was not the client\'s id, and list without it', async () => {
    const clock = new TestClock();
    const store = new MemoryStore(clock);
    stores.push(store);
    const registry = new LicenseTokenRegistry(store, clock);
    await recordedEarlier(store, 'for-a-person', 'backend', 'sub-alice');
    await recordedEarlier(store, 'for-itself', 'backend', 'backend');

    expect(await registry.find('for-a-person')).toMatchObject({ person: 'sub-alice' });
    expect(await registry.find('for-itself')).not.toHaveProperty('person');
    const listed = (await registry.listForClient('backend')).map(listedToken);
    expect(listed.map(({ TokenId }) => TokenId).sort()).toEqual(['for-a-person', 'for-itself']);
    expect(JSON.stringify(listed)).not.toMatch(/sub-alice|subject/);
  });
});
