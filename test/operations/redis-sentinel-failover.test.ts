import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mixThroughFailover, RECOVERY_LIMIT_MS, startLoggedStagepass } from '../support/failover.js';
import { SENTINEL_MASTER_NAME, startRedisSentinels, type RedisSentinels } from '../support/redis-sentinel.js';
import type { RunningStagepass } from '../support/stagepass.js';

let redis: RedisSentinels;
let started: { server: RunningStagepass; lines: Record<string, unknown>[] };

beforeAll(async () => {
  redis = await startRedisSentinels();
  started = await startLoggedStagepass({ redisSentinels: redis.sentinels, redisSentinelName: SENTINEL_MASTER_NAME });
});
afterAll(async () => {
  await started?.server.close();
  await redis?.stop();
});

describe('the Redis master behind Sentinel dies under load', () => {
  it('clients see 200 or 503 with Retry-After; refreshing clients keep their grants; service returns on the promoted replica; earlier tokens still work', async () => {
    const { server, lines } = started;
    const master = await redis.masterPort();
    const report = await mixThroughFailover(server, lines, () => redis.kill(master));
    console.log(JSON.stringify({ ...report, earlierTokens: report.earlierTokens.length, readiness: report.readiness.join(' ') }));
    expect(report.unexpected).toEqual([]);
    expect(report.recoveredAfterMs).toBeLessThan(RECOVERY_LIMIT_MS);
    expect(await redis.masterPort()).not.toBe(master);
    expect(report.readiness).toContain(503);
    expect(report.connectionErrorsLogged).toBeGreaterThan(0);
    expect(report.earlierTokens.filter(({ works }) => !works)).toEqual([]);
    expect(report.refreshChains.alive).toBe(report.refreshChains.of);
  }, 90_000);
});
