import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { hashPassword } from '../../src/accounts/password.js';
import { BUILT_MAIN, builtServer } from './built-server.js';
import { freePort } from './free-port.js';
import { endProcess, startProcess } from './processes.js';
import { CLIENTS, keysIn, TEST_ADDRESS_RATES, USERS } from './stagepass.js';


export interface ChildStagepass {
  issuer: string;
  process: ChildProcess;
  /** Every JSON line the server has logged so far. */
  logLines(): Record<string, unknown>[];
  /** Sends the signal (to npm itself, under `npmStart`) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Kills whatever is left of the process and anything it started, orphans included. */
  kill(): void;
}

export interface ChildOptions {
  /** Shared by instances that should behave as one. */
  keysDir: string;
  redisUrl: string;
  redisKeyPrefix: string;
  /** Raw configuration merged over the test defaults. */
  config?: Record<string, unknown>;
  /** Run the source through `npm start`, as a user would, rather than the built server. */
  npmStart?: boolean;
  /** The built server's clock set apart from the machine's, as libfaketime spells it (`-30s`, `+2m`). */
  clockOffset?: string;
}

/**
 * stagepass in a process of its own on a spare port: the built server, as the Docker image runs
 * it (a server started from the source through tsx costs twice the CPU), or `npm start`.
 */
export async function startChildStagepass({ keysDir, redisUrl, redisKeyPrefix, config = {}, npmStart = false, clockOffset }: ChildOptions): Promise<ChildStagepass> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const path = join(keysDir, `config-${port}.json`);
  await writeFile(path, JSON.stringify({
    issuer,
    port,
    redisUrl,
    redisKeyPrefix,
    keys: keysIn(keysDir),
    clients: Object.values(CLIENTS),
    accounts: [{ ...USERS.alice, password: await hashPassword(USERS.alice.password) }],
    deviceFlow: { interval: 1, expiresIn: 600 },
    // Only the shutdown tests wait out a drain; they set one.
    shutdownDrainSeconds: 0,
    ...config,
    limits: { ...TEST_ADDRESS_RATES, ...(config.limits as Record<string, unknown> | undefined) },
  }));
  if (!npmStart) await builtServer();
  const built = [process.execPath, BUILT_MAIN];
  const [command, ...args] = npmStart ? ['npm', 'start', '--silent'] : clockOffset === undefined ? built : ['faketime', '-f', clockOffset, ...built];
  // A process group of its own, so that kill() reaches a server npm left behind.
  const child = startProcess(command!, args, { env: { STAGEPASS_CONFIG: path }, stdio: ['ignore', 'pipe', 'pipe'], group: true });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));

  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (stdout.includes('stagepass is listening')) resolve();
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`stagepass exited with ${code} before listening:\n${stderr}`)));
  });

  return {
    issuer,
    process: child,
    logLines: () => stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
    kill: () => endProcess(child),
  };
}
