import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { freePort } from './free-port.js';
import { startProcess } from './processes.js';
import { sleep } from './sleep.js';

const run = promisify(execFile);

/** Short, so that a test sees a failover in seconds: a master silent this long is failed over. */
export const CLUSTER_NODE_TIMEOUT_MS = 2_000;

export interface RedisCluster {
  seedUrl: string;
  /** Every node's port; the first is the seed's. */
  ports: number[];
  /** Ports of the nodes that are masters now. */
  masterPorts(): Promise<number[]>;
  /** How many keys starting with `prefix` a node holds. */
  countKeys(port: number, prefix: string): Promise<number>;
  /** `CONFIG SET` on one node. */
  configSet(port: number, name: string, value: string): Promise<void>;
  /** SIGKILLs one node, as a crashed machine. */
  kill(port: number): Promise<void>;
  /** Until every node still up says the cluster is ok again (a dead master's replica promoted). */
  recovered(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Three masters, each with a replica, on spare loopback ports, owned by the test that starts them.
 * Needs redis-server and redis-cli (apt-get install -y redis-server): missing, the test fails.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'stagepass-cluster-'));
  const ports = await Promise.all(Array.from({ length: 6 }, () => freePort()));
  const nodes = new Map<number, ChildProcess>(ports.map((port) => [port, spawnNode(port, dir)]));
  let spawnFailure: Error | undefined;
  for (const node of nodes.values()) node.once('error', (error) => { spawnFailure = error; });
  const kill = async (port: number) => {
    const node = nodes.get(port)!;
    if (node.pid === undefined || node.exitCode !== null || node.signalCode !== null) return;
    const exited = once(node, 'exit');
    node.kill('SIGKILL');
    await exited;
  };
  const stop = async () => {
    await Promise.all(ports.map(kill));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      await waitFor(async () => {
        if (spawnFailure) throw new Error(`redis-server could not start (apt-get install -y redis-server): ${spawnFailure.message}`);
        return ping(port);
      }, `redis-server on port ${port} never answered`);
    }
    await cli(['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes']);
    await waitFor(async () => (await Promise.all(ports.map(clusterIsOk))).every(Boolean), 'redis cluster did not come up');
    // The cluster says ok before its replicas have their masters' data; a replica that never synced
    // refuses to fail over (its data is "too old"), so a master killed before then stays failed.
    await waitFor(async () => (await Promise.all(ports.map(replicaIsSynced))).every(Boolean), 'redis cluster replicas did not sync');
  } catch (error) {
    await stop();
    throw error;
  }
  const live = () => ports.filter((port) => { const node = nodes.get(port)!; return node.exitCode === null && node.signalCode === null; });
  return {
    seedUrl: `redis://127.0.0.1:${ports[0]}`,
    ports,
    async masterPorts() {
      const roles = await Promise.all(live().map(async (port) => ({ port, role: (await cli(['-p', String(port), 'role'])).split('\n')[0] })));
      return roles.filter(({ role }) => role === 'master').map(({ port }) => port);
    },
    async countKeys(port, prefix) {
      return (await cli(['-p', String(port), '--scan', '--pattern', `${prefix}*`])).split('\n').filter(Boolean).length;
    },
    async configSet(port, name, value) {
      await cli(['-p', String(port), 'config', 'set', name, value]);
    },
    kill,
    async recovered() {
      const dead = ports.filter((port) => !live().includes(port));
      await waitFor(async () => {
        const states = await Promise.all(live().map(async (port) => (await clusterIsOk(port)) && !servesSlots(await cli(['-p', String(port), 'cluster', 'slots']), dead)));
        return states.every(Boolean);
      }, 'redis cluster did not recover');
    },
    stop,
  };
}

function spawnNode(port: number, dir: string): ChildProcess {
  return startProcess('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
    '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT_MS),
    '--dir', dir, '--save', '', '--appendonly', 'no',
    // A master otherwise waits 5 s for more replicas before it sends its data to the first.
    '--repl-diskless-sync-delay', '0',
  ], { stdio: 'ignore' });
}

async function cli(args: string[]): Promise<string> {
  try {
    return (await run('redis-cli', args)).stdout;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('redis-cli not found: apt-get install -y redis-server');
    throw error;
  }
}

async function ping(port: number): Promise<boolean> {
  try {
    return (await cli(['-p', String(port), 'ping'])).trim() === 'PONG';
  } catch (error) {
    if ((error as Error).message.startsWith('redis-cli not found')) throw error;
    return false;
  }
}

async function clusterIsOk(port: number): Promise<boolean> {
  return (await cli(['-p', String(port), 'cluster', 'info'])).includes('cluster_state:ok');
}

/** Whether a CLUSTER SLOTS answer (as redis-cli prints it, one value a line) names one of the ports as serving slots. */
function servesSlots(slots: string, ports: number[]): boolean {
  return slots.split('\n').some((line) => ports.includes(Number(line.trim())));
}

/** A master, or a replica whose link to its master is up (it holds the master's data). */
async function replicaIsSynced(port: number): Promise<boolean> {
  const replication = await cli(['-p', String(port), 'info', 'replication']);
  return replication.includes('role:master') || replication.includes('master_link_status:up');
}

async function waitFor(condition: () => Promise<boolean>, failure: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await condition()) return;
    await sleep(100);
  }
  throw new Error(failure);
}
