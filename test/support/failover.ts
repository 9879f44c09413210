import { randomUUID } from 'node:crypto';

import type { Logger } from '../../src/observability/logger.js';
import { createLogger } from '../../src/observability/logger.js';
import { authorizationCodeTokens } from './flows.js';
import { JWT_BEARER_GRANT, LICENSE_CLIENTS, LICENSE_GRANT, LICENSES } from './minters.js';
import { basicAuth, postForm } from './relying-party.js';
import { sleep } from './sleep.js';
import { CLIENTS, startStagepass, uniqueRedisPrefix, type RunningStagepass } from './stagepass.js';

/** How long the service may take to come back after its Redis master died. */
export const RECOVERY_LIMIT_MS = 20_000;
const WORKERS = 6;

/** What clients saw, and what still worked, around the death of a Redis master. */
export interface FailoverReport {
  /** Answers that are neither 200 nor 503 with Retry-After. */
  unexpected: { operation: string; status: number; retryAfter: string | null; body: unknown }[];
  answered: Record<string, Record<number, number>>;
  /** Milliseconds from the kill until every kind of request succeeded again; undefined if never within the limit. */
  recoveredAfterMs: number | undefined;
  /** /readyz answers between the kill and the recovery. */
  readiness: number[];
  /** Tokens issued two seconds or more before the kill, each used after it. */
  earlierTokens: { kind: string; works: boolean }[];
  /** Log lines from the store's connection written after the kill. */
  connectionErrorsLogged: number;
  /**
   * Of the rotating refresh chains, how many still refresh once service is back: a client that
   * retries after a 503 (its token may have been consumed before the store failed) keeps its grant.
   */
  refreshChains: { alive: number; of: number };
}

type LogLine = Record<string, unknown>;

/** stagepass on the given Redis, with a log the test reads and no token rate in the way of the mix. */
export async function startLoggedStagepass(redis: Record<string, unknown>): Promise<{ server: RunningStagepass; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const logger: Logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });
  const server = await startStagepass({
    logger,
    config: {
      ...redis,
      redisKeyPrefix: uniqueRedisPrefix(),
      licenses: [{ arn: LICENSES.large, maxTokens: 100_000 }],
      clients: [...Object.values(CLIENTS), ...Object.values(LICENSE_CLIENTS)],
      // Alice signs in for many grants at once, which the sign-in lockout would count as guessing.
      limits: { tokensPerSecond: { default: 0, [LICENSE_GRANT]: 0 }, login: { maxFailuresPerAccount: 100, maxFailuresPerIp: 100 } },
    },
  });
  return { server, lines };
}

/**
 * Issues tokens, waits two seconds, then runs a mix of client credentials, rotating refreshes,
 * license tokens, device authorizations and introspections while `kill` takes a Redis master
 * down; reports what the clients saw and whether the earlier tokens still work once it is over.
 */
export async function mixThroughFailover(server: RunningStagepass, lines: LogLine[], kill: () => Promise<void>): Promise<FailoverReport> {
  const client = clientCalls(server.issuer);
  const earlier = await issueEarlierTokens(server.issuer, client);
  // One refresh token per worker, rotated at every use: two workers using one would be a reuse.
  const chains = await Promise.all(Array.from({ length: WORKERS }, async () => (await authorizationCodeTokens(server.issuer, 'confidential')).tokens.refresh_token!));
  await sleep(2_000);

  const unexpected: FailoverReport['unexpected'] = [];
  const answered: FailoverReport['answered'] = {};
  const dead = new Set<number>();
  const record = (operation: string, { status, headers, body }: Answer) => {
    (answered[operation] ??= {})[status] = ((answered[operation] ??= {})[status] ?? 0) + 1;
    const fine = status === 200 || (status === 503 && headers.get('retry-after') !== null);
    if (!fine) unexpected.push({ operation, status, retryAfter: headers.get('retry-after'), body });
  };
  const operations: ((worker: number) => Promise<void>)[] = [
    async () => record('client_credentials', await client.clientCredentials()),
    async () => record('license', await client.license()),
    async () => record('device_authorization', await client.deviceAuthorization()),
    async () => record('introspection', await client.introspect(earlier.serviceToken, CLIENTS.service)),
    async (chain) => {
      if (dead.has(chain)) return;
      // After a 503 the worker retries with the same token, as a client told to retry would.
      const answer = await client.refresh(chains[chain]!);
      if (answer.status === 200) chains[chain] = (answer.body as { refresh_token: string }).refresh_token;
      if (answer.status === 400) dead.add(chain);
      record('refresh_token', answer);
    },
  ];

  let stopping = false;
  const mix = Promise.all(Array.from({ length: WORKERS }, async (_, worker) => {
    for (let round = worker; !stopping && round < 100_000; round += 1) await operations[round % operations.length]!(worker);
  }));
  await sleep(1_000);

  const killedAt = Date.now();
  await kill();
  const readiness: number[] = [];
  let recoveredAfterMs: number | undefined;
  while (Date.now() - killedAt < RECOVERY_LIMIT_MS + 5_000) {
    readiness.push((await fetch(`${server.issuer}/readyz`, { headers: { connection: 'close' } })).status);
    const probes = await Promise.all([client.clientCredentials(), client.license(), client.deviceAuthorization(), client.introspect(earlier.serviceToken, CLIENTS.service)]);
    if (readiness.at(-1) === 200 && probes.every(({ status }) => status === 200)) {
      recoveredAfterMs = Date.now() - killedAt;
      break;
    }
    await sleep(100);
  }
  await sleep(1_000);
  stopping = true;
  await mix;

  return {
    unexpected,
    answered,
    recoveredAfterMs,
    readiness,
    earlierTokens: await earlier.check(),
    connectionErrorsLogged: lines.filter((line) => line.message === 'redis connection error' && Date.parse(String(line.time)) >= killedAt).length,
    refreshChains: {
      alive: (await Promise.all(chains.map(async (token, chain) => !dead.has(chain) && (await client.refresh(token)).status === 200))).filter(Boolean).length,
      of: chains.length,
    },
  };
}

