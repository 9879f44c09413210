import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { bufferedDestination, createLogger } from '../../src/observability/logger.js';
import { signedPost } from '../support/aws.js';
import { builtServer } from '../support/built-server.js';
import { listenForMetrics } from '../../src/app/metrics-routes.js';
import { ownMetrics } from '../../src/observability/metrics.js';
import { approveDevice, authorizationCodeTokens } from '../support/flows.js';
import { freePort } from '../support/free-port.js';
import { IVS_GRANT, ivsConfig, LICENSE_CLIENTS, LICENSE_GRANT, LICENSES, mint, MINTING_CLIENTS, ROLE, STAGES } from '../support/minters.js';
import { basicAuth, postForm } from '../support/relying-party.js';
import { formsIn, ScriptedUser } from '../support/scripted-user.js';
import { CLIENTS, REDIRECT_URI, startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';

type LogLine = Record<string, unknown>;

const lines: LogLine[] = [];
const captured = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });

let server: RunningStagepass;
/** Everything secret that went over the wire during the flows below. */
const secrets: string[] = [];

beforeAll(async () => {
  server = await startStagepass({
    redis: true,
    logger: captured,
    config: (keysDir) => ({
      ivs: ivsConfig(keysDir),
      licenses: [{ arn: LICENSES.small, maxTokens: 100 }],
      clients: [...Object.values(CLIENTS), MINTING_CLIENTS.stageBackend, LICENSE_CLIENTS.backend],
    }),
  });
  await runFlowsCollectingSecrets();
});
afterAll(() => server.close());

async function runFlowsCollectingSecrets() {
  const { issuer } = server;
  secrets.push(USERS.alice.password, ...[...Object.values(CLIENTS), MINTING_CLIENTS.stageBackend, LICENSE_CLIENTS.backend]
    .flatMap((client) => ('client_secret' in client ? [client.client_secret] : [])));

  const { tokens } = await authorizationCodeTokens(issuer, 'confidential');
  secrets.push(tokens.access_token, tokens.refresh_token!, tokens.id_token!);
  const refreshed = await postForm(`${issuer}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! },
    basicAuth(CLIENTS.confidential.client_id, CLIENTS.confidential.client_secret));
  secrets.push(String(refreshed.body.access_token), String(refreshed.body.refresh_token));

  const device = await postForm(`${issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid' });
  const link = String(device.body.verification_uri_complete);
  secrets.push(String(device.body.device_code), new URL(link).searchParams.get('user_code')!);
  await approveDevice(new ScriptedUser(), link);
  const polled = await postForm(`${issuer}/token`, {
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: String(device.body.device_code), client_id: CLIENTS.native.client_id,
  });
  secrets.push(String(polled.body.access_token), String(polled.body.id_token));

  const participant = await mint(issuer, MINTING_CLIENTS.stageBackend, IVS_GRANT, { stage_arn: STAGES.main.arn, capabilities: 'SUBSCRIBE' });
  secrets.push(String(participant.body.access_token));
  const license = await mint(issuer, LICENSE_CLIENTS.backend, LICENSE_GRANT, { license_arn: LICENSES.small, role_arns: ROLE, client_token: 'install-1' });
  secrets.push(String(license.body.access_token));

  const registered = await fetch(`${issuer}/reg`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }),
  }).then((r) => r.json() as Promise<{ client_secret: string; registration_access_token: string }>);
  secrets.push(registered.client_secret, registered.registration_access_token);

  await postForm(`${issuer}/token`, { grant_type: 'client_credentials' }, basicAuth(CLIENTS.service.client_id, 'a-wrong-secret-guess-0123456789'));
  secrets.push('a-wrong-secret-guess-0123456789');
  await mint(issuer, MINTING_CLIENTS.stageBackend, IVS_GRANT, { stage_arn: STAGES.backstage.arn });
  await fetch(`${issuer}/licenses/tokens`, { headers: basicAuth(LICENSE_CLIENTS.backend.client_id, 'a-wrong-license-secret-0123') });
  secrets.push('a-wrong-license-secret-0123');

  // Through the AWS-compatible APIs: a signed call, a registration and a wrong signature.
  const signedParticipant = await signedPost(`${issuer}/aws/ivs-realtime/CreateParticipantToken`, JSON.stringify({ stageArn: STAGES.main.arn }), {
    service: 'ivs', client: MINTING_CLIENTS.stageBackend,
  });
  secrets.push(String((signedParticipant.body.participantToken as { token: string }).token));
  const ssoClient = await fetch(`${issuer}/aws/sso-oidc/client/register`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clientName: 'cli', clientType: 'public' }),
  }).then((r) => r.json() as Promise<{ clientSecret: string }>);
  secrets.push(ssoClient.clientSecret);
  await signedPost(`${issuer}/aws/ivs-realtime/CreateParticipantToken`, JSON.stringify({ stageArn: STAGES.main.arn }), {
    service: 'ivs', client: { client_id: MINTING_CLIENTS.stageBackend.client_id, client_secret: 'a-wrong-aws-secret-0123456789' },
  });
  secrets.push('a-wrong-aws-secret-0123456789');

  const user = new ScriptedUser();
  const login = await user.visit(`${issuer}/auth?${new URLSearchParams({
    client_id: CLIENTS.confidential.client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
  })}`);
  await user.submit(login, '/login', { username: USERS.alice.username, password: 'a-mistyped-password-4711' });
  secrets.push('a-mistyped-password-4711');
  expect(formsIn(login.html).length).toBeGreaterThan(0);
}

