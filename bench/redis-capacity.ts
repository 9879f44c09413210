/**
 * What each grant costs Redis, read from Redis's own INFO commandstats, stats and cpu around a
 * fixed number of requests, and what one master of this machine answers under redis-benchmark:
 * together, how many grants per second a master carries. Part of `npm run bench`;
 * `npm run bench:redis` runs it alone.
 */
import { execFileSync } from 'node:child_process';

import autocannon from 'autocannon';
import { Redis } from 'ioredis';

import type { BenchProcess } from './processes.js';
import { COSTED_GRANTS, type Scenario } from './scenarios.js';

export interface RedisCost {
  label: string;
  server: string;
  /**
   * Redis commands executed per request, by command, summed over every master. Commands a script
   * runs count too (commandstats counts them as well as the EVALSHA that ran them).
   */
  commands: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  /** CPU time of the Redis processes (INFO cpu, user and system), per request: reading, parsing, executing and answering. */
  cpuMicroseconds: number;
}

/** Requests per grant measured; few enough to run in seconds, enough for stable counts. */
const REQUESTS = 1_000;
const IGNORED = new Set(['info', 'config|resetstat', 'cluster|slots', 'cluster|shards', 'cluster|nodes', 'ping', 'command', 'command|docs']);

/** Sends `REQUESTS` requests of the scenario and divides what the masters counted by them. */
export async function redisCostOf(scenario: Scenario, server: { name: string; url: string }, masters: Redis[]): Promise<RedisCost> {
  const factory = await scenario.prepare(server.url);
  const load = await factory({ connections: 10, seconds: 1, maxRate: REQUESTS });
  const cpuBefore = await cpuSeconds(masters);
  await Promise.all(masters.map((master) => master.config('RESETSTAT')));
  await autocannon({
    url: server.url, connections: 10, amount: REQUESTS, pipelining: 1,
    ...(load.requests ? { requests: load.requests } : {}),
    ...(load.setupClient ? { setupClient: load.setupClient } : {}),
  });
  const cpuAfter = await cpuSeconds(masters);
  const stats = await Promise.all(masters.map(async (master) => ({ net: await master.info('stats'), commands: await master.info('commandstats') })));
  const commands: Record<string, number> = {};
  for (const { commands: text } of stats) {
    for (const [, name, calls] of text.matchAll(/^cmdstat_(\S+):calls=(\d+)/gm)) {
      if (!IGNORED.has(name!)) commands[name!] = (commands[name!] ?? 0) + Number(calls) / REQUESTS;
    }
  }
  const total = (field: string) => stats.reduce((sum, { net }) => sum + Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(net)?.[1] ?? 0), 0) / REQUESTS;
  return {
    label: scenario.label, server: server.name, commands,
    bytesIn: total('total_net_input_bytes'), bytesOut: total('total_net_output_bytes'), cpuMicroseconds: ((cpuAfter - cpuBefore) * 1e6) / REQUESTS,
  };
}

async function cpuSeconds(masters: Redis[]): Promise<number> {
  const infos = await Promise.all(masters.map((master) => master.info('cpu')));
  return infos.reduce((sum, info) => sum + Number(/^used_cpu_user:([\d.]+)/m.exec(info)?.[1]) + Number(/^used_cpu_sys:([\d.]+)/m.exec(info)?.[1]), 0);
}

/** Every costed grant on one Redis and on a cluster's masters, then what that one Redis sustains. */
export async function measureRedisCapacity(
  single: { server: BenchProcess; redis: { url: string; port: number } },
  cluster: { server: BenchProcess; masterPorts: number[] },
): Promise<{ costs: RedisCost[]; throughput: MasterThroughput }> {
  const singleRedis = new Redis(single.redis.url);
  const masters = cluster.masterPorts.map((port) => new Redis(port, '127.0.0.1'));
  try {
    const costs: RedisCost[] = [];
    for (const scenario of COSTED_GRANTS) {
      process.stderr.write(`Redis cost of ${scenario.label} …\n`);
      costs.push(await redisCostOf(scenario, single.server, [singleRedis]), await redisCostOf(scenario, cluster.server, masters));
    }
    return { costs, throughput: masterThroughput(single.redis.port) };
  } finally {
    for (const client of [singleRedis, ...masters]) client.disconnect();
  }
}

/** What one Redis of this machine answers under redis-benchmark, by the kinds of command stagepass sends. */
export interface MasterThroughput {
  plain: BenchmarkedCommand;
  hash: BenchmarkedCommand;
  script: BenchmarkedCommand;
}

