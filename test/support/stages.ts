import { decodeJwt } from 'jose';

import { adminApi, adminToken, CLIENTS_WITH_ADMINS } from './admin.js';
import { authorizationCodeTokens } from './flows.js';
import { ACCESS_TOKEN_TYPE, IVS_GRANT, ivsConfig, mint, mintingNativeClient, MINTING_CLIENTS, STAGES } from './minters.js';
import type { LoggedAnswer } from './openapi.js';
import { GROUPS, PEOPLE, peopleAccounts, type PersonName } from './people.js';

/** The app people join and moderate stages with: it may mint and moderate anything on any stage, so their groups decide. */
export const STAGE_APP = mintingNativeClient([IVS_GRANT], { ivs_stage_arns: ['*'], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'], ivs_moderated_stage_arns: ['*'] });
import { newKeysDir, startStagepass, type RunningStagepass, type StartOptions } from './stagepass.js';

/**
 * The configuration of the live-stage tests: the people and their groups (those given instead of
 * GROUPS, so that a test may make one through the Admin API and change it), the people's app, a
 * stage backend, the admin clients.
 */
export async function stagesConfig(keysDir: string, more: { ivs?: Record<string, unknown>; clients?: object[]; groups?: Record<string, object> } = {}) {
  const ownIds = new Set<string>([STAGE_APP.client_id, ...(more.clients ?? []).map((client) => (client as { client_id: string }).client_id)]);
  return {
    ivs: { ...ivsConfig(keysDir), ...more.ivs },
    clients: [...CLIENTS_WITH_ADMINS.filter(({ client_id }) => !ownIds.has(client_id)), STAGE_APP, MINTING_CLIENTS.stageBackend, ...(more.clients ?? [])],
    accounts: await peopleAccounts(),
    groups: more.groups ?? GROUPS,
  };
}

/** A server of the live-stage tests, the people signed in to the people's app, and an operator's Admin API. */
export async function startStagesServer(options: Omit<StartOptions, 'config'> & { config?: Parameters<typeof stagesConfig>[1] } = {}) {
  const keysDir = options.keysDir ?? (await newKeysDir());
  const server = await startStagepass({ ...options, keysDir, config: await stagesConfig(keysDir, options.config) });
  return withPeople(server);
}

/** The people signed in to the people's app on this server, and an operator's Admin API whose answers join `log`. */
export async function withPeople(server: RunningStagepass) {
  const log: LoggedAnswer[] = [];
  const tokens = {} as Record<PersonName, string>;
  for (const name of Object.keys(PEOPLE) as PersonName[]) {
    tokens[name] = (await authorizationCodeTokens(server.issuer, 'native', 'openid', PEOPLE[name])).tokens.access_token;
  }
  const asPerson = (who: PersonName) => ({ client_id: STAGE_APP.client_id, subject_token: tokens[who], subject_token_type: ACCESS_TOKEN_TYPE });
  return {
    server,
    log,
    admin: adminApi(server.issuer, await adminToken(server.issuer), log),
    asPerson,
    /** The people's app mints for the person on the main stage unless told otherwise. */
    join: (who: PersonName, params: Record<string, string | string[]> = {}) =>
      mint(server.issuer, STAGE_APP, IVS_GRANT, { stage_arn: STAGES.main.arn, ...asPerson(who), ...params }),
  };
}

/** The participant id (jti) of a token endpoint answer. */
export const participantIdOf = (answer: { body: any }) => String(decodeJwt(String(answer.body.access_token)).jti);
