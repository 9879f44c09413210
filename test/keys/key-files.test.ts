import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { builtServer } from '../support/built-server.js';
import { startProcess } from '../support/processes.js';

const PROCESSES = 6;
const ROUNDS = 4;
const BUILT = (file: string) => JSON.stringify(`file://${resolve('dist/keys', file)}`);

/**
 * One instance's start, as a process of its own: it waits for the moment all of them start at,
 * then loads or creates each key file in `dir` and prints what it read.
 */
const startScript = (dir: string, at: number) => `
  import { loadOrCreateCookieKeys, loadOrCreateKeyEncryptionKey } from ${BUILT('signing-keys.js')};
  import { loadOrCreateP384Key } from ${BUILT('pem-keys.js')};
  const dir = ${JSON.stringify(dir)};
  while (Date.now() < ${at}) {}
  console.log(JSON.stringify({
    keyEncryptionKey: (await loadOrCreateKeyEncryptionKey(dir + '/key-encryption-key.json')).toString('base64url'),
    cookieKeys: await loadOrCreateCookieKeys(dir + '/cookie-keys.json'),
    ivsKey: (await loadOrCreateP384Key(dir + '/ivs-private-key.pem')).export({ type: 'pkcs8', format: 'pem' }),
  }));
`;

function start(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = startProcess(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => { stdout += chunk; });
    child.stderr!.on('data', (chunk) => { stderr += chunk; });
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

beforeAll(builtServer);

describe('key files created by instances starting together on one empty folder', () => {
  it('every instance reads the same whole files, and no draft is left behind', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const dir = await mkdtemp(join(tmpdir(), 'stagepass-key-files-'));
      const at = Date.now() + 300;
      const started = await Promise.all(Array.from({ length: PROCESSES }, () => start(startScript(dir, at))));
      expect(started.filter(({ code }) => code !== 0).map(({ stderr }) => stderr)).toEqual([]);
      const read = started.map(({ stdout }) => JSON.parse(stdout) as unknown);
      for (const instance of read) expect(instance).toEqual(read[0]);
      expect((await readdir(dir)).sort()).toEqual(['cookie-keys.json', 'ivs-private-key.pem', 'key-encryption-key.json']);
    }
  });
});
