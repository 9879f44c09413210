import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';

import { freePort } from './free-port.js';
import { sleep } from './sleep.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    chromiumPath: string;
  }
}

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let ownedRedis: ChildProcess | undefined;

/**
 * Finds the Redis the suites run against: REDIS_URL, else 127.0.0.1:6379, else a redis-server
 * started here on a spare port. A missing Redis or Chromium fails the run; nothing is skipped.
 */
export async function setup(project: TestProject): Promise<void> {
  project.provide('redisUrl', await findOrStartRedis());
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  project.provide('chromiumPath', CHROMIUM_PATH);
}

export async function teardown(): Promise<void> {
  ownedRedis?.kill('SIGTERM');
}

async function findOrStartRedis(): Promise<string> {
  for (const url of [process.env.REDIS_URL, 'redis://127.0.0.1:6379'].filter(Boolean) as string[]) {
    if (await answers(url)) return url;
  }
  const port = await freePort();
  ownedRedis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const spawnFailed = new Promise<never>((_, reject) => ownedRedis!.once('error', (e) => reject(new Error(`no Redis answered and redis-server could not start: ${e.message}`))));
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (await Promise.race([answers(url), spawnFailed])) return url;
    await sleep(100);
  }
  throw new Error('redis-server was started but never answered');
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
