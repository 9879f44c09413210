import { randomUUID } from 'node:crypto';

import { AuthorizationException, GetAccessTokenCommand, LicenseManagerClient, ListTokensCommand } from '@aws-sdk/client-license-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminApi, adminToken, CLIENTS_WITH_ADMINS, type Credentials } from '../support/admin.js';
import { sdkConfig } from '../support/aws.js';
import { withFaults, type FaultyStore } from '../support/faulty-store.js';
import { authorizationCodeTokens } from '../support/flows.js';
import { ACCESS_TOKEN_TYPE, JWT_BEARER_GRANT, LICENSE_CLIENTS, LICENSE_GRANT, LICENSING_APP, mint } from '../support/minters.js';
import { basicAuth } from '../support/relying-party.js';
import { startStagepass, type RunningStagepass } from '../support/stagepass.js';
import { STORE_BACKENDS } from '../support/stores.js';

/** A license of two seats for each test, so that one test's tokens never fill another's. */
const SEATS = 2;
const licenseFor = (test: string) => `arn:aws:license-manager::123456789012:license:l-${test}`;
const LICENSES = {
  clientDeleted: licenseFor('client-deleted'),
  clientReborn: licenseFor('client-reborn'),
  clientRacing: licenseFor('client-racing'),
  clientOutrun: licenseFor('client-outrun'),
  personDisabled: licenseFor('person-disabled'),
  personDeleted: licenseFor('person-deleted'),
  personRacing: licenseFor('person-racing'),
};

/** A backend made through the Admin API that mints license tokens for itself. */
const LICENSE_BACKEND_METADATA = { grant_types: [LICENSE_GRANT, JWT_BEARER_GRANT], response_types: [], redirect_uris: [], license_arns: ['*'] };

type Client = { client_id: string; client_secret: string };

