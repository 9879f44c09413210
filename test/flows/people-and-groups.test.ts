import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/observability/logger.js';
import { authorizationCodeTokens } from '../support/flows.js';
import { GROUPS, PEOPLE, PEOPLE_APP, peopleAccounts, VIDEO_SESSION } from '../support/people.js';
import {
  ACCESS_TOKEN_TYPE, IVS_GRANT, ivsConfig, LICENSE_GRANT, LICENSES, mint, STAGES, VIDEO_GRANT, VIDEO_PROJECT,
} from '../support/minters.js';
import { CLIENTS, newKeysDir, startStagepass, uniqueRedisPrefix, type RunningStagepass } from '../support/stagepass.js';

const SEATS_PER_PERSON = 2;

const app = PEOPLE_APP;
const SESSION = VIDEO_SESSION;

async function configFor(keysDir: string, groups: Record<string, unknown> | undefined) {
  const accounts = await peopleAccounts();
  return {
    ivs: ivsConfig(keysDir),
    video: VIDEO_PROJECT,
    licenses: [{ arn: LICENSES.small, maxTokens: 100, maxTokensPerPerson: SEATS_PER_PERSON }, { arn: LICENSES.large, maxTokens: 100 }],
    clients: [...Object.values(CLIENTS).filter((client) => client.client_id !== app.client_id), app],
    accounts,
    ...(groups === undefined ? {} : { groups }),
  };
}

const asPerson = (accessToken: string) => ({ subject_token: accessToken, subject_token_type: ACCESS_TOKEN_TYPE });

