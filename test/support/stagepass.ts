import { createServer, type Server } from 'node:http';
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, inject } from 'vitest';

import { hashPassword } from '../../src/accounts/password.js';
import { parseConfig } from '../../src/app/config.js';
import { loadOrCreateJwks } from '../../src/keys/signing-keys.js';
import { createStagepass, listen, type Stagepass } from '../../src/app/app.js';
import type { Logger } from '../../src/observability/logger.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { Store } from '../../src/store/store.js';
import { TestClock } from './clock.js';
import { freePort } from './free-port.js';

/** A port of its own per test file, so a browser test can answer the callback for real. */
export const CALLBACK_PORT = await freePort();

/** For the file calling it: the client's redirect URI answers as a real client's callback would. */
export function answerClientCallbacks(): void {
  const callback = createServer((_req, res) => res.end('callback received'));
  beforeAll(async () => {
    await new Promise<void>((resolve) => callback.listen(CALLBACK_PORT, '127.0.0.1', resolve));
  });
  afterAll(() => {
    callback.close();
  });
}
export const REDIRECT_URI = `http://127.0.0.1:${CALLBACK_PORT}/cb`;

export const USERS = {
  alice: { sub: 'sub-alice', username: 'alice', password: 'correct horse battery', claims: { name: 'Alice Example', email: 'alice@example.test', email_verified: true } },
};

export const CLIENTS = {
  confidential: {
    client_id: 'confidential-app',
    client_secret: 'confidential-app-secret-0123456789',
    client_name: 'Confidential App',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
  },
  native: {
    client_id: 'native-app',
    client_name: 'Living Room TV',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
  },
  service: {
    client_id: 'service',
    client_secret: 'service-secret-0123456789abcdef',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
} as const;

const aliceHash = hashPassword(USERS.alice.password);

/**
 * Every test runs from one address, and most register clients, start device flows, call the AWS APIs unsigned and change
 * sign-in methods freely; tests of these per-address rates set their own.
 */
export const TEST_ADDRESS_RATES = {
  registrationsPerMinutePerAddress: 100_000, deviceAuthorizationsPerMinutePerAddress: 100_000, unsignedAwsCallsPerMinutePerAddress: 100_000,
  factorChangesPerMinutePerAddress: 100_000,
};

export interface RunningStagepass {
  issuer: string;
  stagepass: Stagepass;
  server: Server;
  /** The server's clock: a test moves it on rather than waiting (the memory store, lockouts, rate windows, device polls). */
  clock: TestClock;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Run on the test Redis (under a fresh key prefix unless one is given). */
  redis?: boolean | { keyPrefix: string };
  /** Raw configuration merged over the test defaults, as a config file would hold it. */
  config?: Record<string, unknown> | ((keysDir: string) => Record<string, unknown>);
  /** Where keys live; a fresh folder holding the test JWKS unless given (to share keys across restarts). */
  keysDir?: string;
  /** Silent unless given (to read what the server logs). */
  logger?: Logger;
  /** The store the server runs on, instead of the one the configuration names. */
  store?: Store;
  /** The server's clock, when a store made before the server must stamp by it; a new one unless given. */
  clock?: TestClock;
  /** The issuer's host: 127.0.0.1 unless given; passkeys need a host name, and localhost is a secure context over http. */
  host?: 'localhost';
}

export async function startStagepass(options: StartOptions = {}): Promise<RunningStagepass> {
  const port = await freePort();
  const issuer = `http://${options.host ?? '127.0.0.1'}:${port}`;
  const keysDir = options.keysDir ?? (await newKeysDir());
  const redis = options.redis
    ? { redisUrl: inject('redisUrl'), redisKeyPrefix: typeof options.redis === 'object' ? options.redis.keyPrefix : uniqueRedisPrefix() }
    : {};
  const extra = (typeof options.config === 'function' ? options.config(keysDir) : options.config) ?? {};
  const config = parseConfig({
    issuer,
    port,
    keys: keysIn(keysDir),
    clients: Object.values(CLIENTS),
    accounts: [{ ...USERS.alice, password: await aliceHash }],
    deviceFlow: { interval: 1, expiresIn: 600 },
    ...redis,
    ...extra,
    limits: { ...TEST_ADDRESS_RATES, ...(extra.limits as Record<string, unknown> | undefined) },
  });
  const clock = options.clock ?? new TestClock();
  const stagepass = await createStagepass(config, { logger: options.logger ?? silentLogger, clock, store: options.store });
  const server = await listen(stagepass, port);
  return {
    issuer,
    stagepass,
    server,
    clock,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      stagepass.signingKeys.stop();
      await stagepass.store.close();
    },
  };
}

/** The key files of a server, all in one folder. */
export function keysIn(keysDir: string): {
  jwksFile: string; cookieKeysFile: string; encryptionKeyFile: string; keySetFile: string; storeGenerationFile: string;
} {
  return {
    jwksFile: join(keysDir, 'jwks.json'),
    cookieKeysFile: join(keysDir, 'cookie-keys.json'),
    encryptionKeyFile: join(keysDir, 'key-encryption-key.json'),
    keySetFile: join(keysDir, 'key-set.json'),
    storeGenerationFile: join(keysDir, 'store-generation.json'),
  };
}

/**
 * One JWKS per test process, made by the server's own key generation: a new keys folder starts
 * with a copy, so a server's first start does not generate an RSA key each time. Cookie and
 * key-encryption keys stay the folder's own; the command-line tests start servers on empty
 * folders and check the generation itself.
 */
let testJwks: Promise<string> | undefined;
function generatedJwks(): Promise<string> {
  testJwks ??= mkdtemp(join(tmpdir(), 'stagepass-test-jwks-')).then(async (dir) => {
    const path = join(dir, 'jwks.json');
    await loadOrCreateJwks(path);
    return path;
  });
  return testJwks;
}

/** A keys folder of its own, holding the test JWKS; a server started on it seeds its signing keys from that. */
export async function newKeysDir(): Promise<string> {
  const [dir, jwks] = await Promise.all([mkdtemp(join(tmpdir(), 'stagepass-keys-')), generatedJwks()]);
  await copyFile(jwks, keysIn(dir).jwksFile);
  return dir;
}

export function uniqueRedisPrefix(): string {
  return `stagepass-test:${randomUUID()}:`;
}
