import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RedisStore } from '../../src/store/redis-store.js';
import { systemClock } from '../../src/time/clock.js';
import { createLogger } from '../../src/observability/logger.js';
import {
  adminApi, adminToken, clientCredentialsToken, CLIENTS_WITH_ADMINS, RESOURCE_SERVER, SERVICE_METADATA, signedInTokens, WEB_APP_METADATA,
} from '../support/admin.js';
import { withFaults, type Fault, type FaultyStore } from '../support/faulty-store.js';
import { authorizationCodeTokens, passwordTaken } from '../support/flows.js';
import { LICENSES } from '../support/minters.js';
import { startOwnedRedis, type OwnedRedis } from '../support/redis-server.js';
import { basicAuth, postForm } from '../support/relying-party.js';
import { startStagepass, uniqueRedisPrefix, type RunningStagepass } from '../support/stagepass.js';
import { STORE_BACKENDS } from '../support/stores.js';

describe.each(STORE_BACKENDS)('Admin API calls sent again (%s store)', (_name, createStore) => {
  let store: FaultyStore;
  let server: RunningStagepass;
  let admin: ReturnType<typeof adminApi>;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    store = withFaults(await createStore());
    server = await startStagepass({
      store,
      logger: createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } }),
      config: { clients: [...CLIENTS_WITH_ADMINS, RESOURCE_SERVER], licenses: [{ arn: LICENSES.small, maxTokens: 10 }] },
    });
    admin = adminApi(server.issuer, await adminToken(server.issuer));
  });
  afterAll(() => server?.close());

  /** The admin_change events of one resource's item, as `action by client`. */
  const changesOf = (id: string) => lines.filter((line) => line.audit === 'admin_change' && line.id === id).map(({ action, clientId }) => `${String(action)} by ${String(clientId)}`);
  const active = async (token: string) =>
    (await postForm(`${server.issuer}/token/introspection`, { token }, basicAuth(RESOURCE_SERVER.client_id, RESOURCE_SERVER.client_secret))).body.active;

  /** The call fails as an outage would at `fault`; its answer is 503, whether or not the write it failed at was made. */
  async function failingAt<T extends { status: number }>(fault: Fault & { key?: string }, call: () => Promise<T>): Promise<void> {
    store.failNext({ method: fault.method, when: fault.when, model: fault.key ?? fault.model });
    const answer = await call();
    expect(answer.status).toBe(503);
  }

  let counter = 0;
  function newPerson() {
    counter += 1;
    return { sub: `retried-${counter}`, username: `retried-${counter}`, password: `the password of retried ${counter}` };
  }

  it('a creation sent twice leaves the account whole: it still signs in, and its username stays its own', async () => {
    const person = newPerson();
    expect((await admin.post('/accounts', person)).status).toBe(201);
    const again = await admin.post('/accounts', person);
    expect(again.status).toBe(409);
    expect(again.body.error_description).toBe(`account ${person.sub} exists already`);
    expect(await passwordTaken(server.issuer, person.username, person.password)).toBe(true);
    const taker = await admin.post('/accounts', { ...newPerson(), username: person.username });
    expect(taker.status).toBe(409);
    expect(taker.body.error_description).toBe(`username ${person.username} is taken by another account`);
    expect((await admin.get(`/accounts/${person.sub}`)).body.username).toBe(person.username);
  });

  describe('a change answered 503 after its write was made is finished by its retry, side effects and audit event included', () => {
    it('an account\'s deletion ends its grants at once, and its retry answers 204, the deletion audited once', async () => {
      const person = newPerson();
      await admin.post('/accounts', person);
      const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential', 'openid offline_access', person);
      await failingAt({ method: 'replaceValue', when: 'after', key: `account:${person.sub}` }, () => admin.delete(`/accounts/${person.sub}`));
      expect(await active(tokens.access_token)).toBe(false);
      const retried = await admin.delete(`/accounts/${person.sub}`);
      expect(retried.status).toBe(204);
      expect(await active(tokens.access_token)).toBe(false);
      expect(await passwordTaken(server.issuer, person.username, person.password)).toBe(false);
      expect((await admin.post('/accounts', { ...newPerson(), username: person.username })).status).toBe(201);
      expect(changesOf(person.sub)).toEqual(['create by admin-cli', 'delete by admin-cli']);
    });

    it('an account\'s deletion is finished by the next read of it too, before any retry', async () => {
      const person = newPerson();
      await admin.post('/accounts', person);
      const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential', 'openid offline_access', person);
      await failingAt({ method: 'replaceValue', when: 'after', key: `account:${person.sub}` }, () => admin.delete(`/accounts/${person.sub}`));
      expect((await admin.get(`/accounts/${person.sub}`)).status).toBe(404);
      expect(await active(tokens.access_token)).toBe(false);
      expect(changesOf(person.sub)).toEqual(['create by admin-cli', 'delete by admin-cli']);
    });

    it('an account\'s disabling ends its grants at once, and its retry with the If-Match it was sent with answers 200, one update event', async () => {
      const person = newPerson();
      const created = await admin.post('/accounts', person);
      const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential', 'openid offline_access', person);
      const disable = () => admin.put(`/accounts/${person.sub}`, { username: person.username, disabled: true }, { 'if-match': created.headers.get('etag')! });
      await failingAt({ method: 'replaceValue', when: 'after', key: `account:${person.sub}` }, disable);
      // Its grants were revoked before the write as well: a disabling never retried has ended them too.
      expect(await active(tokens.access_token)).toBe(false);
      const retried = await disable();
      expect(retried.status).toBe(200);
      expect(retried.body.disabled).toBe(true);
      expect(await active(tokens.access_token)).toBe(false);
      expect(changesOf(person.sub)).toEqual(['create by admin-cli', 'update by admin-cli']);
    });

    it('an account\'s creation: the retry answers 201 with the account, which signs in, created once in the audit trail', async () => {
      const person = newPerson();
      await failingAt({ method: 'replaceValue', when: 'after', key: `account:${person.sub}` }, () => admin.post('/accounts', person));
      const retried = await admin.post('/accounts', person);
      expect(retried.status).toBe(201);
      expect(retried.body).toMatchObject({ sub: person.sub, username: person.username });
      expect(await passwordTaken(server.issuer, person.username, person.password)).toBe(true);
      expect(changesOf(person.sub)).toEqual(['create by admin-cli']);
      // Finished, a creation sent again is one of an account that exists.
      expect((await admin.post('/accounts', person)).status).toBe(409);
    });

    it('a client\'s creation with a generated secret: the retry answers the secret, which was never shown, and it authenticates', async () => {
      const id = `retried-client-${counter += 1}`;
      await failingAt({ method: 'replaceValue', when: 'after', key: `api-client:${id}` }, () => admin.post('/clients', { client_id: id, ...SERVICE_METADATA }));
      const retried = await admin.post('/clients', { client_id: id, ...SERVICE_METADATA });
      expect(retried.status).toBe(201);
      expect(await active(await clientCredentialsToken(server.issuer, { client_id: id, client_secret: retried.body.client_secret }))).toBe(true);
      expect(changesOf(id)).toEqual(['create by admin-cli']);
    });

    it('a client\'s new secret: the retry answers the secret the store holds, which authenticates, replaced once in the audit trail', async () => {
      const id = `retried-client-${counter += 1}`;
      const created = await admin.post('/clients', { client_id: id, ...SERVICE_METADATA });
      const replace = () => admin.post(`/clients/${id}/secret`, undefined, { 'if-match': created.headers.get('etag')! });
      await failingAt({ method: 'replaceValue', when: 'after', key: `api-client:${id}` }, replace);
      const retried = await replace();
      expect(retried.status).toBe(200);
      expect(await active(await clientCredentialsToken(server.issuer, { client_id: id, client_secret: retried.body.client_secret }))).toBe(true);
      await expect(clientCredentialsToken(server.issuer, { client_id: id, client_secret: created.body.client_secret })).rejects.toThrow();
      expect(changesOf(id)).toEqual(['create by admin-cli', 'replace_secret by admin-cli']);
    });

    it('a client\'s deletion: the retry answers 204, its tokens are dead, deleted once in the audit trail', async () => {
      const id = `retried-client-${counter += 1}`;
      const created = await admin.post('/clients', { client_id: id, ...WEB_APP_METADATA });
      const { tokens } = await signedInTokens(server.issuer, { client_id: id, client_secret: created.body.client_secret });
      await failingAt({ method: 'replaceValue', when: 'after', key: `api-client:${id}` }, () => admin.delete(`/clients/${id}`));
      expect((await admin.delete(`/clients/${id}`)).status).toBe(204);
      expect(await active(tokens.access_token)).toBe(false);
      expect(changesOf(id)).toEqual(['create by admin-cli', 'delete by admin-cli']);
    });

    it.each([
      ['a group', (name: string) => `/groups/${name}`, { video_roles: ['subscriber'] }, (name: string) => `group:${name}`],
      ['a ban', (name: string) => `/bans/${name}`, { resources: ['*'] }, (name: string) => `ban:${name}`],
    ])('%s, set and deleted: each retry answers as the change would have, each change audited once', async (_what, path, body, key) => {
      const name = `retried-${counter += 1}`;
      await failingAt({ method: 'replaceValue', when: 'after', key: key(name) }, () => admin.put(path(name), body));
      expect((await admin.put(path(name), body)).status).toBe(201);
      await failingAt({ method: 'replaceValue', when: 'after', key: key(name) }, () => admin.delete(path(name)));
      expect((await admin.delete(path(name))).status).toBe(204);
      expect((await admin.get(path(name))).status).toBe(404);
      expect(changesOf(name)).toEqual(['create by admin-cli', 'delete by admin-cli']);
    });

    it('a license, added and removed: each retry answers as the change would have, each change audited once', async () => {
      const arn = LICENSES.unconfigured;
      await failingAt({ method: 'replaceValue', when: 'after', key: `license:${arn}` }, () => admin.post('/licenses', { arn, maxTokens: 5 }));
      expect((await admin.post('/licenses', { arn, maxTokens: 5 })).status).toBe(201);
      await failingAt({ method: 'replaceValue', when: 'after', key: `license:${arn}` }, () => admin.delete(`/licenses/${encodeURIComponent(arn)}`));
      expect((await admin.delete(`/licenses/${encodeURIComponent(arn)}`)).status).toBe(204);
      expect(changesOf(arn)).toEqual(['create by admin-cli', 'delete by admin-cli']);
    });

    const rotations = () => lines.filter((line) => line.audit === 'admin_change' && line.action === 'rotate').map(({ id }) => id);

    it('a key rotation: the retry answers the keys it added, no other rotation is made, and it is audited once', async () => {
      const before = (await admin.get('/keys')).body.items.length;
      const audited = rotations().length;
      await failingAt({ method: 'replaceValue', when: 'after', key: 'signing-keys' }, () => admin.post('/keys/rotate'));
      const retried = await admin.post('/keys/rotate');
      expect(retried.status).toBe(201);
      const kids: string[] = retried.body.items.map(({ kid }: { kid: string }) => kid);
      const listed: { kid: string; status: string }[] = (await admin.get('/keys')).body.items;
      expect(listed.filter(({ status }) => status === 'next').map(({ kid }) => kid).sort()).toEqual([...kids].sort());
      expect(listed.length).toBe(before + 2);
      expect(rotations().slice(audited)).toEqual([kids.join(',')]);
    });

    it('a key rotation never retried is audited at the next read of the keys', async () => {
      const audited = rotations().length;
      await failingAt({ method: 'replaceValue', when: 'after', key: 'signing-keys' }, () => admin.post('/keys/rotate'));
      const next: string[] = (await admin.get('/keys')).body.items.filter(({ status }: { status: string }) => status === 'next').map(({ kid }: { kid: string }) => kid);
      const audit = rotations().slice(audited);
      expect(audit).toHaveLength(1);
      expect(String(audit[0]).split(',').sort()).toEqual(next.sort());
    });
  });

  it('an account\'s deletion that timed out and landed while its retry was under way: the retry answers 204, audited once', async () => {
    const person = newPerson();
    await admin.post('/accounts', person);
    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential', 'openid offline_access', person);
    await failingAt({ method: 'replaceValue', when: 'late', key: `account:${person.sub}` }, () => admin.delete(`/accounts/${person.sub}`));
    expect((await admin.delete(`/accounts/${person.sub}`)).status).toBe(204);
    expect(await active(tokens.access_token)).toBe(false);
    expect((await admin.post('/accounts', { ...newPerson(), username: person.username })).status).toBe(201);
    expect(changesOf(person.sub)).toEqual(['create by admin-cli', 'delete by admin-cli']);
  });

  describe('a change answered 503 before its write was made is made by its retry', () => {
    it('an account\'s creation without a sub, failed at the account\'s write: the retry creates it at once, under the username its first attempt took', async () => {
      const { username, password } = newPerson();
      // The username is claimed, then the account's write (its listing first) fails.
      await failingAt({ method: 'addToSet', when: 'before', key: 'accounts' }, () => admin.post('/accounts', { username, password }));
      const retried = await admin.post('/accounts', { username, password });
      expect(retried.status).toBe(201);
      expect(await passwordTaken(server.issuer, username, password)).toBe(true);
      expect(changesOf(retried.body.sub)).toEqual(['create by admin-cli']);
    });

    it('an account\'s deletion that failed at the removal: the retry deletes it, once in the audit trail', async () => {
      const person = newPerson();
      await admin.post('/accounts', person);
      const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential', 'openid offline_access', person);
      await failingAt({ method: 'replaceValue', when: 'before', key: `account:${person.sub}` }, () => admin.delete(`/accounts/${person.sub}`));
      expect((await admin.delete(`/accounts/${person.sub}`)).status).toBe(204);
      expect(await active(tokens.access_token)).toBe(false);
      expect(changesOf(person.sub)).toEqual(['create by admin-cli', 'delete by admin-cli']);
    });
  });
});

