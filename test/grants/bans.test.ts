import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashPassword } from '../../src/accounts/password.js';
import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from '../support/admin.js';
import { authorizationCodeTokens } from '../support/flows.js';
import {
  ACCESS_TOKEN_TYPE, IVS_GRANT, ivsConfig, JWT_BEARER_GRANT, LICENSE_GRANT, LICENSES, LICENSING_APP, mint, MINTING_CLIENTS, STAGES, VIDEO_GRANT, VIDEO_PROJECT,
} from '../support/minters.js';
import { PEOPLE, PEOPLE_APP, peopleAccounts, VIDEO_SESSION } from '../support/people.js';
import { newKeysDir, startStagepass, type RunningStagepass } from '../support/stagepass.js';

/** A person whose sub is the licensing app's own client id. */
const NAMESAKE = { sub: LICENSING_APP.client_id, username: 'namesake', password: 'named like the app they use' };

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The same session id spelt otherwise: another prefix, and the low bits its last character leaves unused set. */
function otherSpellings(sessionId: string): string[] {
  const body = sessionId.slice(2);
  const unusedBits = [0, 0, 4, 2][body.length % 4]!;
  const last = BASE64URL.indexOf(body.at(-1)!);
  const lastOtherwise = BASE64URL[last | ((1 << unusedBits) - 1)]!;
  return [`2_${body}`, `1_${body.slice(0, -1)}${lastOtherwise}`];
}

describe.each([['memory', false], ['Redis', true]] as const)('bans, on the %s store', (_store, redis) => {
  let server: RunningStagepass;
  let admin: ReturnType<typeof adminApi>;

  beforeAll(async () => {
    const keysDir = await newKeysDir();
    server = await startStagepass({
      redis,
      keysDir,
      config: {
        clients: [
          ...CLIENTS_WITH_ADMINS.filter(({ client_id }) => !([PEOPLE_APP.client_id, LICENSING_APP.client_id] as string[]).includes(client_id)),
          PEOPLE_APP, LICENSING_APP, MINTING_CLIENTS.stageBackend,
        ],
        accounts: [...(await peopleAccounts()), { ...NAMESAKE, password: await hashPassword(NAMESAKE.password) }],
        ivs: ivsConfig(keysDir),
        video: VIDEO_PROJECT,
        licenses: [{ arn: LICENSES.small, maxTokens: 10 }],
      },
    });
    admin = adminApi(server.issuer, await adminToken(server.issuer));
  });
  afterAll(() => server?.close());

  const signedIn = async (name: 'native' | 'confidential', person: { username: string; password: string }) =>
    ({ subject_token: (await authorizationCodeTokens(server.issuer, name, 'openid', person)).tokens.access_token, subject_token_type: ACCESS_TOKEN_TYPE });

  it('a ban holds at the license exchange for a person whose sub is the minting client\'s own id', async () => {
    const minted = await mint(server.issuer, LICENSING_APP, LICENSE_GRANT, {
      license_arn: LICENSES.small, client_token: 'namesake', ...(await signedIn('confidential', NAMESAKE)),
    });
    expect(minted.status).toBe(200);
    const exchange = () => mint(server.issuer, LICENSING_APP, JWT_BEARER_GRANT, { assertion: String(minted.body.access_token) });
    expect((await exchange()).status).toBe(200);

    expect((await admin.put(`/bans/${NAMESAKE.sub}`, { resources: [LICENSES.small] })).status).toBe(201);
    const refused = await exchange();
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: 'access_denied', error_description: `this person is banned from ${LICENSES.small} until the ban is lifted` });
    expect((await admin.delete(`/bans/${NAMESAKE.sub}`)).status).toBe(204);
  });

  it('a client_token used for a person named like the client is not the client\'s own: the client minting for itself with it is refused', async () => {
    const clientToken = 'namesake-retry';
    const forPerson = await mint(server.issuer, LICENSING_APP, LICENSE_GRANT, {
      license_arn: LICENSES.small, client_token: clientToken, ...(await signedIn('confidential', NAMESAKE)),
    });
    expect(forPerson.status).toBe(200);
    const forItself = await mint(server.issuer, LICENSING_APP, LICENSE_GRANT, { license_arn: LICENSES.small, client_token: clientToken });
    expect(forItself.status).toBe(400);
    expect(forItself.body.error_description).toBe('client_token was already used with other parameters in the last 10 minutes');
  });

  it('a ban on a video session holds for every spelling of its id, whichever the ban used', async () => {
    const asViewer = await signedIn('native', PEOPLE.viewer);
    const video = (sessionId: string) => mint(server.issuer, PEOPLE_APP, VIDEO_GRANT, { session_id: sessionId, ...asViewer });
    const spellings = otherSpellings(VIDEO_SESSION);
    for (const spelling of spellings) expect((await video(spelling)).status, spelling).toBe(200);

    expect((await admin.put(`/bans/${PEOPLE.viewer.sub}`, { resources: [spellings[0]] })).status).toBe(201);
    for (const spelling of [VIDEO_SESSION, ...spellings]) {
      const refused = await video(spelling);
      expect(refused.status, spelling).toBe(403);
      expect(refused.body.error).toBe('access_denied');
    }
    expect((await admin.delete(`/bans/${PEOPLE.viewer.sub}`)).status).toBe(204);
  });

  it('a client minting for itself may not name a banned person as user_id', async () => {
    const ivs = (userId: string) => mint(server.issuer, MINTING_CLIENTS.stageBackend, IVS_GRANT, { stage_arn: STAGES.main.arn, user_id: userId });
    expect((await admin.put(`/bans/${PEOPLE.host.sub}`, { resources: [STAGES.main.arn], reason: 'spamming the chat' })).status).toBe(201);
    const refused = await ivs(PEOPLE.host.sub);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: 'access_denied', error_description: `this person is banned from ${STAGES.main.arn} until the ban is lifted: spamming the chat` });
    expect((await ivs(PEOPLE.cohost.sub)).status).toBe(200);
    expect((await admin.delete(`/bans/${PEOPLE.host.sub}`)).status).toBe(204);
    expect((await ivs(PEOPLE.host.sub)).status).toBe(200);
  });
});
