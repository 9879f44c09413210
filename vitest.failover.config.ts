import { defineConfig } from 'vitest/config';

import base, { FAILOVER_TESTS } from './vitest.config.js';

/**
 * A Redis failover's election is timed against the 20 seconds the service has to come back; on a
 * two-core machine another suite's servers beside it can starve the election, so these run alone.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: FAILOVER_TESTS,
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
  },
});
