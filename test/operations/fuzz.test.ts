import { connect } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AwsApiDescription, Minter } from '../../src/grants/common/minter.js';
import { MINTERS } from '../../src/grants/index.js';
import { signedPost } from '../support/aws.js';
import { approveDevice, authorizationCodeTokens } from '../support/flows.js';
import {
  IVS_GRANT, ivsConfig, LICENSE_CLIENTS, LICENSES, mint, MINTING_CLIENTS, STAGES, VIDEO_CLIENTS, VIDEO_PROJECT,
} from '../support/minters.js';
import { basicAuth, postForm } from '../support/relying-party.js';
import { createLogger } from '../../src/observability/logger.js';
import { ScriptedUser } from '../support/scripted-user.js';
import { CLIENTS, startStagepass, type RunningStagepass } from '../support/stagepass.js';

/** Fixed, so a failure is reproducible; the count keeps the run to a few seconds. */
const SEED = 20_261_123;
const REQUESTS = 3_000;
const RAW_REQUESTS = 100;
const CONCURRENCY = 16;

/** The minters' AWS-compatible APIs, as their plugins describe them, beside SSO OIDC. */
const MINTER_AWS_APIS = Object.values(MINTERS).flatMap((plugin) => (plugin.aws ? [plugin.aws] : []));
const operationPaths = (api: AwsApiDescription) =>
  (api.targetPrefix === undefined ? api.operations.map((operation) => `${api.prefix}/${operation}`) : [`${api.prefix}/`, api.prefix]);
const AWS_ROUTES = [
  '/aws/sso-oidc/client/register', '/aws/sso-oidc/device_authorization', '/aws/sso-oidc/token', '/aws/sso-oidc', '/aws/sts', '/aws/sts/',
  ...MINTER_AWS_APIS.flatMap(operationPaths),
];
const AWS_TARGETS = MINTER_AWS_APIS.flatMap(({ targetPrefix, operations }) =>
  (targetPrefix === undefined ? [] : [...operations, 'CreateLicense', ''].map((operation) => `${targetPrefix}${operation}`)));
const AWS_FIELDS = [
  'clientId', 'clientSecret', 'clientName', 'clientType', 'scopes', 'redirectUris', 'grantTypes', 'grantType', 'deviceCode', 'code',
  'refreshToken', 'codeVerifier', 'redirectUri', 'startUrl', 'stageArn', 'duration', 'userId', 'attributes', 'capabilities', 'name',
  'arn', 'tags', 'publicKeyMaterial', 'maxResults', 'nextToken', 'participantTokenConfigurations', 'LicenseArn', 'RoleArns',
  'ExpirationInDays', 'TokenProperties', 'ClientToken', 'Token', 'TokenId', 'MaxResults', 'NextToken', 'Filters', 'TokenIds',
  'ProductSKU', 'KeyFingerprint', 'CheckoutType', 'Entitlements', 'LicenseConsumptionToken', 'DryRun', 'DigitalSignatureMethod', 'NodeId',
  'CheckoutMetadata', 'Beneficiary',
  'participantId', 'reason', 'maxParticipants', 'maxPublishers', 'onePerPerson',
];

const OAUTH_ROUTES = [
  '/.well-known/openid-configuration', '/jwks', '/auth', '/auth/resume-uid', '/token', '/token/introspection', '/token/revocation',
  '/device/auth', '/device', '/device/resume-uid', '/me', '/reg', `/reg/${CLIENTS.confidential.client_id}`, '/session/end',
  '/session/end/confirm', '/session/end/success', '/interaction/some-uid', '/interaction/some-uid/login',
  '/interaction/some-uid/confirm', '/interaction/some-uid/abort', '/assets/stagepass.css', '/healthz', '/readyz', '/metrics', '/', '/nothing-here',
];
/** With the minters' own routes and grants, read from the running server once it is up. */
let ROUTES: string[] = [];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
const OAUTH_PARAMS = [
  'grant_type', 'client_id', 'client_secret', 'code', 'code_verifier', 'redirect_uri', 'refresh_token', 'scope', 'response_type',
  'state', 'nonce', 'prompt', 'code_challenge', 'code_challenge_method', 'device_code', 'user_code', 'token', 'token_type_hint',
  'request', 'request_uri', 'resource', 'claims', 'max_age', 'id_token_hint', 'post_logout_redirect_uri', 'xsrf', 'confirm', 'abort',
  'username', 'password', 'csrf', 'subject_token', 'subject_token_type', 'media_mode', 'location', 'redirect_uris', 'grant_types', 'jwks',
  'Action', 'Version', 'RoleArn', 'RoleSessionName', 'WebIdentityToken', 'DurationSeconds', 'Policy',
  'reason', 'keep_out_seconds',
];
const OAUTH_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code', 'password', 'implicit'];
let PARAMS: string[] = [];
let GRANT_TYPES: string[] = [];

