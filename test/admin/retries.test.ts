import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { MemoryStore } from '../../src/store/memory-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Store } from '../../src/store/store.js';
import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { withFaults, type FaultyStore } from '../support/faulty-store.js';
import { client, relyingParty } from '../support/relying-party.js';
import { ScriptedUser } from '../support/scripted-user.js';
import { REDIRECT_URI, startStagepass, uniqueRedisPrefix, type RunningStagepass } from '../support/stagepass.js';

async function redisStore(): Promise<Store> {
  const store = new RedisStore({ url: inject('redisUrl'), keyPrefix: uniqueRedisPrefix() });
  await store.connect();
  return store;
}

const backends: [string, () => Promise<Store>][] = [
  ['memory', async () => new MemoryStore()],
  ['redis', redisStore],
];

describe.each(backends)('Admin API calls sent again (%s store)', (_name, createStore) => {
  let store: FaultyStore;
  let server: RunningStagepass;
  let admin: ReturnType<typeof adminApi>;

  beforeAll(async () => {
    store = withFaults(await createStore());
    server = await startStagepass({ store, config: { clients: CLIENTS_WITH_ADMINS } });
    admin = adminApi(server.issuer, await adminToken(server.issuer));
  });
  afterAll(() => server?.close());

  let counter = 0;
  function newPerson() {
    counter += 1;
    return { sub: `retried-${counter}`, username: `retried-${counter}`, password: `the password of retried ${counter}` };
  }

  /** Signs in on the pages; true when the password was taken and the flow went on to the client. */
  async function signsIn(username: string, password: string): Promise<boolean> {
    const config = await relyingParty(server.issuer, 'confidential');
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid', state: client.randomState(),
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    const user = new ScriptedUser();
    const after = await user.submit(await user.visit(url.href), '/login', { username, password });
    return after.status !== 401 && !after.html.includes('Wrong username or password');
  }

  it('a creation sent twice leaves the account whole: it still signs in, and its username stays its own', async () => {
    const person = newPerson();
    expect((await admin.post('/accounts', person)).status).toBe(201);
    const again = await admin.post('/accounts', person);
    expect(again.status).toBe(409);
    expect(again.body.error_description).toBe(`account ${person.sub} exists already`);
    expect(await signsIn(person.username, person.password)).toBe(true);
    const taker = await admin.post('/accounts', { ...newPerson(), username: person.username });
    expect(taker.status).toBe(409);
    expect(taker.body.error_description).toBe(`username ${person.username} is taken by another account`);
    expect((await admin.get(`/accounts/${person.sub}`)).body.username).toBe(person.username);
  });
});
