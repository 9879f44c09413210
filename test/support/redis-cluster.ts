import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { freePort } from './free-port.js';
import { sleep } from './sleep.js';

const run = promisify(execFile);

export interface RedisCluster {
  seedUrl: string;
  stop(): Promise<void>;
}

/** Three masters on spare loopback ports, owned by the test that starts them. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'stagepass-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes: ChildProcess[] = ports.map((port) =>
    spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no',
    ], { stdio: 'ignore' }));
  const stop = async () => {
    for (const node of nodes) node.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await waitFor(() => ping(port));
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(async () => (await run('redis-cli', ['-p', String(ports[0]), 'cluster', 'info'])).stdout.includes('cluster_state:ok'));
  } catch (error) {
    await stop();
    throw error;
  }
  return { seedUrl: `redis://127.0.0.1:${ports[0]}`, stop };
}

async function ping(port: number): Promise<boolean> {
  try {
    return (await run('redis-cli', ['-p', String(port), 'ping'])).stdout.trim() === 'PONG';
  } catch {
    return false;
  }
}

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await condition()) return;
    await sleep(100);
  }
  throw new Error('redis cluster did not come up');
}