type Answer = Awaited<ReturnType<typeof postForm>>;
type ClientCalls = ReturnType<typeof clientCalls>;

function clientCalls(issuer: string) {
  const { service, confidential } = CLIENTS;
  const { other } = LICENSE_CLIENTS;
  // A connection per request: a kept-alive one that the server closes as idle while a request is
  // being sent on it is reset, which says nothing of the store.
  const as = ({ client_id, client_secret }: { client_id: string; client_secret: string }) => ({ ...basicAuth(client_id, client_secret), connection: 'close' });
  const token = (fields: Record<string, string>, by: { client_id: string; client_secret: string }) => postForm(`${issuer}/token`, fields, as(by));
  return {
    clientCredentials: () => token({ grant_type: 'client_credentials' }, service),
    license: () => token({ grant_type: LICENSE_GRANT, license_arn: LICENSES.large, client_token: randomUUID() }, other),
    exchangeLicense: (assertion: string) => token({ grant_type: JWT_BEARER_GRANT, assertion }, other),
    deviceAuthorization: () => postForm(`${issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid offline_access' }, { connection: 'close' }),
    introspect: (token: string, by: { client_id: string; client_secret: string }) => postForm(`${issuer}/token/introspection`, { token }, as(by)),
    refresh: (refreshToken: string) => token({ grant_type: 'refresh_token', refresh_token: refreshToken }, confidential),
  };
}

/** Tokens of every kind that the mix never touches, and how to tell, afterwards, that each still works. */
async function issueEarlierTokens(issuer: string, client: ClientCalls) {
  // Before the kill a 503 is a slow machine, not the failover under test: asked again.
  const untilServed = async (call: () => Promise<Answer>) => {
    for (let attempt = 1; ; attempt += 1) {
      const answer = await call();
      if (answer.status !== 503 || attempt === 5) return answer;
    }
  };
  const service = await Promise.all(Array.from({ length: 10 }, () => untilServed(client.clientCredentials)));
  const signedIn = await Promise.all([0, 1, 2, 3].map(() => authorizationCodeTokens(issuer, 'confidential')));
  const licenses = await Promise.all(Array.from({ length: 5 }, () => untilServed(client.license)));
  const tokenOf = (answer: Answer) => (answer.body as { access_token: string }).access_token;
  if (![...service, ...licenses].every(({ status }) => status === 200)) throw new Error('the earlier tokens could not be issued');
  return {
    serviceToken: tokenOf(service[0]!),
    async check(): Promise<{ kind: string; works: boolean }[]> {
      const active = async (token: string, as: { client_id: string; client_secret: string }) => (await client.introspect(token, as)).body?.active === true;
      return Promise.all([
        ...service.map(async (answer) => ({ kind: 'client_credentials access token', works: await active(tokenOf(answer), CLIENTS.service) })),
        ...signedIn.map(async ({ tokens }) => ({ kind: 'authorization code access token', works: await active(tokens.access_token, CLIENTS.confidential) })),
        ...signedIn.map(async ({ tokens }) => ({ kind: 'refresh token', works: (await client.refresh(tokens.refresh_token!)).status === 200 })),
        ...licenses.map(async (answer) => ({ kind: 'license token', works: (await client.exchangeLicense(tokenOf(answer))).status === 200 })),
      ]);
    },
  };
}