describe('an account deleted while Redis stalls at the removal', () => {
  let redis: OwnedRedis;
  let store: FaultyStore;
  let server: RunningStagepass;
  beforeAll(async () => {
    redis = await startOwnedRedis();
    const redisStore = new RedisStore({ url: redis.url, keyPrefix: uniqueRedisPrefix(), commandTimeout: 300, clock: systemClock });
    await redisStore.connect();
    store = withFaults(redisStore);
    server = await startStagepass({ store, config: { clients: [...CLIENTS_WITH_ADMINS, RESOURCE_SERVER] } });
  });
  afterAll(async () => {
    redis?.resume();
    await server?.close();
    await redis?.stop();
  });

  it('answers 503, and once Redis answers again the retry answers 204 with the account\'s grants revoked', async () => {
    const admin = adminApi(server.issuer, await adminToken(server.issuer));
    const person = { sub: 'stalled', username: 'stalled', password: 'the password of the stalled one' };
    await admin.post('/accounts', person);
    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential', 'openid offline_access', person);
    // The removal is sent to a Redis that has stopped answering: it times out, and runs once Redis goes on.
    const removal = store.holdNext('replaceValue', `account:${person.sub}`);
    const deletion = admin.delete(`/accounts/${person.sub}`);
    await removal.reached;
    redis.pause();
    removal.release();
    expect((await deletion).status).toBe(503);
    redis.resume();
    await expect.poll(() => server.stagepass.store.getValue(`account:${person.sub}`)).toBeUndefined();

    expect((await admin.delete(`/accounts/${person.sub}`)).status).toBe(204);
    const active = await postForm(`${server.issuer}/token/introspection`, { token: tokens.access_token }, basicAuth(RESOURCE_SERVER.client_id, RESOURCE_SERVER.client_secret));
    expect(active.body.active).toBe(false);
  });
});
