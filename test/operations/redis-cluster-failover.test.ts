import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mixThroughFailover, RECOVERY_LIMIT_MS, startLoggedStagepass } from '../support/failover.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import type { RunningStagepass } from '../support/stagepass.js';

let cluster: RedisCluster;
let started: { server: RunningStagepass; lines: Record<string, unknown>[] };

beforeAll(async () => {
  cluster = await startRedisCluster();
  started = await startLoggedStagepass({ redisUrl: cluster.seedUrl, redisCluster: true });
});
afterAll(async () => {
  await started?.server.close();
  await cluster?.stop();
});

describe('a Redis Cluster master dies under load', () => {
  it('clients see 200 or 503 with Retry-After; refreshing clients keep their grants; service returns; earlier tokens still work', async () => {
    const { server, lines } = started;
    const prefix = server.stagepass.config.redisKeyPrefix;
    const report = await mixThroughFailover(server, lines, async () => {
      const masters = await cluster.masterPorts();
      const counts = await Promise.all(masters.map((port) => cluster.countKeys(port, prefix)));
      await cluster.kill(masters[counts.indexOf(Math.max(...counts))]!);
    });
    console.log(JSON.stringify({ ...report, earlierTokens: report.earlierTokens.length, readiness: report.readiness.join(' ') }));
    expect(report.unexpected).toEqual([]);
    expect(report.recoveredAfterMs).toBeLessThan(RECOVERY_LIMIT_MS);
    expect(report.readiness).toContain(503);
    expect(report.connectionErrorsLogged).toBeGreaterThan(0);
    expect(report.earlierTokens.filter(({ works }) => !works)).toEqual([]);
    expect(report.refreshChains.alive).toBe(report.refreshChains.of);
  }, 90_000);
});
