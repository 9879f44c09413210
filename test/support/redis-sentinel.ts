import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { freePort } from './free-port.js';
import { startProcess } from './processes.js';
import { sleep } from './sleep.js';

const run = promisify(execFile);

export const SENTINEL_MASTER_NAME = 'stagepass-master';

export interface RedisSentinels {
  sentinels: { host: string; port: number }[];
  /** The port of the master the sentinels name now. */
  masterPort(): Promise<number>;
  /** SIGKILLs the server on that port, as a crashed machine. */
  kill(port: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One master, one replica and three sentinels (quorum two) on spare loopback ports, owned by the
 * test that starts them. The sentinels call a master that is silent for a second down and fail
 * over to the replica. Needs redis-server and redis-cli (apt-get install -y redis-server).
 */
export async function startRedisSentinels(): Promise<RedisSentinels> {
  const dir = await mkdtemp(join(tmpdir(), 'stagepass-sentinel-'));
  const [masterPort, replicaPort, ...sentinelPorts] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  const processes = new Map<number, ChildProcess>();
  let spawnFailure: Error | undefined;
  const server = (port: number, args: string[]) => {
    const child = startProcess('redis-server', args, { stdio: 'ignore' });
    child.once('error', (error) => { spawnFailure = error; });
    processes.set(port, child);
  };
  const waitFor = (condition: () => Promise<boolean>, failure: string) => waitUntil(async () => {
    if (spawnFailure) throw new Error(`redis-server could not start (apt-get install -y redis-server): ${spawnFailure.message}`);
    return condition();
  }, failure);
  const kill = async (port: number) => {
    const child = processes.get(port)!;
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  const stop = async () => {
    await Promise.all([...processes.keys()].map(kill));
    await rm(dir, { recursive: true, force: true });
  };
  const dataServer = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  try {
    server(masterPort!, ['--port', String(masterPort), ...dataServer]);
    server(replicaPort!, ['--port', String(replicaPort), ...dataServer, '--replicaof', '127.0.0.1', String(masterPort)]);
    // Sentinels learn of replicas from the master's INFO, every ten seconds: a replica synced
    // before they start is known at once.
    await waitFor(async () => (await cli(replicaPort!, 'info', 'replication')).includes('master_link_status:up'), 'the replica never synced with its master');
    for (const port of sentinelPorts) {
      // Sentinels rewrite their configuration file as they learn: one writable file each.
      const file = join(dir, `sentinel-${port}.conf`);
      await writeFile(file, [
        `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
        '',
      ].join('\n'));
      server(port, [file, '--sentinel']);
    }
    // A failover needs the sentinels to agree: each must know the replica and the two others.
    for (const port of sentinelPorts) {
      await waitFor(async () => (await cli(port, 'sentinel', 'replicas', SENTINEL_MASTER_NAME)).includes(String(replicaPort)), `sentinel ${port} never saw the replica`);
      await waitFor(async () => {
        const others = await cli(port, 'sentinel', 'sentinels', SENTINEL_MASTER_NAME);
        return sentinelPorts.filter((other) => other !== port).every((other) => others.includes(String(other)));
      }, `sentinel ${port} never met the other sentinels`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
    async masterPort() {
      const [, port] = (await cli(sentinelPorts[0]!, 'sentinel', 'get-master-addr-by-name', SENTINEL_MASTER_NAME)).trim().split('\n');
      return Number(port);
    },
    kill,
    stop,
  };
}

async function cli(port: number, ...args: string[]): Promise<string> {
  try {
    return (await run('redis-cli', ['-p', String(port), ...args])).stdout;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('redis-cli not found: apt-get install -y redis-server');
    return '';
  }
}

async function waitUntil(condition: () => Promise<boolean>, failure: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await condition()) return;
    await sleep(100);
  }
  throw new Error(failure);
}
