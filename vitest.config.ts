import { defineConfig } from 'vitest/config';

/**
 * Tests that kill a Redis master and time the failover: `npm test` runs them after the rest, one at
 * a time (see vitest.failover.config.ts).
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
