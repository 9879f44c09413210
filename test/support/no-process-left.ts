import { afterAll, afterEach, beforeEach } from 'vitest';

import { endEveryProcess, endProcessesOnSignals, testEnded, testStarted } from './processes.js';

// Run before every test file (vitest.config.ts setupFiles). Its hooks come first, so its after
// hooks run last: a file's own clean-up stops its processes gracefully, and whatever is still
// running then, a test that failed or timed out before its own clean-up, is killed here.
endProcessesOnSignals();
beforeEach(testStarted);
afterEach(testEnded);
afterAll(endEveryProcess);