describe('logs', () => {
  it('no secret and no token ever reaches the logs', () => {
    const text = lines.map((line) => JSON.stringify(line)).join('\n');
    expect(secrets.filter((secret) => secret.length >= 8)).toHaveLength(secrets.length);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('every line is JSON with a level, a time and the id of the request it belongs to', () => {
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) {
      expect(line).toMatchObject({ level: expect.any(String), time: expect.any(String), message: expect.any(String), requestId: expect.any(String) });
    }
  });

  it('a request id sent by the caller is kept, returned and logged; an unusable one is replaced', async () => {
    const kept = await fetch(`${server.issuer}/jwks`, { headers: { 'x-request-id': 'edge-7f3a.42' } });
    expect(kept.headers.get('x-request-id')).toBe('edge-7f3a.42');
    expect(lines.some((line) => line.requestId === 'edge-7f3a.42' && line.message === 'request' && line.status === 200)).toBe(true);

    const replaced = await fetch(`${server.issuer}/jwks`, { headers: { 'x-request-id': 'not usable; has spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('closing the log before exit waits for every line, even with a write under way; later lines are dropped', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'stagepass-log-')), 'log.jsonl');
    const logger = createLogger({ destination: pino.destination({ dest: file, sync: false }) });
    // The first line starts an asynchronous write; the rest queue behind it.
    for (let i = 0; i < 5_000; i += 1) logger.info('line', { i });
    await logger.close();
    const written = readFileSync(file, 'utf8').trim().split('\n');
    expect(written).toHaveLength(5_000);
    expect(JSON.parse(written.at(-1)!)).toMatchObject({ message: 'line', i: 4_999 });

    expect(() => logger.info('after close')).not.toThrow();
    expect(readFileSync(file, 'utf8')).not.toContain('after close');
  });

  it('buffered lines are written without waiting for more traffic, and all of them on close', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'stagepass-log-')), 'log.jsonl');
    const logger = createLogger({ destination: bufferedDestination(file) });
    logger.info('lone line', { n: 1 });
    expect(readFileSync(file, 'utf8')).toBe('');
    await vi.waitFor(() => expect(readFileSync(file, 'utf8')).toContain('lone line'), { timeout: 5_000, interval: 50 });

    for (let i = 0; i < 3_000; i += 1) logger.info('line', { i });
    await logger.close();
    const written = readFileSync(file, 'utf8').trim().split('\n');
    expect(written).toHaveLength(3_001);
    expect(JSON.parse(written.at(-1)!)).toMatchObject({ message: 'line', i: 2_999 });
  });

  // A process of its own loads the built logger: through tsx it would take longer to start than to run.
  const builtLogger = fileURLToPath(new URL('../../dist/observability/logger.js', import.meta.url));

  it('buffered lines are written when the process exits without closing the log', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'stagepass-log-')), 'log.jsonl');
    await builtServer();
    const script = `import { bufferedDestination, createLogger } from ${JSON.stringify(builtLogger)};
      createLogger({ destination: bufferedDestination(${JSON.stringify(file)}) }).error('failed to start', { step: 'redis' });
      process.exit(1);`;
    const exit = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(exit.status).toBe(1);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ level: 'error', message: 'failed to start', step: 'redis' });
  });

  it('a destination that fails at exit leaves the exit code as the process set it', async () => {
    await builtServer();
    const script = `import { createLogger } from ${JSON.stringify(builtLogger)};
      const broken = { write() {}, flushSync() { throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }); } };
      createLogger({ destination: broken }).error('failed to start');
      process.exit(3);`;
    const exit = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(exit.status).toBe(3);
    expect(exit.stderr).not.toContain('EPIPE');
  });

  it('closing a log whose destination fails or never finishes still lets the process stop', async () => {
    const failing: EventEmitter & { write(line: string): void; end(): void } = Object.assign(new EventEmitter(), {
      write: () => {},
      end: () => failing.emit('error', new Error('EPIPE')),
    });
    await expect(createLogger({ destination: failing }).close()).resolves.toBeUndefined();

    // One that never says it is done is given up on after a while, rather than awaited forever.
    const stuck = Object.assign(new EventEmitter(), { write: () => {}, end: () => {} });
    await expect(createLogger({ destination: stuck }).close()).resolves.toBeUndefined();
  });
});

