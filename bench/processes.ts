import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../test/support/free-port.js';
import { sleep } from '../test/support/sleep.js';

/** A server the benchmark started, with what it needs to read off it. */
export interface BenchProcess {
  name: string;
  url: string;
  pids(): number[];
  stop(): Promise<void>;
}

/** Starts a process and waits until `readyUrl` answers, or fails after `timeoutMs`. */
export async function startServerProcess(
  name: string,
  command: string,
  args: string[],
  { env, url, readyPath, timeoutMs = 30_000 }: { env: Record<string, string>; url: string; readyPath: string; timeoutMs?: number },
): Promise<BenchProcess> {
  // Only what the benchmark sets: an inherited REDIS_URL or PORT would point a server elsewhere.
  const { REDIS_URL: _redis, PORT: _port, ISSUER: _issuer, STAGEPASS_CONFIG: _config, ...inherited } = process.env;
  // Its log lines go to a file, as a deployment's go to a collector elsewhere: read through a pipe
  // by this process, they cost the load generator's CPU, on the cores the server runs on.
  const logDir = mkdtempSync(join(tmpdir(), 'stagepass-bench-log-'));
  const logFile = join(logDir, 'output.log');
  const output = openSync(logFile, 'w');
  const child = spawn(command, args, { env: { ...inherited, ...env }, stdio: ['ignore', output, output] });
  closeSync(output);
  const lastLines = () => readFileSync(logFile, 'utf8').split('\n').slice(-50).join('\n');

  const deadline = Date.now() + timeoutMs;
  while (!(await answers(`${url}${readyPath}`))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      await stopProcess(child);
      const lines = lastLines();
      rmSync(logDir, { recursive: true, force: true });
      throw new Error(`${name} did not start:\n${lines}`);
    }
    await sleep(100);
  }
  return {
    name,
    url,
    pids: () => processTree(child.pid!),
    async stop() {
      await stopProcess(child);
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

/** A Redis of the benchmark's own, on a spare port, keeping nothing on disk. */
export async function startRedis(): Promise<{ url: string; port: number; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('redis-server did not start (is it installed?)');
    await sleep(50);
  }
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid!, stop: () => stopProcess(child) };
}

/** Resident memory of the given processes, summed, in bytes. */
export function residentBytes(pids: number[]): number {
  return pids.reduce((total, pid) => {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return total + Number(match?.[1] ?? 0) * 1024;
  }, 0);
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU time the given processes have used so far, every thread of each, user and kernel, in microseconds. */
export function cpuMicroseconds(pids: number[]): number {
  return pids.reduce((total, pid) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // utime and stime are the 14th and 15th fields; the command name before them, in parentheses, may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return total + ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
  }, 0);
}

/** The process and its children (a cluster's workers), from /proc. */
function processTree(root: number): number[] {
  const children = readFileSync(`/proc/${root}/task/${root}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [root, ...children.flatMap(processTree)];
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function portOpen(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
