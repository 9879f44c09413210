import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Tests that kill a Redis master and wait for the election, mostly idle: they start first, so that
 * their waits overlap the rest of the suite instead of adding to it.
 */
const FAILOVER_TEST = /-failover\.test\.ts$/;

class FailoverFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const failover = (file: TestSpecification) => FAILOVER_TEST.test(file.moduleId);
    return [...sorted.filter(failover), ...sorted.filter((file) => !failover(file))];
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    sequence: { sequencer: FailoverFirst },
    // Browser tests and Redis-backed suites share one machine of two cores.
    maxWorkers: 2,
    // The files of one worker share its loaded modules: loading oidc-provider, the AWS SDK clients
    // and the server afresh for every file cost more than most files' tests. No file leaves state
    // behind for the next: each starts its own servers on fresh Redis key prefixes and restores the
    // clocks it fakes.
    isolate: false,
  },
});
