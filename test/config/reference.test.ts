import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { CONFIG_SCHEMA } from '../../src/app/config.js';
import { CONFIG_REFERENCE, configReference } from '../../src/config/reference.js';

describe('the configuration reference', () => {
  it(`${CONFIG_REFERENCE.path} is the reference the schema gives (${CONFIG_REFERENCE.command} writes it)`, () => {
    const committed = readFileSync(CONFIG_REFERENCE.path, 'utf8');
    expect(committed === configReference(CONFIG_SCHEMA), `${CONFIG_REFERENCE.path} is stale: run ${CONFIG_REFERENCE.command}`).toBe(true);
  });

  it('names each nested setting by its path, with its type, default and meaning, under its section', () => {
    const page = configReference(CONFIG_SCHEMA);
    const limits = page.slice(page.indexOf('## Limits (`limits`)'));
    expect(limits).toContain('| `limits.login.maxFailuresPerAccount` | integer, 1–1000 | `5` | failed sign-ins that lock an account out, from every address |');
    expect(page).toContain('| `logLevel` | `debug`, `info`, `warn`, `error` or `silent` | `"info"` |');
    expect(page).toContain('| `trustedIssuers[].jwksUri` | URL | from the issuer\'s discovery document |');
    expect(page).toContain('| `ivs.publicKeyArn` | string | required |');
    expect(page).toContain('| `groups.<name>.ivs_capabilities` | array of `PUBLISH` or `SUBSCRIBE` | none |');
  });

  it('refuses a setting without a description, naming it', () => {
    const schema = z.strictObject({ limits: z.strictObject({ burst: z.int().default(1) }).prefault({}).meta({ title: 'Limits', description: 'Rates.' }) })
      .meta({ title: 'Configuration', description: 'One file.' });
    expect(() => configReference(schema)).toThrow('limits.burst has no description');
  });
});
