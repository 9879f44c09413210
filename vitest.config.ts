import { defineConfig } from 'vitest/config';

/**
 * Tests that kill a Redis master and time the failover: they run after the rest, one at a time
 * (see vitest.failover.config.ts). `npm test` runs the Sentinel one; the Redis Cluster one runs
 * with `npm run test:cluster-failover` while its recovery is not reliable (see the README, Tests).
 */
export const FAILOVER_TESTS = ['test/**/*-failover.test.ts'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...FAILOVER_TESTS],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Browser tests and Redis-backed suites share one machine of two cores.
    maxWorkers: 2,
  },
});
