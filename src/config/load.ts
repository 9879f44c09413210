import { readFileSync } from 'node:fs';

import type { z } from 'zod';

export const DEFAULT_CONFIG_PATH = 'config/default.json';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The environment variables that may override the file, already read by the caller. */
export interface ConfigOverrides {
  PORT?: string;
  ISSUER?: string;
  REDIS_URL?: string;
}

/** Reads, parses and validates a configuration file against the schema the composition root composed. */
export function loadConfigFileWith<Config>(schema: z.ZodType<Config>, path: string, env: ConfigOverrides): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read config file ${path}: ${(cause as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(cause as Error).message}`);
  }
  return parseConfigWith(schema, raw, env, path);
}

/** Validates raw configuration once, applying environment overrides, into the typed configuration. */
export function parseConfigWith<Config>(schema: z.ZodType<Config>, raw: unknown, env: ConfigOverrides = {}, source = 'config'): Config {
  const result = schema.safeParse(applyOverrides(raw, env));
  if (!result.success) throw new ConfigError(`invalid ${source}:\n${describeIssues(result.error)}`);
  return result.data;
}

/** An empty variable counts as unset, as shells and orchestrators often leave them. */
function applyOverrides(raw: unknown, env: ConfigOverrides): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const merged: Record<string, unknown> = { ...raw };
  if (env.PORT) {
    if (!/^[0-9]{1,5}$/.test(env.PORT)) throw new ConfigError(`invalid environment:\n  - PORT: must be a port number from 0 to 65535, not "${env.PORT.slice(0, 40)}"`);
    merged.port = Number(env.PORT);
  }
  if (env.ISSUER) merged.issuer = env.ISSUER;
  if (env.REDIS_URL) merged.redisUrl = env.REDIS_URL;
  return merged;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length ? issue.path.join('.') : '(top level)';
      return `  - ${field}: ${issue.message}`;
    })
    .join('\n');
}
