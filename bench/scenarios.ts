import type autocannon from 'autocannon';

import { basicAuthorization, BENCH_CLIENT, GRANTS, LICENSE_ARN, MINTING_CLIENT, STAGE_ARN } from './fixtures.js';
import { BenchUser } from './sign-in.js';

type Request = autocannon.Request;
type Client = Parameters<NonNullable<autocannon.Options['setupClient']>>[0];

/** What autocannon sends for one round of a scenario. */
export interface Load {
  requests?: Request[];
  setupClient?: (client: Client) => void;
  /** Requests the load could not make because what it consumes ran out or broke. */
  shortfall(): number;
}

/** One round as the runner plans it: what a load must be ready to serve. */
export interface RoundPlan {
  connections: number;
  seconds: number;
  /** Requests per second the round may send at most: its fixed rate, or the peak it expects. */
  maxRate: number;
}

/** Makes the load of one round, just before the round: what a round consumes may expire. */
export type LoadFactory = (round: RoundPlan) => Promise<Load>;

export interface Scenario {
  id: string;
  label: string;
  prepare(server: string): Promise<LoadFactory>;
}

const FORM = 'application/x-www-form-urlencoded';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const benchClient = { authorization: basicAuthorization(BENCH_CLIENT.clientId, BENCH_CLIENT.clientSecret), 'content-type': FORM };
const mintingClient = { authorization: basicAuthorization(MINTING_CLIENT.clientId, MINTING_CLIENT.clientSecret), 'content-type': FORM };

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** The token requests the benchmarks send, as forms: one place for `npm run bench` and bench:instructions. */
export const tokenForms = {
  clientCredentials: () => form({ grant_type: 'client_credentials' }),
  ivs: () => form({ grant_type: GRANTS.ivs, stage_arn: STAGE_ARN, user_id: 'bench-user' }),
  video: (sessionId: string, format: 'jwt' | 't1') => form({ grant_type: GRANTS.video, session_id: sessionId, token_format: format, role: 'publisher' }),
  license: (clientToken: string) => form({ grant_type: GRANTS.license, license_arn: LICENSE_ARN, client_token: clientToken, expiration_in_days: '1' }),
};

/** A new video session of the minting client's, for video token requests to name. */
export async function createVideoSession(server: string): Promise<string> {
  const created = await fetch(`${server}/video/sessions`, { method: 'POST', headers: { authorization: mintingClient.authorization } });
  return ((await created.json()) as { session_id: string }).session_id;
}

/** The same request every time. */
function fixed(path: string, headers: Record<string, string>, body: string): LoadFactory {
  return async () => ({ requests: [{ method: 'POST', path, headers, body }], shortfall: () => 0 });
}

/** One request per item of a pool; an exhausted pool is counted, not hidden. */
function fromPool(headers: Record<string, string>, pool: string[], bodyFor: (item: string) => string): Load {
  // Oldest first, so nothing prepared expires while fresher items are used.
  const items = pool.reverse();
  let missing = 0;
  return {
    requests: [{
      method: 'POST',
      path: '/token',
      headers,
      setupRequest: (request) => {
        const item = items.pop();
        if (item === undefined) missing += 1;
        return { ...request, body: bodyFor(item ?? 'exhausted') };
      },
    }],
    shortfall: () => missing,
  };
}

export const clientCredentials: Scenario = {
  id: 'client_credentials',
  label: 'client_credentials',
  prepare: async () => fixed('/token', benchClient, tokenForms.clientCredentials()),
};

/**
 * Each connection refreshes a grant of its own, sending the refresh token the previous answer
 * rotated in, as a client lives it. A round ends with requests in flight whose rotated tokens are
 * never read, so every round starts from fresh grants.
 */
export function refreshChains(freshTokens: (server: string, count: number) => Promise<string[]>): Scenario {
  return {
    id: 'refresh_token',
    label: 'refresh_token (rotating)',
    async prepare(server) {
      return async ({ connections }) => {
        const chains = await freshTokens(server, connections);
        let next = 0;
        let broken = 0;
        return {
          setupClient(client) {
            const chain = next++ % chains.length;
            // autocannon calls onResponse with the whole body before it builds the next request.
            client.setRequests([{
              method: 'POST',
              path: '/token',
              headers: benchClient,
              setupRequest: (request) => ({ ...request, body: form({ grant_type: 'refresh_token', refresh_token: chains[chain]! }) }),
              onResponse: (_status, body) => {
                const rotated = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
                if (rotated) chains[chain] = rotated;
                else broken += 1;
              },
            }]);
          },
          shortfall: () => broken,
        };
      };
    },
  };
}

