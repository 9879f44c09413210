import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';

import type { Logger } from '../observability/logger.js';

/**
 * A worker that dies before it listens, or this soon after, is failing to start, not crashing
 * under load: on a busy machine a worker can take longer than this to fail at start. Real elapsed
 * time (performance.now), which a change of the machine's clock does not move.
 */
const STARTUP_FAILURE_MS = 5_000;

/**
 * The primary of cluster mode: one worker per core, all listening on one port (the primary hands
 * connections out round-robin). A worker that crashes is replaced; one that cannot even start
 * stops the whole server rather than restart forever. SIGTERM and SIGINT reach every worker,
 * and the primary exits once they all have.
 */
export async function runClusterPrimary(workerCount: number, logger: Logger): Promise<void> {
  let stopping = false;
  const startedAt = new Map<Worker, number>();

  const listening = new WeakSet<Worker>();
  const fork = () => {
    const worker = cluster.fork();
    startedAt.set(worker, performance.now());
    worker.once('listening', () => listening.add(worker));
  };
  cluster.on('exit', (worker, code, signal) => {
    const lived = performance.now() - (startedAt.get(worker) ?? -Infinity);
    startedAt.delete(worker);
    if (stopping) {
      // A worker that failed to start set the exit code before the others were stopped.
      if (startedAt.size === 0) void logger.close().then(() => process.exit(process.exitCode ?? 0));
      return;
    }
    logger.error('worker exited', { pid: worker.process.pid, code, signal });
    if (!listening.has(worker) || lived < STARTUP_FAILURE_MS) {
      stopping = true;
      for (const other of startedAt.keys()) other.kill('SIGTERM');
      process.exitCode = 1;
      if (startedAt.size === 0) void logger.close().then(() => process.exit(1));
      return;
    }
    fork();
  });

  const stop = () => {
    stopping = true;
    for (const worker of startedAt.keys()) worker.kill('SIGTERM');
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  for (let i = 0; i < workerCount; i += 1) fork();
  await Promise.all([...startedAt.keys()].map((worker) => once(worker, 'listening')));
}
