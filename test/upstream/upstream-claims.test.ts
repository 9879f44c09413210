import { beforeAll, describe, expect, it } from 'vitest';

import { AccountDirectory } from '../../src/accounts/account-directory.js';
import { UpstreamAccounts } from '../../src/accounts/upstream-accounts.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { systemClock } from '../../src/time/clock.js';
import { upstreamPerson } from '../../src/sign-in/upstream/upstream-person.js';

const corp = { id: 'corp', name: 'Corp', groupsClaim: 'groups', groupMap: undefined };

/** The claims ID tokens and userinfo carry for a person, as the directory hands them to oidc-provider. */
async function claimsSaid(upstream: UpstreamAccounts, sub: string) {
  return (await new AccountDirectory([], { upstream }).find(sub))?.claims;
}

describe('what stagepass says of a person an upstream signed in', () => {
  const store = new MemoryStore(systemClock);
  const said = { name: 'Mallory', email: 'alice@example.test', email_verified: true, preferred_username: 'alice' };
  beforeAll(async () => {
    await new UpstreamAccounts(store, ['corp']).save(upstreamPerson(corp, { sub: 'u-7', ...said }, 1_800_000_000));
  });

  it('by default: the email unverified, the username under the provider\'s id', async () => {
    expect(await claimsSaid(new UpstreamAccounts(store, ['corp']), 'corp:u-7')).toEqual({
      name: 'Mallory', email: 'alice@example.test', email_verified: false, preferred_username: 'corp:alice',
    });
  });

  it('with the provider trusted on emails, verified as it says; the same record read either way', async () => {
    expect(await claimsSaid(new UpstreamAccounts(store, ['corp'], ['corp']), 'corp:u-7')).toMatchObject({ email_verified: true, preferred_username: 'corp:alice' });
  });

  it('a person without a username upstream is named by their subject, and one without an email is said to have no verified one', async () => {
    await new UpstreamAccounts(store, ['corp']).save(upstreamPerson(corp, { sub: 'u-8', name: 'Nobody', email_verified: true }, 1_800_000_000));
    expect(await claimsSaid(new UpstreamAccounts(store, ['corp'], ['corp']), 'corp:u-8')).toEqual({ name: 'Nobody', preferred_username: 'corp:u-8' });
  });
});
