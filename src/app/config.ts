import type { z } from 'zod';

import { type ConfigOverrides, loadConfigFileWith, parseConfigWith } from '../config/load.js';
import { configSchemaWith } from '../config/schema.js';
import { MINTER_SECTIONS, MINTING_POLICY_METADATA } from '../grants/config.js';

/**
 * The whole configuration: stagepass's own settings and each minter's section. Composed from the
 * minters' configuration modules alone, so that reading it loads no minter, no AWS API and not
 * oidc-provider.
 */
export const CONFIG_SCHEMA = configSchemaWith({ sections: MINTER_SECTIONS, policyMetadata: MINTING_POLICY_METADATA });

export type Config = z.output<typeof CONFIG_SCHEMA>;

/** Validates raw configuration once, applying environment overrides, into the typed Config. */
export function parseConfig(raw: unknown, env: ConfigOverrides = {}, source = 'config'): Config {
  return parseConfigWith(CONFIG_SCHEMA, raw, env, source);
}

export function loadConfigFile(path: string, env: ConfigOverrides): Config {
  return loadConfigFileWith(CONFIG_SCHEMA, path, env);
}
