import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What stagepass counts, in one registry per server (tests run several servers in one process). */
export interface Metrics {
  registry: Registry;
  observeRequest(labels: { route: string; method: string; status: number }, seconds: number): void;
  tokenIssued(grantType: string): void;
  denied(reason: string): void;
  adminChange(resource: string, action: string): void;
  participantAction(action: string): void;
  /** A decision sent on to a vendor's own API (a disconnection to IVS), by its outcome. */
  forwarded(service: string, outcome: string): void;
  redisError(): void;
  leaseEvent(event: string): void;
  /**
   * A gauge read at each scrape (what the store holds now, the same on every instance): in cluster
   * mode the primary serves one worker's reading, not their sum.
   */
  readAtScrape(gauge: { name: string; help: string; labelNames: readonly string[]; read(): Promise<{ labels: Record<string, string>; value: number }[]> }): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'stagepass_http_requests_total',
    help: 'HTTP requests answered, by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'stagepass_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route and method',
    labelNames: ['route', 'method'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'stagepass_tokens_issued_total',
    help: 'Successful token endpoint answers (OAuth tokens and minted tokens), by grant type',
    labelNames: ['grant_type'],
    registers: [registry],
  });
  const denials = new Counter({
    name: 'stagepass_denials_total',
    help: 'Requests refused for a client or user: the error code, or the limit that was hit',
    labelNames: ['reason'],
    registers: [registry],
  });
  const adminChanges = new Counter({
    name: 'stagepass_admin_changes_total',
    help: 'Changes made through the Admin API, by resource and action',
    labelNames: ['resource', 'action'],
    registers: [registry],
  });
  const participantActions = new Counter({
    name: 'stagepass_participant_actions_total',
    help: 'Participants changed, disconnected, replaced or left, by action',
    labelNames: ['action'],
    registers: [registry],
  });
  const forwards = new Counter({
    name: 'stagepass_forwarded_total',
    help: 'Decisions sent on to a vendor\'s own API (disconnections to IVS), by service and outcome: ok, not_found, refused, failed (after every retry)',
    labelNames: ['service', 'outcome'],
    registers: [registry],
  });
  const redisErrors = new Counter({
    name: 'stagepass_redis_errors_total',
    help: 'Redis connection errors and failed Redis commands',
    registers: [registry],
  });

  const leaseEvents = new Counter({
    name: 'stagepass_license_lease_events_total',
    help: 'License leases checked out, extended, checked in, expired and checked in by an operator, by event',
    labelNames: ['event'],
    registers: [registry],
  });

  return {
    registry,
    observeRequest({ route, method, status }, seconds) {
      requests.inc({ route, method, status });
      duration.observe({ route, method }, seconds);
    },
    tokenIssued: (grantType) => tokens.inc({ grant_type: grantType }),
    denied: (reason) => denials.inc({ reason }),
    adminChange: (resource, action) => adminChanges.inc({ resource, action }),
    participantAction: (action) => participantActions.inc({ action }),
    forwarded: (service, outcome) => forwards.inc({ service, outcome }),
    redisError: () => redisErrors.inc(),
    leaseEvent: (event) => leaseEvents.inc({ event }),
    readAtScrape({ name, help, labelNames, read }) {
      new Gauge({
        name, help, labelNames: [...labelNames], registers: [registry], aggregator: 'max',
        async collect() {
          // A store that cannot answer leaves the gauge empty for this scrape, not /metrics failing whole.
          const readings = await read().catch(() => []);
          this.reset();
          for (const { labels, value } of readings) this.set(labels, value);
        },
      });
    },
  };
}

/** Where a metrics server reads the text it serves. */
export interface MetricsSource {
  contentType: string;
  text(): Promise<string>;
}

export const ownMetrics = (metrics: Metrics): MetricsSource => ({
  contentType: metrics.registry.contentType,
  text: () => metrics.registry.metrics(),
});

/**
 * Cluster mode: the primary gathers every worker's metrics and serves their sum, so one scrape
 * sees the whole server. Each worker calls `offerMetricsToClusterPrimary` with its own registry.
 */
export function clusterMetrics(): MetricsSource {
  const aggregator = new AggregatorRegistry();
  return { contentType: aggregator.contentType, text: () => aggregator.clusterMetrics() };
}

export function offerMetricsToClusterPrimary(metrics: Metrics): void {
  AggregatorRegistry.setRegistries([metrics.registry]);
  // prom-client answers the primary's requests once an aggregator exists in the worker.
  new AggregatorRegistry();
}