export const bareRefreshTokens = async (server: string, count: number) => {
  const response = await fetch(`${server}/bench/refresh-tokens?count=${count}`, { method: 'POST' });
  return ((await response.json()) as { refreshTokens: string[] }).refreshTokens;
};

export const stagepassRefreshTokens = async (server: string, count: number) => {
  const user = new BenchUser(server);
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) tokens.push(await user.refreshToken());
  return tokens;
};

/** Codes live a minute: making them may take 40 s at most, so the last of a 10 s round is still alive. */
const CODE_MAKING_SECONDS = 40;

/** Each round gets codes made just before it, as many as it could redeem, or as many as there was time to make. */
export const authorizationCode: Scenario = {
  id: 'authorization_code',
  label: 'authorization code redemption',
  async prepare(server) {
    const user = new BenchUser(server);
    await user.code();
    return async ({ seconds, maxRate }) => {
      const codes = await collect(Math.ceil(maxRate * seconds * 1.2), 8, () => user.code(), CODE_MAKING_SECONDS * 1000);
      return fromPool(benchClient, codes, (code) => form({ grant_type: 'authorization_code', code, redirect_uri: BENCH_CLIENT.redirectUri }));
    };
  },
};

export const ivsParticipantToken: Scenario = {
  id: 'ivs',
  label: 'IVS participant token',
  prepare: async () => fixed('/token', mintingClient, tokenForms.ivs()),
};

export const videoToken = (format: 'jwt' | 't1'): Scenario => ({
  id: `video_${format}`,
  label: `video token (${format})`,
  prepare: async (server) => fixed('/token', mintingClient, tokenForms.video(await createVideoSession(server), format)),
});

/** A distinct client_token per request, so every request mints a new token. */
export const licenseToken: Scenario = {
  id: 'license',
  label: 'license token (new client_token each)',
  async prepare() {
    let round = 0;
    return async () => {
      const prefix = `r${(round += 1)}-${Date.now()}`;
      let sequence = 0;
      return {
        requests: [{
          method: 'POST',
          path: '/token',
          headers: mintingClient,
          setupRequest: (request) => ({
            ...request,
            body: tokenForms.license(`${prefix}-${(sequence += 1)}`),
          }),
        }],
        shortfall: () => 0,
      };
    };
  },
};

export const licenseExchange: Scenario = {
  id: 'license_exchange',
  label: 'license jwt-bearer exchange',
  async prepare(server) {
    const response = await fetch(`${server}/token`, {
      method: 'POST',
      headers: mintingClient,
      body: form({ grant_type: GRANTS.license, license_arn: LICENSE_ARN, client_token: `exchange-${Date.now()}` }),
    });
    const { access_token: assertion } = (await response.json()) as { access_token: string };
    return fixed('/token', mintingClient, form({ grant_type: GRANTS.jwtBearer, assertion }));
  },
};

/** Devices that poll for a code nobody approved yet: each poll answers authorization_pending. */
export const devicePoll: Scenario = {
  id: 'device_poll',
  label: 'device poll (pending)',
  async prepare(server) {
    const start = async () => {
      const response = await fetch(`${server}/device/auth`, { method: 'POST', headers: benchClient, body: form({ scope: 'openid' }) });
      return ((await response.json()) as { device_code: string }).device_code;
    };
    return async ({ seconds, maxRate }) => {
      const codes = await collect(Math.ceil(maxRate * seconds * 1.2), 8, start, CODE_MAKING_SECONDS * 1000);
      return fromPool(benchClient, codes, (code) => form({ grant_type: DEVICE_CODE_GRANT, device_code: code }));
    };
  },
};

export const introspection: Scenario = {
  id: 'introspection',
  label: 'introspection',
  async prepare(server) {
    const response = await fetch(`${server}/token`, { method: 'POST', headers: benchClient, body: tokenForms.clientCredentials() });
    const { access_token: token } = (await response.json()) as { access_token: string };
    return fixed('/token/introspection', benchClient, form({ token }));
  },
};

/** The grants whose Redis cost the capacity model counts. */
export const COSTED_GRANTS: Scenario[] = [
  clientCredentials, refreshChains(stagepassRefreshTokens), devicePoll, authorizationCode, licenseToken, ivsParticipantToken, videoToken('jwt'), videoToken('t1'),
];

/** Runs `make` `count` times, `concurrency` at a time, stopping early once `withinMs` have passed. */
async function collect<T>(count: number, concurrency: number, make: () => Promise<T>, withinMs: number): Promise<T[]> {
  const items: T[] = [];
  const deadline = Date.now() + withinMs;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (items.length < count && Date.now() < deadline) items.push(await make());
  }));
  return items;
}
