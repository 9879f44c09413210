/**
 * `npm run bench`: bare oidc-provider and stagepass (memory, Redis, Redis in cluster mode, and a
 * 3-master Redis Cluster) side by side on loopback, every grant driven by autocannon, against the
 * signing floor measured in the same run; then what each grant costs Redis and what one master
 * sustains (the capacity model). Prints markdown tables and writes bench/results/latest.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { freePort } from '../test/support/free-port.js';
import { startRedisCluster } from '../test/support/redis-cluster.js';
import { writeStagepassConfig } from './fixtures.js';
import { measure, type Measurement } from './measure.js';
import { cpuMicroseconds, residentBytes, startRedis, startServerProcess, type BenchProcess } from './processes.js';
import { measureRedisCapacity, renderRedisCapacity } from './redis-capacity.js';
import { renderReport, type BenchResults, type ScenarioResult } from './report.js';
import {
  authorizationCode, clientCredentials, introspection, ivsParticipantToken, licenseExchange, licenseToken,
  bareRefreshTokens, refreshChains, stagepassRefreshTokens, videoToken, type LoadFactory, type Scenario,
} from './scenarios.js';
import { signaturesPerSecond } from './signing-floor.js';
import { BenchUser } from './sign-in.js';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
/** `--only=client_credentials,refresh_token`: those scenarios alone, for a look at one change. */
const ONLY = [...args].find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
const SECONDS = QUICK ? 3 : 10;
const WARMUP_SECONDS = QUICK ? 1 : 2;
const CONNECTIONS = 10;
/** Rounds of the baseline comparisons, alternated between servers so drift hits both alike. */
const BASELINE_ROUNDS = QUICK ? 1 : 2;
const TOKENS_FOR_RSS = QUICK ? 20_000 : 100_000;
const GRANTS_FOR_REDIS_MEMORY = QUICK ? 50 : 200;
const ROOT = new URL('..', import.meta.url).pathname;

interface Target {
  name: string;
  process: BenchProcess;
  peakRss: number;
  /** Whether it stores on the benchmark's Redis, whose CPU then counts towards its requests. */
  onRedis: boolean;
  scenarios: Scenario[];
}