describe.each(STORE_BACKENDS)('what ends with a client or a person: their license tokens (%s store)', (_name, createStore) => {
  let store: FaultyStore;
  let server: RunningStagepass;
  let admin: ReturnType<typeof adminApi>;

  beforeAll(async () => {
    store = withFaults(await createStore());
    server = await startStagepass({
      store,
      config: {
        clients: [...CLIENTS_WITH_ADMINS.filter(({ client_id }) => client_id !== LICENSING_APP.client_id), LICENSING_APP, LICENSE_CLIENTS.other],
        licenses: Object.values(LICENSES).map((arn) => ({ arn, maxTokens: SEATS })),
      },
    });
    admin = adminApi(server.issuer, await adminToken(server.issuer));
  });
  afterAll(() => server?.close());

  const createToken = (client: Client, licenseArn: string, params: Record<string, string> = {}) =>
    mint(server.issuer, client, LICENSE_GRANT, { license_arn: licenseArn, client_token: randomUUID(), ...params });
  const tokenOf = (response: { body: Record<string, unknown> }) => response.body.license_token as { TokenId: string; Token: string };
  const exchange = (client: Client, token: string) => mint(server.issuer, client, JWT_BEARER_GRANT, { assertion: token });
  const listed = async (client: Client) =>
    ((await (await fetch(`${server.issuer}/licenses/tokens`, { headers: basicAuth(client.client_id, client.client_secret) })).json()) as { Tokens: { TokenId: string; Status: string }[] }).Tokens;
  const deleteToken = async (client: Client, tokenId: string) =>
    (await fetch(`${server.issuer}/licenses/tokens/${tokenId}`, { method: 'DELETE', headers: basicAuth(client.client_id, client.client_secret) })).status;
  /** Another client takes every seat of the license it can: as many as are free. */
  const seatsFree = async (licenseArn: string) => {
    const answers = await Promise.all(Array.from({ length: SEATS }, () => createToken(LICENSE_CLIENTS.other, licenseArn)));
    return answers.filter(({ status }) => status === 200).length;
  };
  const licenseManagerAs = (client: Credentials) => new LicenseManagerClient(sdkConfig(server.issuer, 'license-manager', client));

  const madeClient = async (clientId: string): Promise<Client> => {
    const created = await admin.post('/clients', { client_id: clientId, ...LICENSE_BACKEND_METADATA });
    expect(created.status).toBe(201);
    return { client_id: clientId, client_secret: String(created.body.client_secret) };
  };
  const deleteClient = async (clientId: string) => expect((await admin.delete(`/clients/${clientId}`)).status).toBe(204);

  const madePerson = async (username: string) => {
    const person = { username, password: `${username} holds a seat or two` };
    const created = await admin.post('/accounts', person);
    expect(created.status).toBe(201);
    return { ...person, sub: String(created.body.sub) };
  };
  const signedIn = async (person: { username: string; password: string }) =>
    ({ subject_token: (await authorizationCodeTokens(server.issuer, 'confidential', 'openid', person)).tokens.access_token, subject_token_type: ACCESS_TOKEN_TYPE });
  const setDisabled = async (person: { sub: string; username: string }, disabled: boolean) =>
    expect((await admin.put(`/accounts/${person.sub}`, { username: person.username, disabled })).status).toBe(200);

  describe('deleting a client', () => {
    it('ends its license tokens at once: they hold no seat any more', async () => {
      const client = await madeClient('seat-holder');
      for (let i = 0; i < SEATS; i += 1) expect((await createToken(client, LICENSES.clientDeleted)).status).toBe(200);
      expect(await seatsFree(LICENSES.clientDeleted)).toBe(0);

      await deleteClient(client.client_id);
      expect(await seatsFree(LICENSES.clientDeleted)).toBe(SEATS);
    });

    it('leaves nothing to a client made again under its id: it lists, exchanges, deletes and replays none of the old tokens', async () => {
      const clientId = 'reborn';
      const first = await madeClient(clientId);
      const clientToken = 'install-1';
      const old = tokenOf(await createToken(first, LICENSES.clientReborn, { client_token: clientToken }));
      await deleteClient(clientId);

      const again = await madeClient(clientId);
      expect(await listed(again)).toEqual([]);
      expect((await licenseManagerAs(again).send(new ListTokensCommand({}))).Tokens).toEqual([]);
      const exchanged = await exchange(again, old.Token);
      expect(exchanged.status).toBe(400);
      expect(exchanged.body.error).toBe('invalid_grant');
      expect(await deleteToken(again, old.TokenId)).toBe(404);
      const fresh = await createToken(again, LICENSES.clientReborn, { client_token: clientToken });
      expect(fresh.status).toBe(200);
      expect(tokenOf(fresh).TokenId).not.toBe(old.TokenId);
    });

    it('while one of its tokens is being recorded: that token is not kept and holds no seat', async () => {
      const client = await madeClient('racing');
      const held = store.holdNext('insertCounted');
      const minting = createToken(client, LICENSES.clientRacing);
      await held.reached;
      await deleteClient(client.client_id);
      held.release();

      const refused = await minting;
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_grant');
      expect(await seatsFree(LICENSES.clientRacing)).toBe(SEATS);
    });

    it('a token recorded after the deletion began but answered before the client was gone is ended by it all the same', async () => {
      const client = await madeClient('outrun');
      const recording = store.holdNext('insertCounted');
      const minting = createToken(client, LICENSES.clientOutrun);
      await recording.reached;
      // The deletion has ended what the client held so far, and waits to remove the client itself.
      const removing = store.holdNext('replaceValue');
      const deleting = admin.delete(`/clients/${client.client_id}`);
      await removing.reached;
      recording.release();
      expect((await minting).status).toBe(200);
      removing.release();
      expect((await deleting).status).toBe(204);

      expect(await seatsFree(LICENSES.clientOutrun)).toBe(SEATS);
    });
  });

  describe('disabling or deleting a person', () => {
    it('disabled: their license tokens exchange no more at any API, are listed DELETED, hold no seat, and stay ended once they are enabled again', async () => {
      const person = await madePerson('dana');
      const asPerson = await signedIn(person);
      const tokens: { TokenId: string; Token: string }[] = [];
      for (let i = 0; i < SEATS; i += 1) tokens.push(tokenOf(await createToken(LICENSING_APP, LICENSES.personDisabled, asPerson)));
      expect((await exchange(LICENSING_APP, tokens[0]!.Token)).status).toBe(200);
      expect(await seatsFree(LICENSES.personDisabled)).toBe(0);

      await setDisabled(person, true);
      const refused = await exchange(LICENSING_APP, tokens[0]!.Token);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_grant');
      await expect(licenseManagerAs(LICENSING_APP).send(new GetAccessTokenCommand({ Token: tokens[1]!.Token }))).rejects.toBeInstanceOf(AuthorizationException);
      const statuses = (await listed(LICENSING_APP)).filter(({ TokenId }) => tokens.some((token) => token.TokenId === TokenId)).map(({ Status }) => Status);
      expect(statuses).toEqual(['DELETED', 'DELETED']);
      expect(await seatsFree(LICENSES.personDisabled)).toBe(SEATS);

      await setDisabled(person, false);
      expect((await exchange(LICENSING_APP, tokens[0]!.Token)).body.error).toBe('invalid_grant');
    });

    it('deleted: their license tokens exchange no more and hold no seat, and an account made again under the sub inherits none', async () => {
      const person = await madePerson('dave');
      const token = tokenOf(await createToken(LICENSING_APP, LICENSES.personDeleted, await signedIn(person)));
      expect(await seatsFree(LICENSES.personDeleted)).toBe(SEATS - 1);

      expect((await admin.delete(`/accounts/${person.sub}`)).status).toBe(204);
      expect((await exchange(LICENSING_APP, token.Token)).body.error).toBe('invalid_grant');
      expect(await seatsFree(LICENSES.personDeleted)).toBe(1);

      expect((await admin.post('/accounts', { sub: person.sub, username: person.username, password: person.password })).status).toBe(201);
      expect((await exchange(LICENSING_APP, token.Token)).body.error).toBe('invalid_grant');
    });

    it('disabled while a license token is being minted for them: that token is not kept and holds no seat', async () => {
      const person = await madePerson('rita');
      const asPerson = await signedIn(person);
      const held = store.holdNext('insertCounted');
      const minting = createToken(LICENSING_APP, LICENSES.personRacing, asPerson);
      await held.reached;
      await setDisabled(person, true);
      held.release();

      const refused = await minting;
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_grant');
      expect(await seatsFree(LICENSES.personRacing)).toBe(SEATS);
    });
  });
});
