import autocannon from 'autocannon';

import type { Load } from './scenarios.js';

type Client = Parameters<NonNullable<autocannon.Options['setupClient']>>[0];

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
  /** Requests per second across all connections, spread evenly; absent = as fast as the server answers. */
  rate?: number;
}

/** One autocannon round against `url`, sending `load`. */
export async function measure(url: string, { requests, setupClient, shortfall }: Load, { connections, seconds, rate }: RoundOptions): Promise<Measurement> {
  let nextConnection = 0;
  const pace = rate ? (client: Client) => paceEvenly(client, connections / rate, nextConnection++ / connections) : undefined;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    pipelining: 1,
    ...(requests ? { requests } : {}),
    ...(setupClient || pace ? {
      setupClient(client: Client) {
        setupClient?.(client);
        pace?.(client);
      },
    } : {}),
  });
  return {
    requestsPerSecond: result.requests.total / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts + shortfall(),
    requests: result.requests.total,
  };
}

interface PacedClient {
  destroyed: boolean;
  _doRequest(this: PacedClient, ...args: unknown[]): void;
}

/**
 * Sends this connection's requests `intervalSeconds` apart, the connections offset from each other
 * by a share (`phase`) of that interval. autocannon's own fixed rate (`-R`, `overallRate`) lets
 * every connection send its whole second's share back to back when the second starts and then
 * wait for the next one: at half the peak rate the first half of every second runs at the peak,
 * and the p99 measured was the peak's. Its coordinated-omission correction also assumes 1 ms
 * between requests whatever the rate. Here the load is steady and the latencies recorded are
 * the answers' own, from the moment each request is written; a request whose slot passed while the
 * previous answer was awaited goes at once, so a slow answer delays the requests behind it.
 */
function paceEvenly(client: Client, intervalSeconds: number, phase: number): void {
  const paced = client as unknown as PacedClient;
  const send = paced._doRequest;
  const intervalMs = intervalSeconds * 1000;
  let slot = performance.now() + phase * intervalMs;
  paced._doRequest = function sendInItsSlot(...args: unknown[]) {
    const wait = slot - performance.now();
    slot += intervalMs;
    if (wait <= 0) return send.apply(this, args);
    setTimeout(() => {
      if (!this.destroyed) send.apply(this, args);
    }, wait);
  };
}