/** What the running minters offer: their routes (path parameters filled in), grant types and the parameters those read. */
function readMinters(minters: readonly Minter[]): void {
  const grants = minters.flatMap((minter) => minter.grants);
  GRANT_TYPES = [...OAUTH_GRANT_TYPES, ...grants.map((grant) => grant.grantType)];
  PARAMS = [...new Set([...OAUTH_PARAMS, ...grants.flatMap((grant) => grant.parameters)])];
  const minterRoutes = minters.flatMap((minter) => minter.routes?.stack.map((layer) => layer.path) ?? [])
    .filter((path): path is string => typeof path === 'string')
    .map((path) => path.replace(/:[A-Za-z]+/g, 't-1'));
  ROUTES = [...OAUTH_ROUTES, ...new Set(minterRoutes), ...AWS_ROUTES];
}
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded; charset=latin1', 'application/json; charset=utf-16', 'application/jwt', '',
];

/** Host header values, well-formed and not: every published URL must stay the issuer's either way. */
const HOSTS = ['evil.example', 'a b', '[::1', '[::1]:8080', 'x:99999', '%', '%41', 'a/b', 'user@evil.example', '', 'x'.repeat(300), '127.0.0.1:1, evil.example'];

/** mulberry32: a small seeded generator. */
function generator(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Random = ReturnType<typeof generator>;

function junk(random: Random): string {
  const kinds = [
    () => '',
    () => 'x'.repeat(random.int(5000)),
    () => '%zz%e0%a4%a',
    () => '\u0000\u0001\u001f\u007f',
    () => '😀𝕏\u202e\ud800',
    () => '../../etc/passwd',
    () => '<script>alert(1)</script>',
    () => '{"a":',
    () => JSON.stringify({ nested: { deep: [1, null, true, 'x'.repeat(50)] } }),
    () => 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    () => String(random.int(2 ** 31) - 2 ** 30),
    () => '1e309',
    () => 'null',
    () => 'http://evil.example/cb',
    () => STAGES.main.arn,
    () => LICENSES.small,
    () => 'PUBLISH SUBSCRIBE ADMIN',
    () => random.pick(GRANT_TYPES),
    () => random.pick(Object.values(CLIENTS)).client_id,
    () => 'BCDF-GHJK',
    () => Buffer.from(Array.from({ length: random.int(64) }, () => random.int(256))).toString('base64url'),
  ];
  return random.pick(kinds)();
}

/** Every byte of the UTF-8 form escaped: works for any string, lone surrogates included. */
function percentEncoded(text: string): string {
  return [...Buffer.from(text)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

function fuzzForm(random: Random): URLSearchParams {
  const form = new URLSearchParams();
  const count = random.int(8);
  for (let i = 0; i < count; i += 1) form.append(random.next() < 0.9 ? random.pick(PARAMS) : junk(random), junk(random));
  if (random.next() < 0.5) form.set('grant_type', random.pick(GRANT_TYPES));
  return form;
}

function fuzzBody(random: Random): string {
  const kinds = [
    () => fuzzForm(random).toString(),
    () => JSON.stringify(Object.fromEntries(fuzzForm(random))),
    () => JSON.stringify(random.pick([[], null, 1, 'text', { redirect_uris: junk(random), grant_types: [junk(random)] }])),
    () => junk(random),
    () => `${fuzzForm(random)}&${'a'.repeat(60_000)}=1`,
    () => '',
  ];
  return random.pick(kinds)();
}

function fuzzHeaders(random: Random): Record<string, string> {
  const headers: Record<string, string> = {};
  const contentType = random.pick(CONTENT_TYPES);
  if (contentType) headers['content-type'] = contentType;
  const auth = random.int(8);
  const client = random.pick([...Object.values(CLIENTS), MINTING_CLIENTS.stageBackend, VIDEO_CLIENTS.backend, LICENSE_CLIENTS.backend]);
  if (auth === 0) headers.authorization = 'Basic !!!';
  if (auth === 1) headers.authorization = basicAuth(client.client_id, 'wrong-secret').authorization!;
  if (auth === 2 && 'client_secret' in client) headers.authorization = basicAuth(client.client_id, client.client_secret).authorization!;
  if (auth === 3) headers.authorization = `Bearer ${Buffer.from(junk(random)).toString('base64url')}`;
  if (auth === 4) headers.authorization = `Basic ${Buffer.from(`${junk(random)}:${junk(random)}`).toString('base64')}`;
  if (random.next() < 0.3) headers.cookie = `_session=${Buffer.from(junk(random)).toString('base64url')}; _interaction=x; _session.sig=y`;
  if (random.next() < 0.3) headers.accept = random.pick(['text/html', 'application/json', '*/*', 'image/png', '']);
  if (random.next() < 0.2) headers['x-request-id'] = Buffer.from(junk(random)).toString('base64url').slice(0, 300);
  if (random.next() < 0.1) headers.dpop = 'not.a.jwt';
  if (random.next() < 0.1) headers.origin = 'https://evil.example';
  if (random.next() < 0.2) headers['x-amz-target'] = random.next() < 0.8 ? random.pick(AWS_TARGETS) : junk(random).slice(0, 100);
  if (auth === 5) headers.authorization = `AWS4-HMAC-SHA256 Credential=${junk(random).slice(0, 60)}/20261123/us-west-2/ivs/aws4_request, SignedHeaders=host;x-amz-date, Signature=${junk(random).slice(0, 64)}`;
  if (auth === 5 || random.next() < 0.1) headers['x-amz-date'] = random.pick(['20261123T000000Z', '19700101T000000Z', junk(random).slice(0, 30)]);
  return headers;
}

/** What an AWS operation might be given: its own field names with any values, or JSON of another shape. */
function fuzzAwsBody(random: Random): string {
  const fields: Record<string, unknown> = {};
  for (let i = random.int(6); i > 0; i -= 1) {
    fields[random.pick(AWS_FIELDS)] = random.pick([junk(random), random.int(100_000) - 50_000, [junk(random)], { [junk(random)]: junk(random) }, null, true]);
  }
  return random.next() < 0.9 ? JSON.stringify(fields) : fuzzBody(random);
}

/** A request signed as the SDKs sign, by a client that exists, so the junk gets past SigV4 to the operation. */
async function signedAwsOnce(issuer: string, random: Random): Promise<Outcome> {
  const api = random.pick(MINTER_AWS_APIS);
  const path = random.pick(operationPaths(api));
  const client = random.pick([MINTING_CLIENTS.stageBackend, LICENSE_CLIENTS.backend]);
  const headers: Record<string, string> = api.targetPrefix === undefined
    ? { 'content-type': 'application/json' }
    : { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': random.pick(AWS_TARGETS) };
  const answer = await signedPost(`${issuer}${path}`, fuzzAwsBody(random), { service: api.signingName, client, headers });
  return { request: `signed POST ${path}`, status: answer.status };
}

/** The spellings oidc-provider's router accepts for one route, and one (a doubled slash) it does not. */
function spellings(path: string): string[] {
  const mixed = [...path].map((char, i) => (i % 2 ? char.toUpperCase() : char)).join('');
  return [path.toUpperCase(), mixed, `${path}/`, `${path.toUpperCase()}/`, `/${path}`, path.replace(/\/([^/]*)$/, '//$1')];
}

function fuzzPath(random: Random): string {
  let path = random.pick(ROUTES);
  if (random.next() < 0.2) path = random.pick(spellings(path));
  const suffix = random.int(10);
  if (suffix === 0) path += '/%zz';
  if (suffix === 1) path += `/${percentEncoded(junk(random))}`;
  if (suffix === 2) path += '//..%2f..%2f';
  if (suffix === 3) path = `${path}/${'a'.repeat(2000)}`;
  if (random.next() < 0.5) path += `?${fuzzForm(random).toString()}`;
  if (random.next() < 0.05) path += '&%E0%A4%A=%';
  return path;
}

interface Outcome {
  request: string;
  status: number;
}

async function fuzzOnce(issuer: string, random: Random): Promise<Outcome> {
  if (random.next() < 0.1) return signedAwsOnce(issuer, random);
  const method = random.pick(METHODS);
  const path = fuzzPath(random);
  const withBody = method !== 'GET' && method !== 'HEAD';
  const request = `${method} ${path.slice(0, 200)}`;
  try {
    const response = await fetch(`${issuer}${path}`, {
      method,
      headers: fuzzHeaders(random),
      body: withBody ? (path.startsWith('/aws/') && random.next() < 0.7 ? fuzzAwsBody(random) : fuzzBody(random)) : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return { request, status: response.status };
  } catch (error) {
    // The client refusing to send something (an invalid URL or header) is not an answer of the server.
    if (error instanceof TypeError && !String((error as Error & { cause?: unknown }).cause ?? '').includes('ECONN')) return { request, status: 0 };
    throw error;
  }
}

/** Bytes no HTTP client would send; the answer's status line is read straight off the socket. */
function rawOnce(port: number, random: Random): Promise<Outcome> {
  const payloads = [
    () => `${junk(random)}\r\n\r\n`,
    () => `GET /${junk(random)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    () => `POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 999\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\ngrant_type=`,
    () => `POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`,
    () => `POST /token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nzz\r\n${junk(random)}\r\n0\r\n\r\n`,
    () => `GET /healthz HTTP/1.1\r\nHost: x\r\n${'X-Big: '.concat('a'.repeat(20_000))}\r\n\r\n`,
    () => `GET / HTTP/9.9\r\n\r\n`,
    () => `${random.pick(['GET', 'POST'])} ${random.pick(ROUTES)} HTTP/1.1\r\nHost: ${random.pick(HOSTS)}\r\nContent-Length: 0\r\n\r\n`,
    () => `GET ${random.pick(ROUTES)} HTTP/1.1\r\nHost: x\r\nX-Forwarded-Host: ${random.pick(HOSTS)}\r\n\r\n`,
    () => `GET http://${random.pick(HOSTS)}${random.pick(ROUTES)} HTTP/1.1\r\nHost: ${random.pick(HOSTS)}\r\n\r\n`,
  ];
  const payload = random.pick(payloads)();
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setTimeout(3_000, () => socket.destroy());
    socket.on('data', (chunk) => {
      received += chunk;
      if (received.includes('\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve({ request: JSON.stringify(payload.slice(0, 80)), status: Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0) }));
    socket.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
    socket.end(payload);
  });
}

let server: RunningStagepass;
/** What the server logged at error level: nothing a client sends may put a line there. */
const errorLines: string[] = [];

beforeAll(async () => {
  server = await startStagepass({
    redis: true,
    logger: createLogger({ level: 'error', destination: { write: (line: string) => void errorLines.push(line) } }),
    config: (keysDir) => ({
      ivs: ivsConfig(keysDir),
      licenses: [{ arn: LICENSES.small, maxTokens: 100_000, productSku: 'fuzzed', entitlements: [{ name: 'seats', maxCount: 5 }], consumption: { borrow: {} } }],
      video: VIDEO_PROJECT,
      clients: [...Object.values(CLIENTS), MINTING_CLIENTS.stageBackend, LICENSE_CLIENTS.backend, VIDEO_CLIENTS.backend],
      limits: { tokensPerSecond: { default: 0 } },
    }),
  });
  readMinters(server.stagepass.minters);
});
afterAll(() => server.close());

describe('fuzzing every route', () => {
  it('thousands of malformed requests get no 5xx, the server stays up, and well-formed flows beside them are intact', async () => {
    const { issuer } = server;
    // State created before the storm, used after it.
    const before = await authorizationCodeTokens(issuer, 'confidential');
    const pendingDevice = await postForm(`${issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid' });

    const random = generator(SEED);
    const outcomes: Outcome[] = [];
    let sent = 0;
    const worker = async () => {
      while (sent < REQUESTS) {
        sent += 1;
        outcomes.push(await fuzzOnce(issuer, random));
      }
    };
    const rawWorker = async () => {
      for (let i = 0; i < RAW_REQUESTS; i += 1) outcomes.push(await rawOnce(Number(new URL(issuer).port), random));
    };

    let stormOver = false;
    const flowsBeside = async () => {
      let completed = 0;
      while (!stormOver || completed === 0) {
        const { tokens } = await authorizationCodeTokens(issuer, 'confidential');
        const refreshed = await postForm(`${issuer}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! },
          basicAuth(CLIENTS.confidential.client_id, CLIENTS.confidential.client_secret));
        expect(refreshed.status).toBe(200);
        const minted = await mint(issuer, MINTING_CLIENTS.stageBackend, IVS_GRANT, { stage_arn: STAGES.main.arn });
        expect(minted.status).toBe(200);
        completed += 1;
      }
      return completed;
    };

    const storm = Promise.all([...Array.from({ length: CONCURRENCY }, worker), rawWorker()]).finally(() => {
      stormOver = true;
    });
    const [, flowsCompleted] = await Promise.all([storm, flowsBeside()]);

    const serverErrors = outcomes.filter((outcome) => outcome.status >= 500);
    const where = [...new Set(serverErrors.map((outcome) => `${outcome.status} ${outcome.request.split('?')[0]}`))];
    expect(where, `seed ${SEED}; first: ${serverErrors[0]?.request}`).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.status >= 400 && outcome.status < 500).length).toBeGreaterThan(REQUESTS / 2);
    expect(flowsCompleted).toBeGreaterThan(0);
    expect(errorLines.slice(0, 3)).toEqual([]);

    expect((await fetch(`${issuer}/healthz`)).status).toBe(200);
    const refreshedAfter = await postForm(`${issuer}/token`, { grant_type: 'refresh_token', refresh_token: before.tokens.refresh_token! },
      basicAuth(CLIENTS.confidential.client_id, CLIENTS.confidential.client_secret));
    expect(refreshedAfter.status).toBe(200);
    await approveDevice(new ScriptedUser(), String(pendingDevice.body.verification_uri_complete));
    const polled = await postForm(`${issuer}/token`, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: String(pendingDevice.body.device_code), client_id: CLIENTS.native.client_id,
    });
    expect(polled.status).toBe(200);
  }, 90_000); // A fixed storm of requests: its time follows the machine's load.
});

describe('every route under every spelling', () => {
  it('answers without a 5xx or an error-level log line, in each spelling oidc-provider\'s router accepts and others', async () => {
    // The OAuth and page routes: the ones oidc-provider serves under other spellings, and the gates in front of them.
    const requests = OAUTH_ROUTES.flatMap((route) => spellings(route).flatMap((path) => ['GET', 'POST', 'PUT', 'DELETE'].map((method) => ({ method, path }))));
    const outcomes: Outcome[] = [];
    for (let i = 0; i < requests.length; i += CONCURRENCY) {
      outcomes.push(...(await Promise.all(requests.slice(i, i + CONCURRENCY).map(async ({ method, path }) => {
        const response = await fetch(`${server.issuer}${path}`, {
          method, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: '_session=x; _session.sig=y' },
          body: method === 'GET' ? undefined : 'user_code=BCDF-GHJK&xsrf=x&confirm=yes',
        });
        await response.arrayBuffer();
        return { request: `${method} ${path}`, status: response.status };
      }))));
    }
    expect(outcomes.filter((outcome) => outcome.status >= 500).map((outcome) => `${outcome.status} ${outcome.request}`)).toEqual([]);
    expect(errorLines.slice(0, 3)).toEqual([]);
  }, 120_000);
});
