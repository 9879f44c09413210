import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { TestProject } from 'vitest/node';

import { freePort } from './free-port.js';
import { endProcess, startProcess } from './processes.js';
import { sleep } from './sleep.js';
import { redisAnswers } from './redis-answers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    chromiumPath: string;
    /** Where the run's `npm run build` writes how it ended (see test/support/built-server.ts). */
    buildReport: string;
  }
}

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';
let ownedRedis: ChildProcess | undefined;
let build: ChildProcess | undefined;

/**
 * Starts the build the process-starting tests wait for, and finds the Redis the suites run
 * against. A missing Redis or Chromium fails the run; nothing is skipped.
 */
export async function setup(project: TestProject): Promise<void> {
  project.provide('buildReport', startBuild());
  project.provide('redisUrl', await findOrStartRedis());
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  project.provide('chromiumPath', CHROMIUM_PATH);
}

export async function teardown(): Promise<void> {
  if (ownedRedis) endProcess(ownedRedis);
  if (build?.exitCode === null) endProcess(build);
}

/**
 * Starts `npm run build` beside the tests rather than before them: the tests that run stagepass
 * as a process of its own start the built server (what the Docker image runs), and wait for the
 * report written here once the build has ended. Returns the report's path.
 */
function startBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagepass-build-'));
  const report = join(dir, 'report.json');
  const ended = (code: number | null, output: string) => {
    // Written whole, then renamed: a reader never sees half a report.
    writeFileSync(join(dir, 'report.tmp'), JSON.stringify({ code, output }));
    renameSync(join(dir, 'report.tmp'), report);
  };
  let output = '';
  build = startProcess('npm', ['run', '--silent', 'build'], { stdio: ['ignore', 'pipe', 'pipe'], group: true });
  build.stdout!.on('data', (chunk) => (output += chunk));
  build.stderr!.on('data', (chunk) => (output += chunk));
  build.once('error', (error) => ended(null, error.message));
  build.once('exit', (code) => ended(code, output));
  return report;
}

/**
 * The Redis at 127.0.0.1:6379, else a redis-server started here on a spare port. Never the one
 * REDIS_URL names: that is a developer's own stagepass's, whose data the tests have no business in.
 */
export async function findOrStartRedis(): Promise<string> {
  if (await redisAnswers(LOCAL_REDIS)) return LOCAL_REDIS;
  const port = await freePort();
  ownedRedis = startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const spawnFailed = new Promise<never>((_, reject) => ownedRedis!.once('error', (e) => reject(new Error(`no Redis answered and redis-server could not start: ${e.message}`))));
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (await Promise.race([redisAnswers(url), spawnFailed])) return url;
    await sleep(100);
  }
  throw new Error('redis-server was started but never answered');
}
