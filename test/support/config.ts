import { expect } from 'vitest';

import { parseConfig } from '../../src/app/config.js';
import { ConfigError } from '../../src/config/load.js';

/** The message a configuration is refused with; fails the test when it is accepted or refused otherwise. */
export function refusalOf(raw: unknown): string {
  try {
    parseConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('configuration was accepted');
}
