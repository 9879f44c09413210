import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * The variables stagepass takes its settings from (src/main.ts). Whatever the run was started
 * with, a developer's own REDIS_URL or PORT say, reaches no process a test starts: a test that
 * wants one sets it.
 */
const STAGEPASS_SETTINGS = /^(REDIS_URL|PORT|ISSUER|STAGEPASS_\w*)$/;

/** This process's environment without stagepass's settings, with `set` over it. */
export function testEnvironment(set: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !STAGEPASS_SETTINGS.test(name));
  return { ...Object.fromEntries(inherited), ...set };
}

export interface StartOptions extends Omit<SpawnOptions, 'env' | 'detached'> {
  /** Variables set on purpose, over the test environment. */
  env?: Record<string, string>;
  /**
   * A process group of its own, ended whole: for what starts processes of its own (npm, cluster
   * mode, faketime), which would outlive the one they were started by.
   */
  group?: boolean;
  /** What it ends with: by default what is under way, a test (or its beforeEach) or the file. */
  lifetime?: Lifetime;
}

export type Lifetime = 'test' | 'file';

interface Running {
  group: boolean;
  lifetime: Lifetime;
}

const running = new Map<ChildProcess, Running>();
let testUnderWay = false;

/** What a process started now ends with; a server a test restarts keeps the lifetime it was first started with. */
export function currentLifetime(): Lifetime {
  return testUnderWay ? 'test' : 'file';
}

/**
 * Starts a process that ends with what started it: the test, the file (a beforeAll), or at the
 * latest the worker, whether the test passed or failed (see test/support/no-process-left.ts).
 */
export function startProcess(command: string, args: readonly string[], { env, group = false, lifetime = currentLifetime(), ...options }: StartOptions = {}): ChildProcess {
  const child = spawn(command, args, { ...options, env: testEnvironment(env), detached: group });
  running.set(child, { group, lifetime });
  child.once('exit', () => running.delete(child));
  // A process that could not start is reported by whoever waits on it: its 'error' must not crash the worker.
  child.once('error', () => running.delete(child));
  return child;
}

/** Kills the process at once, and with `group`, everything it started. */
export function endProcess(child: ChildProcess): void {
  const { group } = running.get(child) ?? { group: false };
  running.delete(child);
  if (child.pid === undefined) return;
  try {
    if (group) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function testStarted(): void {
  testUnderWay = true;
}

/** Ends what the test that just ended started and left running. */
export function testEnded(): void {
  testUnderWay = false;
  for (const [child, { lifetime }] of running) if (lifetime === 'test') endProcess(child);
}

/** Ends every process still running: at the end of a file, and as the worker stops. */
export function endEveryProcess(): void {
  for (const child of running.keys()) endProcess(child);
}

process.once('exit', endEveryProcess);

let signalsHandled = false;
/**
 * In a worker: Vitest stops one with SIGTERM, and the terminal's Ctrl+C reaches it as SIGINT;
 * neither runs the 'exit' handlers, so each ends the processes first, then takes its usual course.
 */
export function endProcessesOnSignals(): void {
  if (signalsHandled) return;
  signalsHandled = true;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      endEveryProcess();
      process.kill(process.pid, signal);
    });
  }
}
