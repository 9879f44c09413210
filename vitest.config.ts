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
    // The files of one worker share its loaded modules: loading oidc-provider, the AWS SDK clients
    // and the server afresh for every file cost more than most files' tests. No file leaves state
    // behind for the next: each starts its own servers on fresh Redis key prefixes and restores the
    // clocks it fakes.
    isolate: false,
  },
});
