import autocannon from 'autocannon';

import type { Load } from './scenarios.js';

export interface Measurement {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers that were not 2xx, plus requests the load could not make. */
  failures: number;
  requests: number;
}

export interface RoundOptions {
  connections: number;
  seconds: number;
  /** Requests per second across all connections; absent = as fast as the server answers. */
  rate?: number;
}

/** One autocannon round against `url`, sending `load`. */
export async function measure(url: string, { requests, setupClient, shortfall }: Load, { connections, seconds, rate }: RoundOptions): Promise<Measurement> {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    pipelining: 1,
    // At a fixed rate, autocannon corrects for coordinated omission with an expected interval of
    // 1 ms whatever the rate (`Math.ceil(1 / rate)`, the rate being per second), so an answer of
    // 10 ms is recorded with nine made-up ones of 9 to 1 ms: the p99 doubled here against the
    // answers' own. The latencies recorded are the answers' own.
    ...(rate ? { overallRate: rate, ignoreCoordinatedOmission: true } : {}),
    ...(requests ? { requests } : {}),
    ...(setupClient ? { setupClient } : {}),
  });
  return {
    requestsPerSecond: result.requests.total / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts + shortfall(),
    requests: result.requests.total,
  };
}
