import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { freePort } from './free-port.js';
import { currentLifetime, startProcess } from './processes.js';
import { sleep } from './sleep.js';
import { redisAnswers } from './redis-answers.js';

/** A redis-server on a spare loopback port, owned by one test, which may stop, pause and restart it. */
export interface OwnedRedis {
  url: string;
  /** Kills the server: connections drop and nothing answers on the port. */
  stop(): Promise<void>;
  /**
   * Starts it again on the same port with what it held (its append-only file, as stagepass needs
   * Redis to be run), or empty: a Redis that lost its data.
   */
  start(options?: { empty?: boolean }): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open and nothing answers, as a Redis stuck in a long command. */
  pause(): void;
  resume(): void;
  /** Sends one command (CONFIG SET, DEBUG SLEEP …) and returns the reply. */
  command(name: string, ...args: (string | number)[]): Promise<unknown>;
  /** Makes it full: it holds more than its new maxmemory, and with noeviction refuses every write. */
  fill(): Promise<void>;
  /** Lifts maxmemory again, so that it takes writes. */
  makeRoom(): Promise<void>;
}

/** `redisArgs`: more redis-server options (`--maxmemory-policy allkeys-lru` …). */
export async function startOwnedRedis(redisArgs: string[] = []): Promise<OwnedRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dir = await mkdtemp(join(tmpdir(), 'stagepass-redis-'));
  let child: ChildProcess | undefined;
  const lifetime = currentLifetime();

  const start = async ({ empty = false } = {}) => {
    if (empty) await rm(join(dir, 'appendonlydir'), { recursive: true, force: true });
    child = startProcess('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', ...redisArgs,
    ], { stdio: 'ignore', lifetime });
    const spawnFailed = new Promise<never>((_, reject) => child!.once('error', (error) =>
      reject(new Error(`redis-server could not start (apt-get install -y redis-server): ${error.message}`))));
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if (await Promise.race([redisAnswers(url), spawnFailed])) return;
      await sleep(50);
    }
    throw new Error(`redis-server on port ${port} never answered`);
  };
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };

  const command = async (name: string, ...args: (string | number)[]) => {
    const client = new Redis(url, { maxRetriesPerRequest: 0 });
    try {
      return await client.call(name, ...args);
    } finally {
      client.disconnect();
    }
  };
  const fill = async () => {
    await command('SET', 'ballast', 'x'.repeat(4 << 20));
    await command('CONFIG', 'SET', 'maxmemory', String(1 << 20));
  };
  const makeRoom = async () => {
    await command('CONFIG', 'SET', 'maxmemory', '0');
    await command('DEL', 'ballast');
  };

  await start();
  return { url, start, stop, pause: () => child?.kill('SIGSTOP'), resume: () => child?.kill('SIGCONT'), command, fill, makeRoom };
}
