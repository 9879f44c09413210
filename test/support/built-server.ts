import { readFile } from 'node:fs/promises';

import { inject } from 'vitest';

import { sleep } from './sleep.js';

/** The server as `npm run build` leaves it and the Docker image runs it. */
export const BUILT_MAIN = 'dist/main.js';

let built: Promise<void> | undefined;

/**
 * Resolves once the run's `npm run build`, which the global setup starts beside the first tests,
 * has succeeded; fails with the compiler's output if it did not.
 */
export function builtServer(): Promise<void> {
  built ??= (async () => {
    const report = inject('buildReport');
    for (let waited = 0; waited < 120_000; waited += 50) {
      const text = await readFile(report, 'utf8').catch(() => undefined);
      if (text !== undefined) {
        const { code, output } = JSON.parse(text) as { code: number | null; output: string };
        if (code !== 0) throw new Error(`npm run build failed (exit ${code}):\n${output}`);
        return;
      }
      await sleep(50);
    }
    throw new Error('npm run build did not end within two minutes');
  })();
  return built;
}
