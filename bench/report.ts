import type { Measurement } from './measure.js';

export interface ScenarioResult {
  scenario: string;
  label: string;
  server: string;
  peak: Measurement;
  halfRate: Measurement;
  /**
   * CPU time per request of the peak rounds, read from /proc: the server's processes, and Redis's
   * for a server that stores there. Unlike req/s it does not depend on how the load generator,
   * Redis and the server share the cores.
   */
  cpuPerRequest: { serverMicroseconds: number; redisMicroseconds?: number };
}

export interface BenchResults {
  when: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string };
  settings: { seconds: number; warmupSeconds: number; connections: number; baselineRounds: number };
  signingFloor: { es384PerCore: number; es256PerCore: number; samples: number };
  results: ScenarioResult[];
  peakRssBytes: Record<string, number>;
  redis: { rssAfterTokens: { tokens: number; rssBytes: number }; bytesPerGrant: number; bytesPerClientCredentialsToken: number };
  bareName: string;
  /** The same bare provider storing through stagepass's Redis adapter: what Redis costs alone. */
  bareOnRedisName: string;
  signingServerName: string;
  redisName: string;
  memoryName: string;
  clusterName: string;
}

interface Check {
  measure: string;
  value: number;
  target: string;
  /** Absent for a measure shown for reference, with no target of its own. */
  met?: boolean;
  format?: (value: number) => string;
}

const MIB = 2 ** 20;
const SIGNING_BOUND = new Set(['ivs']);

/** One markdown document: the measurements, then each target with its ratio from this run. */
export function renderReport(results: BenchResults): string {
  const lines = [
    `Machine: ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}; `
      + `autocannon ${results.settings.connections} connections, ${results.settings.warmupSeconds} s warm-up, ${results.settings.seconds} s measured`
      + `${results.settings.baselineRounds > 1 ? `, baseline comparisons in ${results.settings.baselineRounds} alternating rounds` : ''}; load generator on the same cores.`,
    '',
    `Signing floor (node:crypto, one core, median of ${results.signingFloor.samples} samples taken between the scenarios): `
      + `ES384 ${results.signingFloor.es384PerCore.toFixed(0)}/s, ES256 ${results.signingFloor.es256PerCore.toFixed(0)}/s.`,
    '',
    '| grant | server | req/s | p50 ms | p99 ms | p99 ms at half rate | server CPU µs/req | Redis CPU µs/req | failed |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.results.map((r) =>
      `| ${r.label} | ${r.server} | ${r.peak.requestsPerSecond.toFixed(0)} | ${r.peak.p50Ms.toFixed(1)} | ${r.peak.p99Ms.toFixed(1)} | ${r.halfRate.p99Ms.toFixed(1)} `
        + `| ${r.cpuPerRequest.serverMicroseconds.toFixed(0)} | ${r.cpuPerRequest.redisMicroseconds?.toFixed(1) ?? '–'} | ${r.peak.failures + r.halfRate.failures} |`),
    '',
    '| target | measured | goal | met |',
    '|---|---:|---|:---:|',
    ...checks(results).map((c) => `| ${c.measure} | ${(c.format ?? ratio)(c.value)} | ${c.target} | ${c.met === undefined || !Number.isFinite(c.value) ? '–' : c.met ? 'yes' : '**no**'} |`),
    '',
    `Peak RSS under load: ${Object.entries(results.peakRssBytes).map(([name, bytes]) => `${name} ${(bytes / MIB).toFixed(0)} MB`).join('; ')}.`,
    `Redis: ${results.redis.bytesPerGrant} bytes per authorization-code grant (grant, code, access and refresh token), `
      + `${results.redis.bytesPerClientCredentialsToken} bytes per client_credentials token.`,
  ];
  return lines.join('\n');
}

export function checks(results: BenchResults): Check[] {
  const find = (server: string, scenario: string) => results.results.find((r) => r.server === server && r.scenario === scenario);
  const rate = (server: string, scenario: string) => find(server, scenario)?.peak.requestsPerSecond ?? Number.NaN;
  const list: Check[] = [];

  for (const scenario of ['client_credentials', 'refresh_token']) {
    const value = rate(results.redisName, scenario) / rate(results.bareName, scenario);
    list.push({ measure: `${scenario} on Redis ÷ bare oidc-provider on memory`, value, target: '≥ 0.9', met: value >= 0.9 });
    const redisAlone = rate(results.bareOnRedisName, scenario) / rate(results.bareName, scenario);
    list.push({ measure: `${scenario}: bare oidc-provider with stagepass's Redis adapter ÷ on memory`, value: redisAlone, target: 'for reference' });
  }
  const signingCeiling = results.signingFloor.es384PerCore * results.machine.cores;
  for (const server of [results.memoryName, results.redisName, results.clusterName]) {
    const value = rate(server, 'ivs') / signingCeiling;
    if (!Number.isNaN(value)) list.push({ measure: `IVS on ${server} ÷ (ES384/s per core × ${results.machine.cores} cores)`, value, target: '≥ 0.8', met: value >= 0.8 });
  }
  for (const server of [results.memoryName, results.redisName, results.clusterName]) {
    const value = rate(server, 'ivs') / rate(results.signingServerName, 'ivs');
    if (!Number.isNaN(value)) list.push({ measure: `IVS on ${server} ÷ ${results.signingServerName} (same load generator)`, value, target: 'for reference' });
  }
  for (const server of [results.memoryName, results.redisName]) {
    for (const scenario of ['video_jwt', 'video_t1', 'license']) {
      const value = rate(server, scenario) / rate(server, 'client_credentials');
      list.push({ measure: `${scenario} ÷ client_credentials on ${server}`, value, target: '≥ 0.9', met: value >= 0.9 });
    }
  }
  for (const r of results.results) {
    const limit = SIGNING_BOUND.has(r.scenario) ? 20 : 10;
    list.push({ measure: `p99 at half peak: ${r.label} on ${r.server}`, value: r.halfRate.p99Ms, target: `≤ ${limit} ms`, met: r.halfRate.p99Ms <= limit, format: (v) => `${v.toFixed(1)} ms` });
  }
  const rss = results.redis.rssAfterTokens;
  list.push({
    measure: `server RSS after ${rss.tokens} tokens on Redis`, value: rss.rssBytes / MIB, target: '≤ 200 MB', met: rss.rssBytes / MIB <= 200,
    format: (v) => `${v.toFixed(0)} MB`,
  });
  return list;
}

function ratio(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : 'n/a';
}
