/**
 * `npm run bench:instructions -- [memory|redis|bare] [requests] [--grant=G]`: CPU instructions per
 * token request (client_credentials unless G names a minting grant: license, video_jwt, video_t1
 * or ivs), counted by valgrind's callgrind rather than timed. On a machine
 * whose neighbours move wall-clock CPU time by ±10% from one run to the next, a count that
 * repeats within a few percent is what tells a 5% change apart from noise. The server runs under
 * callgrind with counting off; after a warm-up that lets the JIT settle, counting is switched on
 * for the measured requests only, four at a time on keep-alive connections: a steadier count than
 * autocannon's (whose rounds counted 1,213 and 1,347 thousand where these count within ±25).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../test/support/free-port.js';
import { basicAuthorization, BENCH_CLIENT, MINTING_CLIENT, writeStagepassConfig } from './fixtures.js';
import { startRedis, startServerProcess } from './processes.js';
import { createVideoSession, tokenForms } from './scenarios.js';

const SERVERS = ['memory', 'redis', 'bare'] as const;
type Server = (typeof SERVERS)[number];

const GRANT_OPTIONS = ['client_credentials', 'license', 'video_jwt', 'video_t1', 'ivs'] as const;
type Grant = (typeof GRANT_OPTIONS)[number];

const grantOption = process.argv.find((argument) => argument.startsWith('--grant='))?.slice('--grant='.length) ?? 'client_credentials';
if (!GRANT_OPTIONS.includes(grantOption as Grant)) throw new Error(`--grant must be one of ${GRANT_OPTIONS.join(', ')}`);
const grant = grantOption as Grant;
const [serverArgument = 'memory', requestsArgument = '1500'] = process.argv.slice(2).filter((argument) => !argument.startsWith('--'));
if (!SERVERS.includes(serverArgument as Server)) throw new Error(`server must be one of ${SERVERS.join(', ')}`);
const server = serverArgument as Server;
if (server === 'bare' && grant !== 'client_credentials') throw new Error('bare oidc-provider serves client_credentials only');
const REQUESTS = Number(requestsArgument);
if (!Number.isInteger(REQUESTS) || REQUESTS < 1) throw new Error('requests must be a positive whole number');
const WARM_UP_REQUESTS = 3_000;
const CONCURRENCY = 4;
const ROOT = new URL('..', import.meta.url).pathname;

if (server !== 'bare') execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
const redis = server === 'redis' ? await startRedis() : undefined;
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const dir = mkdtempSync(join(tmpdir(), 'stagepass-instructions-'));
const script = server === 'bare'
  ? ['--import', 'tsx', join(ROOT, 'bench/bare-provider.ts')]
  : [join(ROOT, 'dist/main.js')];
const serverUnderCallgrind = await startServerProcess(`${server} under callgrind`, 'valgrind', [
  '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(dir, 'callgrind.out')}`, '--smc-check=all-non-file',
  // V8 compiles on the main thread then, so the count does not depend on how its threads interleave.
  process.execPath, '--single-threaded', ...script,
], {
  env: {
    PORT: String(port),
    ISSUER: url,
    STAGEPASS_CONFIG: await writeStagepassConfig(dir, redis ? { redisUrl: `${redis.url}/0` } : {}),
  },
  url,
  readyPath: '/.well-known/openid-configuration',
  // Under valgrind the server takes a minute or more to start.
  timeoutMs: 300_000,
});

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const client = grant === 'client_credentials' ? BENCH_CLIENT : MINTING_CLIENT;
const authorization = basicAuthorization(client.clientId, client.clientSecret);
const bodyOf = await requestBodies(grant);
const tokenRequest = () => new Promise<number>((resolve, reject) => {
  const body = bodyOf();
  const headers = { authorization, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) };
  const outgoing = request({ host: '127.0.0.1', port, path: '/token', method: 'POST', agent, headers }, (response) => {
    response.resume();
    response.on('end', () => resolve(response.statusCode ?? 0));
  });
  outgoing.on('error', reject);
  outgoing.end(body);
});
const send = async (count: number) => {
  let left = count;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (left-- > 0) {
      const status = await tokenRequest();
      if (status !== 200) throw new Error(`token request answered ${status}`);
    }
  }));
};
const callgrind = (...args: string[]) => execFileSync('callgrind_control', [...args, String(serverUnderCallgrind.pids()[0])], { stdio: 'ignore' });

try {
  await send(WARM_UP_REQUESTS);
  callgrind('--instr=on');
  await send(REQUESTS);
  callgrind('--instr=off');
  callgrind('--dump');
} finally {
  agent.destroy();
  await serverUnderCallgrind.stop();
  await redis?.stop();
}

const counted = readdirSync(dir)
  .filter((name) => name.startsWith('callgrind.out'))
  .map((name) => Number(/^totals: (\d+)/m.exec(readFileSync(join(dir, name), 'utf8'))?.[1] ?? 0))
  .reduce((sum, count) => sum + count, 0);
process.stdout.write(`${server}: ${(counted / REQUESTS / 1000).toFixed(0)} thousand instructions per ${grant} request (${REQUESTS} requests after ${WARM_UP_REQUESTS} to warm up)\n`);

/** The form of each request: the same for most grants, a new client_token for every license token. */
async function requestBodies(of: Grant): Promise<() => string> {
  switch (of) {
    case 'client_credentials':
      return tokenForms.clientCredentials;
    case 'ivs':
      return tokenForms.ivs;
    case 'license': {
      let sequence = 0;
      return () => tokenForms.license(`instructions-${(sequence += 1)}`);
    }
    case 'video_jwt':
    case 'video_t1': {
      const body = tokenForms.video(await createVideoSession(url), of === 'video_jwt' ? 'jwt' : 't1');
      return () => body;
    }
  }
}
