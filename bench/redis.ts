/**
 * `npm run bench:redis`: the Redis side of the capacity model alone: what each grant costs Redis
 * on one Redis and on a 3-master Redis Cluster, and what one master of this machine sustains.
 * Prints markdown and writes bench/results/redis-capacity.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../test/support/free-port.js';
import { startRedisCluster } from '../test/support/redis-cluster.js';
import { writeStagepassConfig } from './fixtures.js';
import { startRedis, startServerProcess, type BenchProcess } from './processes.js';
import { measureRedisCapacity, renderRedisCapacity } from './redis-capacity.js';

const ROOT = new URL('..', import.meta.url).pathname;

async function main(): Promise<void> {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const redis = await startRedis();
  const cluster = await startRedisCluster();
  const processes: BenchProcess[] = [];
  try {
    const single = await startStagepass('stagepass (Redis)', { redisUrl: redis.url });
    processes.push(single);
    const spread = await startStagepass('stagepass (Redis Cluster, 3 masters)', { redisUrl: cluster.seedUrl, redisCluster: true });
    processes.push(spread);
    const { costs, throughput } = await measureRedisCapacity({ server: single, redis }, { server: spread, masterPorts: await cluster.masterPorts() });
    const markdown = renderRedisCapacity(costs, throughput);
    process.stdout.write(`\n${markdown}\n`);
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/redis-capacity.json'), `${JSON.stringify({ when: new Date().toISOString(), costs, throughput, markdown }, null, 2)}\n`);
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await cluster.stop();
    await redis.stop();
  }
}

async function startStagepass(name: string, options: { redisUrl: string; redisCluster?: boolean }): Promise<BenchProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'stagepass-bench-'));
  const port = await freePort();
  return startServerProcess(name, process.execPath, [join(ROOT, 'dist/main.js')], {
    env: { PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, STAGEPASS_CONFIG: await writeStagepassConfig(dir, options) },
    url: `http://127.0.0.1:${port}`,
    readyPath: '/.well-known/openid-configuration',
  });
}

await main();