describe('audit events', () => {
  const audits = (kind: string) => lines.filter((line) => line.audit === kind);

  it('every issued token is recorded with client, user, grant, resource and capabilities', () => {
    expect(audits('token_issued')).toEqual(expect.arrayContaining([
      expect.objectContaining({ clientId: CLIENTS.confidential.client_id, userId: USERS.alice.sub, grantType: 'authorization_code' }),
      expect.objectContaining({ clientId: CLIENTS.confidential.client_id, userId: USERS.alice.sub, grantType: 'refresh_token' }),
      expect.objectContaining({ clientId: CLIENTS.native.client_id, userId: USERS.alice.sub, grantType: 'urn:ietf:params:oauth:grant-type:device_code' }),
      expect.objectContaining({ clientId: MINTING_CLIENTS.stageBackend.client_id, grantType: IVS_GRANT, resource: STAGES.main.arn, capabilities: ['SUBSCRIBE'] }),
      expect.objectContaining({ clientId: LICENSE_CLIENTS.backend.client_id, grantType: LICENSE_GRANT, resource: LICENSES.small }),
    ]));
    expect(audits('token_issued')).toContainEqual(expect.objectContaining({
      route: '/aws/ivs-realtime/CreateParticipantToken', clientId: MINTING_CLIENTS.stageBackend.client_id, grantType: IVS_GRANT, resource: STAGES.main.arn,
    }));
    // The sixth: the IVS token minted through the AWS API.
    expect(audits('token_issued').filter((line) => line.grantType === IVS_GRANT)).toHaveLength(2);
    expect(audits('token_issued')).toHaveLength(6);
  });

  it('a request that issues a token is logged once: its line is the audit event, with the request beside it', () => {
    for (const event of audits('token_issued')) {
      expect(event).toMatchObject({ message: 'token issued', method: 'POST', status: 200, durationMs: expect.any(Number) });
      expect(lines.filter((line) => line.requestId === event.requestId)).toEqual([event]);
    }
    // The AWS call mints through the same service as the token endpoint, on its own route's line.
    expect(audits('token_issued').map((event) => event.route).sort()).toEqual(['/aws/ivs-realtime/CreateParticipantToken', ...Array(5).fill('token')]);
  });

  it('every denial is recorded with who was refused and why', () => {
    expect(audits('denied')).toEqual(expect.arrayContaining([
      expect.objectContaining({ clientId: CLIENTS.service.client_id, reason: 'invalid_client', grantType: 'client_credentials' }),
      expect.objectContaining({ clientId: MINTING_CLIENTS.stageBackend.client_id, reason: 'access_denied', grantType: IVS_GRANT, resource: STAGES.backstage.arn }),
      expect.objectContaining({ clientId: CLIENTS.confidential.client_id, userId: USERS.alice.sub, reason: 'login_failed' }),
      expect.objectContaining({ path: '/licenses/tokens', reason: 'invalid_client' }),
      expect.objectContaining({ path: '/aws/ivs-realtime/CreateParticipantToken', clientId: MINTING_CLIENTS.stageBackend.client_id, reason: 'InvalidSignatureException' }),
    ]));
  });
});

describe('metrics', () => {
  it('/metrics counts requests by route and status, their latency, tokens by grant type and Redis errors', async () => {
    const response = await fetch(`${server.issuer}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/stagepass_http_requests_total\{route="token",method="POST",status="200"\} \d+/);
    expect(text).toMatch(/stagepass_http_requests_total\{route="token",method="POST",status="401"\} 1/);
    expect(text).toMatch(/stagepass_http_request_duration_seconds_bucket\{le="0\.5",route="token",method="POST"\} \d+/);
    expect(text).toContain(`stagepass_tokens_issued_total{grant_type="${IVS_GRANT}"} 2`);
    expect(text).toContain('stagepass_tokens_issued_total{grant_type="refresh_token"} 1');
    expect(text).toContain('stagepass_denials_total{reason="login_failed"} 1');
    expect(text).toContain('stagepass_redis_errors_total 0');
  });
});

describe('metrics protection', () => {
  it('with a bearer token configured, /metrics answers only to it', async () => {
    const guarded = await startStagepass({ config: { metrics: { bearerToken: 'scrape-token-0123456789' } } });
    try {
      expect((await fetch(`${guarded.issuer}/metrics`)).status).toBe(401);
      expect((await fetch(`${guarded.issuer}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      const allowed = await fetch(`${guarded.issuer}/metrics`, { headers: { authorization: 'Bearer scrape-token-0123456789' } });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain('stagepass_http_requests_total');
    } finally {
      await guarded.close();
    }
  });

  it('with a port of their own, metrics are served there and not on the main port', async () => {
    const port = await freePort();
    const separate = await startStagepass({ config: { metrics: { port } } });
    const metricsServer = await listenForMetrics(ownMetrics(separate.stagepass.metrics), { ...separate.stagepass.config.metrics, port, host: '127.0.0.1' });
    try {
      expect((await fetch(`${separate.issuer}/metrics`)).status).toBe(404);
      const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('stagepass_http_requests_total');
    } finally {
      metricsServer.close();
      await separate.close();
    }
  });
});