async function main(): Promise<void> {
  log('building dist/ …');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });

  const cores = availableParallelism();
  // The floor is sampled before every scenario, between the loads, and its median reported: one
  // reading at the start moved by half between runs on this machine.
  const floorSamples = { es384: [] as number[], es256: [] as number[] };
  const sampleSigningFloor = () => {
    floorSamples.es384.push(signaturesPerSecond('P-384', 0.5));
    floorSamples.es256.push(signaturesPerSecond('P-256', 0.5));
  };
  sampleSigningFloor();

  const redis = await startRedis();
  const redisCluster = await startRedisCluster();
  const processes: BenchProcess[] = [];
  try {
    const bare = await startBaseline('bare oidc-provider (memory)', 'bare-provider.ts', '/.well-known/openid-configuration');
    processes.push(bare);
    const bareOnRedis = await startBaseline('bare oidc-provider (stagepass Redis adapter)', 'bare-provider.ts', '/.well-known/openid-configuration', {
      BENCH_REDIS_URL: `${redis.url}/3`,
    });
    processes.push(bareOnRedis);
    const signing = await startBaseline('node:http ES384 signer', 'signing-server.ts', '/');
    processes.push(signing);
    const memory = await startStagepass('stagepass (memory)', {});
    processes.push(memory);
    const onRedis = await startStagepass('stagepass (Redis)', { redisUrl: `${redis.url}/0` });
    processes.push(onRedis);
    const cluster = await startStagepass(`stagepass (Redis, cluster ×${cores})`, { redisUrl: `${redis.url}/1`, cluster: true });
    processes.push(cluster);
    const onRedisCluster = await startStagepass('stagepass (Redis Cluster, 3 masters)', { redisUrl: redisCluster.seedUrl, redisCluster: true });
    processes.push(onRedisCluster);

    const everyGrant = [
      clientCredentials, refreshChains(stagepassRefreshTokens), authorizationCode, ivsParticipantToken,
      videoToken('jwt'), videoToken('t1'), licenseToken, licenseExchange, introspection,
    ];
    const targets: Target[] = [
      { name: bare.name, process: bare, peakRss: 0, onRedis: false, scenarios: [clientCredentials, refreshChains(bareRefreshTokens)] },
      { name: bareOnRedis.name, process: bareOnRedis, peakRss: 0, onRedis: true, scenarios: [clientCredentials, refreshChains(bareRefreshTokens)] },
      { name: signing.name, process: signing, peakRss: 0, onRedis: false, scenarios: [ivsParticipantToken] },
      { name: memory.name, process: memory, peakRss: 0, onRedis: false, scenarios: everyGrant },
      { name: onRedis.name, process: onRedis, peakRss: 0, onRedis: true, scenarios: everyGrant },
      { name: cluster.name, process: cluster, peakRss: 0, onRedis: true, scenarios: [clientCredentials, refreshChains(stagepassRefreshTokens), ivsParticipantToken, videoToken('jwt')] },
      // Its Redis is six processes of its own, not the benchmark's Redis: no Redis CPU column.
      { name: onRedisCluster.name, process: onRedisCluster, peakRss: 0, onRedis: false, scenarios: [clientCredentials, refreshChains(stagepassRefreshTokens), licenseToken, introspection] },
    ];

    const results: ScenarioResult[] = [];
    const scenarioIds = unique(targets.flatMap((t) => t.scenarios.map((s) => s.id)));
    const unknown = ONLY?.filter((id) => !scenarioIds.includes(id)) ?? [];
    if (unknown.length > 0) throw new Error(`--only: no scenario ${unknown.join(', ')}; there are ${scenarioIds.join(', ')}`);
    for (const scenarioId of scenarioIds.filter((id) => !ONLY || ONLY.includes(id))) {
      sampleSigningFloor();
      const running = targets.filter((t) => t.scenarios.some((s) => s.id === scenarioId));
      const rounds = running.some((t) => [bare, bareOnRedis, signing].includes(t.process)) ? BASELINE_ROUNDS : 1;
      const loads = new Map<Target, LoadFactory>();
      for (const target of running) {
        const scenario = target.scenarios.find((s) => s.id === scenarioId)!;
        log(`${target.name}: preparing ${scenario.label} …`);
        loads.set(target, await scenario.prepare(target.process.url));
      }
      const cpu = new Map<Target, { server: number; redis: number }>();
      const cpuSoFar = (target: Target) => ({ server: cpuMicroseconds(target.process.pids()), redis: cpuMicroseconds([redis.pid]) });
      const round = async (target: Target, seconds: number, { rate, countCpu = false }: { rate?: number; countCpu?: boolean } = {}) => {
        const maxRate = rate ?? expectedPeak(results, target.name);
        const load = await loads.get(target)!({ connections: CONNECTIONS, seconds, maxRate });
        // Read once the load is made: making it (sign-ins, codes) costs the server CPU of its own.
        const before = countCpu ? cpuSoFar(target) : undefined;
        const measured = await measure(target.process.url, load, { connections: CONNECTIONS, seconds, rate });
        if (before) {
          const after = cpuSoFar(target);
          const used = cpu.get(target) ?? { server: 0, redis: 0 };
          cpu.set(target, { server: used.server + after.server - before.server, redis: used.redis + after.redis - before.redis });
        }
        return measured;
      };
      const peaks = new Map<Target, Measurement[]>();
      for (let r = 0; r < rounds; r += 1) {
        for (const target of running) {
          await round(target, WARMUP_SECONDS);
          const sampler = sampleRss(target);
          const peak = await round(target, SECONDS, { countCpu: true });
          sampler.stop();
          peaks.set(target, [...(peaks.get(target) ?? []), peak]);
          log(`${target.name} ${scenarioId}: ${peak.requestsPerSecond.toFixed(0)} req/s, p99 ${peak.p99Ms} ms${peak.failures ? `, ${peak.failures} failed` : ''}`);
        }
      }
      for (const target of running) {
        const peak = mean(peaks.get(target)!);
        const half = await round(target, SECONDS, { rate: Math.max(1, Math.round(peak.requestsPerSecond / 2)) });
        log(`${target.name} ${scenarioId} at half rate: p99 ${half.p99Ms} ms${half.failures ? `, ${half.failures} failed` : ''}`);
        const scenario = target.scenarios.find((s) => s.id === scenarioId)!;
        const used = cpu.get(target)!;
        const cpuPerRequest = {
          serverMicroseconds: used.server / peak.requests,
          ...(target.onRedis ? { redisMicroseconds: used.redis / peak.requests } : {}),
        };
        results.push({ scenario: scenarioId, label: scenario.label, server: target.name, peak, halfRate: half, cpuPerRequest });
      }
    }

    log(`issuing ${TOKENS_FOR_RSS} tokens on a fresh stagepass on Redis …`);
    // A process of its own, so what it holds after those tokens is not what earlier rounds left.
    const fresh = await startStagepass('stagepass (Redis, fresh)', { redisUrl: `${redis.url}/2` });
    processes.push(fresh);
    const rss = await rssAfterTokens(fresh, redis.url, TOKENS_FOR_RSS);
    log(`measuring Redis memory per grant …`);
    const perGrant = await redisBytesPerGrant(onRedis, redis.url, GRANTS_FOR_REDIS_MEMORY);
    log('counting Redis commands and bytes per grant …');
    const capacity = await measureRedisCapacity({ server: onRedis, redis }, { server: onRedisCluster, masterPorts: await redisCluster.masterPorts() });

    const report: BenchResults = {
      when: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      settings: { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, baselineRounds: BASELINE_ROUNDS },
      signingFloor: { es384PerCore: median(floorSamples.es384), es256PerCore: median(floorSamples.es256), samples: floorSamples.es384.length },
      results,
      peakRssBytes: Object.fromEntries(targets.map((t) => [t.name, t.peakRss])),
      redis: { rssAfterTokens: rss, bytesPerGrant: perGrant.bytesPerGrant, bytesPerClientCredentialsToken: rss.bytesPerToken },
      bareName: bare.name,
      bareOnRedisName: bareOnRedis.name,
      signingServerName: signing.name,
      redisName: onRedis.name,
      memoryName: memory.name,
      clusterName: cluster.name,
    };
    const markdown = `${renderReport(report)}\n\n${renderRedisCapacity(capacity.costs, capacity.throughput)}`;
    process.stdout.write(`\n${markdown}\n`);
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/latest.json'), `${JSON.stringify({ ...report, redisCapacity: capacity, markdown }, null, 2)}\n`);
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await redisCluster.stop();
    await redis.stop();
  }

  function sampleRss(target: Target) {
    const timer = setInterval(() => {
      target.peakRss = Math.max(target.peakRss, residentBytes(target.process.pids()));
    }, 500);
    return { stop: () => clearInterval(timer) };
  }
}

