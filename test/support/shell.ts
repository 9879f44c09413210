import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startProcess } from './processes.js';

export interface Ran {
  /** What the code printed: its stdout, then its stderr. */
  output: string;
  /** Whether it ended without a command failing. */
  ok: boolean;
}

export interface Shell {
  run(code: string, timeoutMs?: number): Promise<Ran>;
}

/**
 * One bash, as a reader types into one terminal: variables set by one piece of code are there
 * for the next. It stops at the first command that fails, at an unset variable, or at a failure
 * within a pipe (`set -euo pipefail`), so that code which only seems to work does not pass. It
 * runs in the test environment (test/support/processes.ts), in the checkout, as a reader would.
 */
export async function startShell(): Promise<Shell> {
  const dir = await mkdtemp(join(tmpdir(), 'stagepass-shell-'));
  // A process group of its own: what the code started ends with the shell.
  const bash = startProcess('bash', ['--noprofile', '--norc'], { stdio: ['pipe', 'pipe', 'pipe'], group: true });
  const streams = { stdout: '', stderr: '' };
  let changed = () => {};
  bash.stdout!.on('data', (chunk) => { streams.stdout += chunk; changed(); });
  bash.stderr!.on('data', (chunk) => { streams.stderr += chunk; changed(); });
  const exited = new Promise<void>((resolve) => bash.once('exit', () => resolve()));
  bash.stdin!.write('set -euo pipefail\n');
  let pieces = 0;

  return {
    async run(code, timeoutMs = 30_000) {
      pieces += 1;
      // Sourced from a file, so that code reading stdin cannot swallow what comes after it.
      const file = join(dir, `piece-${pieces}.sh`);
      await writeFile(file, `${code}\n`);
      const done = `--- ${randomUUID()} ---`;
      const from = { stdout: streams.stdout.length, stderr: streams.stderr.length };
      const finished = () => streams.stdout.includes(done, from.stdout) && streams.stderr.includes(done, from.stderr);
      const ended = new Promise<'done'>((resolve) => {
        changed = () => finished() && resolve('done');
      });
      bash.stdin!.write(`source ${file}\nprintf '\\n%s\\n' '${done}'; printf '\\n%s\\n' '${done}' >&2\n`);
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        ended,
        exited.then(() => 'exited' as const),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
      ]);
      clearTimeout(timer);
      const printed = ['stdout', 'stderr'].map((name) => streams[name as keyof typeof streams].slice(from[name as keyof typeof from]).replace(`\n${done}\n`, ''));
      const output = printed.filter(Boolean).join('\n');
      if (outcome === 'timeout') return { output: `${output}\n(still running after ${timeoutMs} ms)`, ok: false };
      return { output, ok: outcome === 'done' };
    },
  };
}