describe.each([['memory', false], ['Redis', true]] as const)('people and their groups, on the %s store', (_store, redis) => {
  let server: RunningStagepass;
  const audit: Record<string, unknown>[] = [];
  const tokens: Record<keyof typeof PEOPLE, string> = { host: '', viewer: '', cohost: '' };

  beforeAll(async () => {
    const keysDir = await newKeysDir();
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void audit.push(JSON.parse(line) as Record<string, unknown>) } });
    server = await startStagepass({ redis, keysDir, logger, config: await configFor(keysDir, GROUPS) });
    for (const name of Object.keys(PEOPLE) as (keyof typeof PEOPLE)[]) {
      const { tokens: issued } = await authorizationCodeTokens(server.issuer, 'native', 'openid groups', PEOPLE[name]);
      tokens[name] = issued.access_token;
    }
  });
  afterAll(() => server?.close());

  const ivs = (who: keyof typeof PEOPLE, params: Record<string, string | string[]> = {}) =>
    mint(server.issuer, app, IVS_GRANT, { stage_arn: STAGES.main.arn, ...asPerson(tokens[who]), ...params });
  const video = (who: keyof typeof PEOPLE, params: Record<string, string> = {}) =>
    mint(server.issuer, app, VIDEO_GRANT, { session_id: SESSION, ...asPerson(tokens[who]), ...params });

  it('a host may PUBLISH', async () => {
    const response = await ivs('host', { capabilities: 'PUBLISH' });
    expect(response.status).toBe(200);
    expect(decodeJwt(String(response.body.access_token)).capabilities).toEqual({ allow_publish: true });
  });

  it('a viewer asking PUBLISH is denied, and told what was refused', async () => {
    const response = await ivs('viewer', { capabilities: 'PUBLISH' });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: 'access_denied', error_description: expect.stringContaining('PUBLISH') });
  });

  it('a viewer asking nothing gets SUBSCRIBE only; a host asking nothing gets both', async () => {
    const viewer = await ivs('viewer');
    expect(viewer.status).toBe(200);
    expect(viewer.body.participant_token).toMatchObject({ capabilities: ['SUBSCRIBE'] });
    expect(decodeJwt(String(viewer.body.access_token)).capabilities).toEqual({ allow_subscribe: true });
    expect((await ivs('host')).body.participant_token).toMatchObject({ capabilities: ['PUBLISH', 'SUBSCRIBE'] });
  });

  it('a stage outside every group of the person is refused, though the app may mint for it', async () => {
    const response = await ivs('host', { stage_arn: STAGES.backstage.arn });
    expect(response.status).toBe(403);
    expect(response.body.error_description).toContain(STAGES.backstage.arn);
  });

  it('video roles: a viewer asking nothing gets subscriber, asking publisher is denied; a host asking nothing gets publisher', async () => {
    expect((await video('viewer')).body.video_token).toMatchObject({ role: 'subscriber' });
    const refused = await video('viewer', { role: 'publisher' });
    expect(refused.status).toBe(403);
    expect(refused.body.error_description).toContain('publisher');
    expect((await video('host')).body.video_token).toMatchObject({ role: 'publisher' });
  });

  it('licenses: a host gets a seat of the license the hosts group holds; a viewer is denied it; nobody gets one no group holds', async () => {
    const license = (who: keyof typeof PEOPLE, arn: string) =>
      mint(server.issuer, app, LICENSE_GRANT, { license_arn: arn, client_token: `${who}-${arn.slice(-8)}-${Math.random()}`, ...asPerson(tokens[who]) });
    const seat = await license('host', LICENSES.small);
    expect(seat.status).toBe(200);
    expect(decodeJwt(String(seat.body.access_token)).sub).toBe(PEOPLE.host.sub);
    const viewer = await license('viewer', LICENSES.small);
    expect(viewer.status).toBe(403);
    expect(viewer.body.error_description).toContain(LICENSES.small);
    expect((await license('host', LICENSES.large)).status).toBe(403);
  });

  it('a person holds at most maxTokensPerPerson live tokens of a license, however many are asked for at once', async () => {
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => mint(server.issuer, app, LICENSE_GRANT, {
      license_arn: LICENSES.small, client_token: `cora-seat-${i}-${Math.random()}`, ...asPerson(tokens.cohost),
    })));
    expect(outcomes.filter((outcome) => outcome.status === 200)).toHaveLength(SEATS_PER_PERSON);
    const refused = outcomes.filter((outcome) => outcome.status !== 200);
    expect(refused).toHaveLength(6 - SEATS_PER_PERSON);
    for (const outcome of refused) {
      expect(outcome.body).toMatchObject({ error: 'resource_limit_exceeded', error_description: expect.stringContaining('this person already holds') });
    }
    // The license itself has seats left: another person still gets one.
    expect((await mint(server.issuer, app, LICENSE_GRANT, { license_arn: LICENSES.small, client_token: `hana-${Math.random()}`, ...asPerson(tokens.host) })).status).toBe(200);
  });

  it('the groups scope releases the person\'s groups in the ID token and at userinfo', async () => {
    const { tokens: issued } = await authorizationCodeTokens(server.issuer, 'native', 'openid groups', PEOPLE.host);
    expect(decodeJwt(issued.id_token!).groups).toEqual(['hosts']);
    const userinfo = await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${issued.access_token}` } }).then((r) => r.json());
    expect(userinfo).toMatchObject({ sub: PEOPLE.host.sub, groups: ['hosts'] });
  });

  it('a token minted for a person is audited with the person and their groups', async () => {
    await ivs('host', { capabilities: 'SUBSCRIBE' });
    expect(audit.filter((line) => line.audit === 'token_issued' && line.grantType === IVS_GRANT)).toContainEqual(
      expect.objectContaining({ userId: PEOPLE.host.sub, groups: ['hosts'], capabilities: ['SUBSCRIBE'] }),
    );
  });
});

describe('rights are read when a token is minted', () => {
  const keyPrefix = uniqueRedisPrefix();
  let before: RunningStagepass;
  let after: RunningStagepass;

  beforeAll(async () => {
    const keysDir = await newKeysDir();
    before = await startStagepass({ redis: { keyPrefix }, keysDir, config: await configFor(keysDir, GROUPS) });
    // The same store, with everyone now allowed to publish: as after a change of the configuration.
    after = await startStagepass({
      redis: { keyPrefix }, keysDir, config: await configFor(keysDir, { ...GROUPS, '*': { ...GROUPS['*'], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'] } }),
    });
  });
  afterAll(async () => {
    await before?.close();
    await after?.close();
  });

  it('a subject token issued under the old groups mints by the new ones', async () => {
    const { tokens: issued } = await authorizationCodeTokens(before.issuer, 'native', 'openid', PEOPLE.viewer);
    const mintAt = (server: RunningStagepass) =>
      mint(server.issuer, app, IVS_GRANT, { stage_arn: STAGES.main.arn, capabilities: 'PUBLISH', ...asPerson(issued.access_token) });
    expect((await mintAt(before)).status).toBe(403);
    expect((await mintAt(after)).status).toBe(200);
  });
});

describe('without a groups section', () => {
  let server: RunningStagepass;
  beforeAll(async () => {
    const keysDir = await newKeysDir();
    server = await startStagepass({ keysDir, config: await configFor(keysDir, undefined) });
  });
  afterAll(() => server?.close());

  it('the client\'s rights alone decide, as for a client minting for itself', async () => {
    const { tokens: issued } = await authorizationCodeTokens(server.issuer, 'native', 'openid', PEOPLE.viewer);
    const response = await mint(server.issuer, app, IVS_GRANT, { stage_arn: STAGES.backstage.arn, ...asPerson(issued.access_token) });
    expect(response.status).toBe(200);
    expect(response.body.participant_token).toMatchObject({ capabilities: ['PUBLISH', 'SUBSCRIBE'] });
  });
});
