import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { startProcess } from '../support/processes.js';
import { redisAnswers } from '../support/redis-answers.js';

interface Report {
  testResults: { assertionResults: { title: string; status: string }[] }[];
}

/** Runs test/suite/fixtures in a Vitest of its own, with the suite's configuration; resolves once that Vitest has exited. */
async function runFixtures(startedFile: string, reportFile: string): Promise<void> {
  const vitest = startProcess(process.execPath, [
    'node_modules/vitest/vitest.mjs', 'run', '--config', 'test/suite/fixtures/vitest.config.ts', '--reporter=json', `--outputFile=${reportFile}`,
  ], { env: { STARTED_PROCESSES_FILE: startedFile }, stdio: 'ignore', group: true });
  await once(vitest, 'exit');
}

describe('a test that fails leaves no process behind', () => {
  it('what failing tests started, and what their file started and never stopped, is gone by the next test and once the run ends', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stagepass-fixtures-'));
    const startedFile = join(dir, 'started.jsonl');
    const reportFile = join(dir, 'report.json');
    await runFixtures(startedFile, reportFile);

    const report = JSON.parse(await readFile(reportFile, 'utf8')) as Report;
    expect(report.testResults.flatMap(({ assertionResults }) => assertionResults.map(({ title, status }) => [title, status]))).toEqual([
      ['restarts the file\'s Redis, then fails an assertion with a server and a Redis of its own running', 'failed'],
      ['runs out of time while a Redis of its own runs', 'failed'],
      ['starts with nothing left of the tests before it, and the file\'s Redis, restarted by one of them, still running', 'passed'],
    ]);
    const started = (await readFile(startedFile, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as { server?: string; redis?: string });
    expect(started.filter(({ server }) => server)).toHaveLength(1);
    expect(started.filter(({ redis }) => redis)).toHaveLength(3);
    for (const { server, redis } of started) {
      if (server) await expect(fetch(`${server}/healthz`)).rejects.toThrow();
      if (redis) expect(await redisAnswers(redis)).toBe(false);
    }
  });
});
