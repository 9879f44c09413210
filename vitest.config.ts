import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Files that start first, in this order: the tests that kill a Redis master and wait for the
 * election (mostly idle, so their waits overlap the rest of the suite), then the files that take
 * longest, so that the run does not end waiting on one of them. Vitest orders the others by the
 * durations it remembers, or, on a fresh clone, by file size.
 */
const STARTED_FIRST = [
  /-failover\.test\.ts$/,
  /\/upstream-sign-in\.test\.ts$/,
  /\/docs\/examples\.test\.ts$/,
  /\/upstream-failures\.test\.ts$/,
  /\/shutdown\.test\.ts$/,
  /\/fuzz\.test\.ts$/,
  /\/commands\.test\.ts$/,
  /\/store-contract\.test\.ts$/,
  /\/browser\/(pages|people-rights)\.test\.ts$/,
  /\/redis-cluster-layout\.test\.ts$/,
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = STARTED_FIRST.findIndex((pattern) => pattern.test(file.moduleId));
      return index < 0 ? STARTED_FIRST.length : index;
    };
    // Array sort is stable: files of one rank keep Vitest's order.
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Ends what a test or file started and left running, whether it passed or not.
    setupFiles: ['test/support/no-process-left.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    sequence: { sequencer: LongestFirst },
    // Two cores: a third worker fills the time the others spend waiting on the servers, Redis and
    // browsers they drive (a fourth made the run slower).
    maxWorkers: 3,
    // The files of one worker share its loaded modules: loading oidc-provider, the AWS SDK clients
    // and the server afresh for every file cost more than most files' tests. No file leaves state
    // behind for the next: each starts its own servers on fresh Redis key prefixes and restores the
    // clocks it fakes.
    isolate: false,
  },
});