/** Commands per second, and Redis's CPU time per command (INFO cpu), while redis-benchmark ran. */
interface BenchmarkedCommand {
  perSecond: number;
  cpuMicroseconds: number;
}

const BENCHMARK_COMMANDS = 200_000;

export function masterThroughput(port: number): MasterThroughput {
  const cpu = () => {
    const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'cpu'], { encoding: 'utf8' });
    return Number(/^used_cpu_user:([\d.]+)/m.exec(info)?.[1]) + Number(/^used_cpu_sys:([\d.]+)/m.exec(info)?.[1]);
  };
  // 50 clients, 16 commands in flight each: stagepass's auto-pipelining batches its concurrent requests' commands alike.
  const bench = (tests: number, ...command: string[]): BenchmarkedCommand => {
    const before = cpu();
    const csv = execFileSync('redis-benchmark', ['-p', String(port), '-n', String(BENCHMARK_COMMANDS), '-c', '50', '-P', '16', '-r', '1000000', '--csv', ...command], { encoding: 'utf8' });
    const used = cpu() - before;
    const rates = [...csv.matchAll(/^"[^"]+","([\d.]+)"/gm)].map(([, rate]) => Number(rate));
    return { perSecond: rates.reduce((a, b) => a + b, 0) / rates.length, cpuMicroseconds: (used * 1e6) / (BENCHMARK_COMMANDS * tests) };
  };
  return {
    plain: bench(2, '-t', 'set,get'),
    hash: bench(1, 'HSET', 'bench:__rand_int__', 'payload', 'x'.repeat(400)),
    script: bench(1, 'EVAL', "redis.call('SET', KEYS[1], ARGV[1]) redis.call('EXPIRE', KEYS[1], 60) return 1", '1', 'bench:__rand_int__', 'x'.repeat(200)),
  };
}

/**
 * A request's Redis CPU at the cost per command redis-benchmark measured: each command by its kind,
 * and a script call by what EVAL cost beyond the two commands its script ran (counted apart).
 * Steadier than the CPU read around stagepass's requests, which on a busy machine includes Redis's
 * own timers and the cost of sharing the cores.
 */
export function benchmarkedMicroseconds(cost: RedisCost, throughput: MasterThroughput): number {
  const scriptCall = throughput.script.cpuMicroseconds - 2 * throughput.plain.cpuMicroseconds;
  return Object.entries(cost.commands).reduce((sum, [name, calls]) => {
    const each = /^(eval|evalsha)$/.test(name) ? scriptCall : /^h/.test(name) ? throughput.hash.cpuMicroseconds : throughput.plain.cpuMicroseconds;
    return sum + calls * each;
  }, 0);
}

export function renderRedisCapacity(costs: RedisCost[], throughput: MasterThroughput): string {
  const rows = costs.map((cost) => {
    const modelled = benchmarkedMicroseconds(cost, throughput);
    // A master is one thread: at full load it has a million CPU microseconds a second to give.
    const perMaster = 1e6 / modelled;
    const commands = Object.values(cost.commands).reduce((a, b) => a + b, 0);
    const byCommand = Object.entries(cost.commands).sort((a, b) => b[1] - a[1]).map(([name, calls]) => `${name} ${calls.toFixed(2)}`).join(', ');
    return `| ${cost.label} | ${cost.server} | ${commands.toFixed(2)} | ${byCommand} | ${cost.bytesIn.toFixed(0)} | ${cost.bytesOut.toFixed(0)} `
      + `| ${cost.cpuMicroseconds.toFixed(1)} | ${modelled.toFixed(1)} | ${perMaster.toFixed(0)} |`;
  });
  return [
    `One Redis on this machine under redis-benchmark (50 clients, pipeline 16): `
      + `${throughput.plain.perSecond.toFixed(0)} GET/SET/s at ${throughput.plain.cpuMicroseconds.toFixed(2)} µs of Redis CPU each, `
      + `${throughput.hash.perSecond.toFixed(0)} HSET/s (400 bytes) at ${throughput.hash.cpuMicroseconds.toFixed(2)} µs, `
      + `${throughput.script.perSecond.toFixed(0)} EVAL/s (SET and EXPIRE in a script) at ${throughput.script.cpuMicroseconds.toFixed(2)} µs.`,
    '',
    '| grant | server | Redis commands/req | by command (script-run ones included) | bytes in/req | bytes out/req | Redis CPU µs/req (measured) | at redis-benchmark\'s cost per command µs/req (derived) | req/s per master at full CPU (derived) |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}