/** What a round may consume at most: twice the fastest grant measured so far on that server. */
function expectedPeak(results: ScenarioResult[], server: string): number {
  const fastest = Math.max(0, ...results.filter((r) => r.server === server).map((r) => r.peak.requestsPerSecond));
  return 2 * (fastest || 3000);
}

/** A baseline: one of bench/'s own scripts, run from source, on a spare port. */
async function startBaseline(name: string, script: string, readyPath: string, env: Record<string, string> = {}): Promise<BenchProcess> {
  const port = await freePort();
  return startServerProcess(name, process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script)], {
    env: { ...env, PORT: String(port) },
    url: `http://127.0.0.1:${port}`,
    readyPath,
  });
}

async function startStagepass(name: string, options: { redisUrl?: string; cluster?: boolean; redisCluster?: boolean }): Promise<BenchProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'stagepass-bench-'));
  const port = await freePort();
  const configPath = await writeStagepassConfig(dir, options);
  return startServerProcess(name, process.execPath, [join(ROOT, 'dist/main.js')], {
    env: { PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, STAGEPASS_CONFIG: configPath },
    url: `http://127.0.0.1:${port}`,
    readyPath: '/.well-known/openid-configuration',
  });
}

async function rssAfterTokens(server: BenchProcess, redisUrl: string, count: number) {
  const redis = new Redis(`${redisUrl}/0`);
  const before = await usedMemory(redis);
  const load = await (await clientCredentials.prepare(server.url))({ connections: CONNECTIONS, seconds: 0, maxRate: 0 });
  const autocannon = (await import('autocannon')).default;
  await autocannon({ url: server.url, connections: CONNECTIONS, amount: count, requests: load.requests });
  const after = await usedMemory(redis);
  redis.disconnect();
  return { tokens: count, rssBytes: residentBytes(server.pids()), bytesPerToken: Math.round((after - before) / count) };
}

async function redisBytesPerGrant(server: BenchProcess, redisUrl: string, count: number) {
  const redis = new Redis(`${redisUrl}/0`);
  const user = new BenchUser(server.url);
  await user.refreshToken();
  const before = await usedMemory(redis);
  for (let i = 0; i < count; i += 1) await user.refreshToken();
  const after = await usedMemory(redis);
  redis.disconnect();
  return { bytesPerGrant: Math.round((after - before) / count) };
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

function mean(measurements: Measurement[]): Measurement {
  const average = (pick: (m: Measurement) => number) => measurements.reduce((sum, m) => sum + pick(m), 0) / measurements.length;
  return {
    requestsPerSecond: average((m) => m.requestsPerSecond),
    p50Ms: average((m) => m.p50Ms),
    p99Ms: average((m) => m.p99Ms),
    failures: measurements.reduce((sum, m) => sum + m.failures, 0),
    requests: measurements.reduce((sum, m) => sum + m.requests, 0),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

await main();
