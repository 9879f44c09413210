import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { beforeAll, describe, expect, it } from 'vitest';

import { verifyPassword } from '../../src/accounts/password.js';
import { BUILT_MAIN, builtServer } from '../support/built-server.js';
import { freePort } from '../support/free-port.js';
import { startProcess, testEnvironment } from '../support/processes.js';
import { keysIn } from '../support/stagepass.js';

const execFileAsync = promisify(execFile);
/** Runs a command to its end, in the test environment. */
const run = (command: string, args: string[]) => execFileAsync(command, args, { env: testEnvironment() });
const TSX = join('node_modules', '.bin', 'tsx');
// A server these tests stop has no traffic to drain: waiting out the 5-second default would only idle.
const STOP_AT_ONCE = { shutdownDrainSeconds: 0 };

/**
 * Starts stagepass (`src/main.ts` as `npm start` runs it, or the built server) and collects its
 * output until it exits or `until` appears.
 */
function startServer(main: 'source' | 'built', env: Record<string, string>, until?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const [command, ...args] = main === 'source' ? [TSX, 'src/main.ts'] : [process.execPath, BUILT_MAIN];
    // tsx runs the source in a process of its own.
    const child = startProcess(command!, args, { env, group: main === 'source' });
    let stdout = '';
    let stderr = '';
    const done = (code: number | null) => resolve({ code, stdout, stderr });
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      if (until?.test(stdout)) {
        child.once('exit', () => done(null));
        child.kill('SIGTERM');
      }
    });
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.once('exit', done);
  });
}

describe('command line', () => {
  it('hash-password prints one line: the salted scrypt form, which verifies the password', async () => {
    const { stdout } = await run('npm', ['run', '--silent', 'hash-password', '--', 'hunter2 with spaces']);
    const lines = stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^scrypt\$/);
    expect(await verifyPassword('hunter2 with spaces', lines[0]!)).toBe(true);
    expect(await verifyPassword('hunter3 with spaces', lines[0]!)).toBe(false);
  });

  it('the server starts on the default configuration, prints the sample credentials and creates its keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stagepass-start-'));
    const port = await freePort();
    const config = JSON.parse(await readFile('config/default.json', 'utf8')) as Record<string, unknown> & { ivs: object };
    const path = join(dir, 'config.json');
    const ivs = { ...config.ivs, privateKeyFile: join(dir, 'ivs-participant-key.pem') };
    await writeFile(path, JSON.stringify({ ...config, ...STOP_AT_ONCE, keys: keysIn(dir), ivs }));
    const result = await startServer('source', { STAGEPASS_CONFIG: path, PORT: String(port) }, /sign in as alice/);
    expect(result.stdout).toContain(`discovery: http://localhost:${port}/.well-known/openid-configuration`);
    expect(result.stdout).toContain('admin client:        sample-admin / sample-admin-secret-change-me');
    // Each configured minter shows how to mint with the sample client.
    for (const grantType of ['ivs-participant-token', 'license-token', 'video-token']) {
      expect(result.stdout).toContain(`-u sample-backend:sample-backend-secret-change-me -d grant_type=urn:stagepass:grant-type:${grantType}`);
    }
    const jwks = JSON.parse(await readFile(join(dir, 'jwks.json'), 'utf8')) as { keys: { alg: string; d?: string }[] };
    expect(jwks.keys.map((k) => k.alg)).toEqual(['ES256', 'RS256']);
  });

  // The built server from here on: what `npm run build` gives (the global setup runs it once per
  // run) is what the Docker image starts, and it starts at half the CPU of the source through tsx.
  describe('the built server', () => {
    beforeAll(builtServer);

    it('npm run build gives a dist/main.js that serves the same server', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'stagepass-dist-'));
      const path = join(dir, 'config.json');
      await writeFile(path, JSON.stringify({ ...STOP_AT_ONCE, keys: keysIn(dir) }));
      const port = await freePort();
      const child = startProcess(process.execPath, [BUILT_MAIN], { env: { STAGEPASS_CONFIG: path, PORT: String(port) } });
      let discovery: Record<string, unknown>;
      try {
        await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => String(chunk).includes('listening') && resolve()));
        discovery = await (await fetch(`http://localhost:${port}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      } finally {
        child.kill('SIGTERM');
      }
      expect(discovery.issuer).toBe(`http://localhost:${port}`);
      expect(discovery.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code']));
    });

    it('hashing the same password twice gives different salts', async () => {
      const hash = () => run(process.execPath, ['dist/cli/hash-password.js', 'same']);
      const [a, b] = await Promise.all([hash(), hash()]);
      expect(a.stdout).toMatch(/^scrypt\$/);
      expect(a.stdout).not.toBe(b.stdout);
    });

    it('the server refuses to start on an invalid configuration, naming the field, and exits non-zero', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'stagepass-config-'));
      const path = join(dir, 'bad.json');
      await writeFile(path, JSON.stringify({ port: 'not a number', clients: [] }));
      const result = await startServer('built', { STAGEPASS_CONFIG: path });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('port');
      expect(result.stdout).not.toContain('listening');
    });

    it('a restarted server reuses the keys it created rather than making new ones', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'stagepass-restart-'));
      const path = join(dir, 'config.json');
      await writeFile(path, JSON.stringify({ ...STOP_AT_ONCE, keys: keysIn(dir) }));
      const { jwksFile, cookieKeysFile, encryptionKeyFile } = keysIn(dir);
      // The key set file is written at the first rotation only.
      const keyFiles = () => Promise.all([jwksFile, cookieKeysFile, encryptionKeyFile].map((file) => readFile(file, 'utf8')));
      await startServer('built', { STAGEPASS_CONFIG: path, PORT: String(await freePort()) }, /listening/);
      const created = await keyFiles();
      await startServer('built', { STAGEPASS_CONFIG: path, PORT: String(await freePort()) }, /listening/);
      expect(await keyFiles()).toEqual(created);
    });
  });
});
