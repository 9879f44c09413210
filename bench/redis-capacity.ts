/**
 * What each grant costs Redis, read from Redis's own INFO commandstats and INFO stats around a
 * fixed number of requests, and what one master of this machine sustains, measured with
 * redis-benchmark: together, how many grants per second a master carries. Part of `npm run bench`;
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
  /** Redis commands per request, by command, summed over every master. */
  commands: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  /** Time Redis spent executing the commands (commandstats usec), per request. */
  commandMicroseconds: number;
}

/** Requests per grant measured; few enough to run in seconds, enough for stable counts. */
const REQUESTS = 1_000;
const IGNORED = new Set(['info', 'config|resetstat', 'cluster|slots', 'cluster|shards', 'cluster|nodes', 'ping', 'command', 'command|docs']);

/** Sends `REQUESTS` requests of the scenario and divides what the masters counted by them. */
export async function redisCostOf(scenario: Scenario, server: { name: string; url: string }, masters: Redis[]): Promise<RedisCost> {
  const factory = await scenario.prepare(server.url);
  const load = await factory({ connections: 10, seconds: 1, maxRate: REQUESTS });
  await Promise.all(masters.map((master) => master.config('RESETSTAT')));
  await autocannon({
    url: server.url, connections: 10, amount: REQUESTS, pipelining: 1,
    ...(load.requests ? { requests: load.requests } : {}),
    ...(load.setupClient ? { setupClient: load.setupClient } : {}),
  });
  const stats = await Promise.all(masters.map(async (master) => ({ net: await master.info('stats'), commands: await master.info('commandstats') })));
  const commands: Record<string, number> = {};
  let usec = 0;
  for (const { commands: text } of stats) {
    for (const [, name, calls, spent] of text.matchAll(/^cmdstat_(\S+):calls=(\d+),usec=(\d+)/gm)) {
      if (IGNORED.has(name!)) continue;
      commands[name!] = (commands[name!] ?? 0) + Number(calls) / REQUESTS;
      usec += Number(spent);
    }
  }
  const total = (field: string) => stats.reduce((sum, { net }) => sum + Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(net)?.[1] ?? 0), 0) / REQUESTS;
  return {
    label: scenario.label, server: server.name, commands,
    bytesIn: total('total_net_input_bytes'), bytesOut: total('total_net_output_bytes'), commandMicroseconds: usec / REQUESTS,
  };
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

/** Commands per second one Redis of this machine answers, by the kinds stagepass sends, measured with redis-benchmark. */
export interface MasterThroughput {
  plain: number;
  hash: number;
  script: number;
}

export function masterThroughput(port: number): MasterThroughput {
  // 50 clients, 16 commands in flight each: stagepass's auto-pipelining batches its concurrent requests' commands alike.
  const bench = (...command: string[]) => {
    const csv = execFileSync('redis-benchmark', ['-p', String(port), '-n', '200000', '-c', '50', '-P', '16', '-r', '1000000', '--csv', ...command], { encoding: 'utf8' });
    const rates = [...csv.matchAll(/^"[^"]+","([\d.]+)"/gm)].map(([, rate]) => Number(rate));
    return rates.reduce((a, b) => a + b, 0) / rates.length;
  };
  return {
    plain: bench('-t', 'set,get'),
    hash: bench('HSET', 'bench:__rand_int__', 'payload', 'x'.repeat(400)),
    script: bench('EVAL', "redis.call('SET', KEYS[1], ARGV[1]) redis.call('EXPIRE', KEYS[1], 60) return 1", '1', 'bench:__rand_int__', 'x'.repeat(200)),
  };
}

/** Seconds of one master's time a request takes: each command at the rate redis-benchmark measured for its kind. */
function masterSecondsPerRequest(cost: RedisCost, throughput: MasterThroughput): number {
  return Object.entries(cost.commands).reduce((sum, [name, calls]) => {
    const kind = /^(eval|evalsha|fcall)/.test(name) ? 'script' : /^h/.test(name) ? 'hash' : 'plain';
    return sum + calls / throughput[kind];
  }, 0);
}

export function renderRedisCapacity(costs: RedisCost[], throughput: MasterThroughput): string {
  const rows = costs.map((cost) => {
    const perMaster = 1 / masterSecondsPerRequest(cost, throughput);
    const commands = Object.values(cost.commands).reduce((a, b) => a + b, 0);
    const byCommand = Object.entries(cost.commands).sort((a, b) => b[1] - a[1]).map(([name, calls]) => `${name} ${calls.toFixed(2)}`).join(', ');
    return `| ${cost.label} | ${cost.server} | ${commands.toFixed(2)} | ${byCommand} | ${cost.bytesIn.toFixed(0)} | ${cost.bytesOut.toFixed(0)} `
      + `| ${cost.commandMicroseconds.toFixed(1)} | ${perMaster.toFixed(0)} |`;
  });
  return [
    `One Redis master on this machine (redis-benchmark, 50 clients, pipeline 16): ${throughput.plain.toFixed(0)} GET/SET/s, `
      + `${throughput.hash.toFixed(0)} HSET/s, ${throughput.script.toFixed(0)} EVAL/s (a two-command script).`,
    '',
    '| grant | server | Redis commands/req | by command | bytes in/req | bytes out/req | Redis exec µs/req | req/s one master carries (derived) |',
    '|---|---|---:|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}
