import { z } from 'zod';

import { accountsSchema } from './accounts.js';
import { clientsSchemaFor } from './clients.js';
import { trustedIssuersSchema, upstreamProvidersSchema } from './identity-providers.js';
import { keysSchema } from './keys.js';
import { limitsSchema } from './limits.js';
import { groupsSchemaFor, type MintingPolicyMetadata } from './rights.js';
import { deviceFlowSchema, metricsSchema, passkeysSchema, registrationSchema, serverSettingsSchema } from './server.js';
import { checkStoreSettings, storeSettingsSchema } from './store.js';

/** What the configuration takes in from the minters: their sections, each under its key, and the client metadata fields of their rights. */
export interface MinterSettings<Sections extends z.ZodRawShape> {
  sections: Sections;
  policyMetadata: MintingPolicyMetadata;
}

const OVERVIEW = [
  'One JSON file, read from `STAGEPASS_CONFIG` (default `config/default.json`), parsed and validated once at start. '
  + 'An invalid file stops the server with a message naming each bad field, for example:',
  '```\ninvalid config/prod.json:\n  - clients.0.client_id: Invalid input: expected string, received undefined\n```',
  'Unknown keys are an error everywhere but in client metadata and in `limits.tokensPerSecond` (whose keys are grant types), '
  + 'so a typo in a setting\'s name never passes silently. The environment variables `PORT`, `ISSUER` and `REDIS_URL` override the file\'s '
  + '`port`, `issuer` and `redisUrl` (an empty variable counts as unset). Relative paths are resolved from the working directory. '
  + '`client_id`s, account `sub`s and usernames, upstream provider ids, and trusted issuers\' ids and issuers must each be unique.',
].join('\n\n');

/** A configuration schema: stagepass's own settings, parsed, beside the minters' sections. */
export type ConfigSchema<Sections extends z.ZodRawShape> = z.ZodType<BaseConfig & z.output<z.ZodObject<Sections>>>;

/**
 * The whole configuration: stagepass's own settings and the minters' sections, which the
 * composition root hands in so that reading the configuration loads no minter.
 */
export function configSchemaWith<Sections extends z.ZodRawShape>({ sections, policyMetadata }: MinterSettings<Sections>): ConfigSchema<Sections> {
  const whole = ownSettingsSchema(policyMetadata).extend(sections).meta({ title: 'Configuration', description: OVERVIEW });
  // The minters' sections are opaque here: the rules and the issuer's default read stagepass's own settings only.
  const own = whole as unknown as z.ZodType<OwnSettings>;
  return own.superRefine(checkAcrossSettings)
    .transform((config) => ({ ...config, issuer: config.issuer ?? `http://localhost:${config.port}` })) as unknown as ConfigSchema<Sections>;
}

function ownSettingsSchema(policyMetadata: MintingPolicyMetadata) {
  return z.strictObject({
    ...serverSettingsSchema.shape,
    ...storeSettingsSchema.shape,
    keys: keysSchema,
    deviceFlow: deviceFlowSchema,
    registration: registrationSchema,
    passkeys: passkeysSchema,
    limits: limitsSchema,
    metrics: metricsSchema,
    clients: clientsSchemaFor(Object.keys(policyMetadata)),
    accounts: accountsSchema,
    groups: groupsSchemaFor(policyMetadata),
    upstreamProviders: upstreamProvidersSchema,
    trustedIssuers: trustedIssuersSchema,
  });
}

type OwnSettings = z.output<ReturnType<typeof ownSettingsSchema>>;

/** Rules that hold between settings: each is stated once, on the field that breaks it. */
function checkAcrossSettings(config: OwnSettings, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const unique: [list: string, field: string, values: string[]][] = [
    ['clients', 'client_id', config.clients.map(({ client_id }) => client_id)],
    ['accounts', 'sub', config.accounts.map(({ sub }) => sub)],
    ['accounts', 'username', config.accounts.map(({ username }) => username)],
    ['upstreamProviders', 'id', config.upstreamProviders.map(({ id }) => id)],
    ['trustedIssuers', 'id', config.trustedIssuers.map(({ id }) => id)],
    ['trustedIssuers', 'issuer', config.trustedIssuers.map(({ issuer }) => issuer)],
  ];
  for (const [list, field, values] of unique) {
    for (const [index, value] of values.entries()) {
      if (values.indexOf(value) < index) issue([list, index, field], `duplicate value "${value}"`);
    }
  }
  checkStoreSettings(config, issue);
  // Upstream and trusted issuers' people are `<id>:<their sub>`: each id is one source's namespace.
  const namespaces = [
    ...config.upstreamProviders.map(({ id }) => ({ id, owner: `upstream provider ${id}` })),
    ...config.trustedIssuers.map(({ id }) => ({ id, owner: `trusted issuer ${id}` })),
  ];
  for (const [index, trusted] of config.trustedIssuers.entries()) {
    if (!config.upstreamProviders.some(({ id }) => id === trusted.id)) continue;
    issue(['trustedIssuers', index, 'id'], `must differ from the id of upstream provider ${trusted.id}: both would name their people "${trusted.id}:<sub>"`);
  }
  for (const [index, account] of config.accounts.entries()) {
    const namespace = namespaces.find(({ id }) => account.sub.startsWith(`${id}:`));
    if (namespace) issue(['accounts', index, 'sub'], `must not start with "${namespace.id}:", the subjects of ${namespace.owner}`);
  }
}

/** Stagepass's own settings, parsed, whatever minters the root composed them with. */
export type BaseConfig = OwnSettings & { issuer: string };
export type LimitsConfig = BaseConfig['limits'];
