import { z } from 'zod';

import { keysSchema } from './keys.js';
import { limitsSchema } from './limits.js';
import { accountSchema, type MintingPolicyMetadata, rightsSchemaFor, trustedIssuerSchema, upstreamProviderSchema } from './people.js';
import { groupName } from './rules.js';
import { deviceFlowSchema, metricsSchema, registrationSchema, serverSettingsSchema } from './server.js';
import { storeSettingsSchema } from './store.js';

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
    limits: limitsSchema,
    metrics: metricsSchema,
    clients: clientsSchema(Object.keys(policyMetadata)),
    accounts: accountsSchema,
    groups: z.record(groupName, rightsSchemaFor(policyMetadata)).optional().meta(GROUPS),
    upstreamProviders: upstreamProvidersSchema,
    trustedIssuers: trustedIssuersSchema,
  });
}

type OwnSettings = z.output<ReturnType<typeof ownSettingsSchema>>;

/**
 * Client metadata is validated in full by oidc-provider when the provider starts; this schema
 * only pins what stagepass itself relies on and lets the rest of the metadata through.
 */
function clientsSchema(rightsFields: readonly string[]) {
  const client = z.looseObject({
    client_id: z.string().min(1).meta({ description: 'the client\'s id' }),
    client_secret: z.string().min(1).optional().meta({ description: 'its secret; none for a public client (`"token_endpoint_auth_method": "none"`)' }),
  });
  return z.array(client).default([]).meta({
    title: 'Clients',
    description: [
      'Static clients. Each entry is [oidc-provider client metadata](https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#clients), '
      + 'validated in full at start: `client_id`, `client_secret`, `client_name`, `grant_types`, `response_types`, `redirect_uris`, '
      + '`token_endpoint_auth_method` (`none` for public clients), `application_type` (`native` for apps on a device), `scope`, and so on.',
      `The fields ${rightsFields.map((field) => `\`${field}\``).join(', ')} are the minting policy, with the vocabularies of a group's rights (below): `
      + 'only the operator sets them (here or through the Admin API, never dynamic registration), and an entry outside a field\'s vocabulary stops the server at start. '
      + '`"introspection_allowed": true` (the operator\'s, as well) makes a client a resource server that may introspect every client\'s tokens.',
    ].join('\n\n'),
    examples: [[{
      client_id: 'living-room-tv',
      client_name: 'Living Room TV',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    }]],
  });
}

const accountsSchema = z.array(accountSchema).default([]).meta({
  title: 'Accounts',
  description: 'The people who sign in with a username and password. Accounts can also be made, changed, disabled and deleted at runtime, '
    + 'without a restart, through the Admin API.',
  examples: [[{
    sub: '3f1c2a9e-alice',
    username: 'alice',
    password: 'scrypt$16384$8$1$…',
    claims: { name: 'Alice Example', email: 'alice@example.com', email_verified: true },
    groups: ['hosts'],
  }]],
});

const GROUPS = {
  title: 'Groups',
  description: 'Group name (`"*"`, or 1 to 64 of `A-Z a-z 0-9 . _ : -` starting with a letter or digit) → what its members may mint. '
    + 'Absent, a person may be minted whatever the client may mint. Present, a token minted for a person must be within both the client\'s rights '
    + 'and the person\'s: those of every group the person is in, and of `"*"`, the group everyone is in. Groups can also be made at runtime through the Admin API.',
  absent: 'no group policy',
  examples: [{ '*': { video_roles: ['subscriber'] }, hosts: { ivs_stage_arns: ['*'], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'], video_roles: ['publisher', 'moderator'] } }],
};

const upstreamProvidersSchema = z.array(upstreamProviderSchema).default([]).meta({
  title: 'Upstream providers',
  description: 'OpenID Connect providers people may sign in through: the sign-in page shows `Sign in with <name>` beside the username and password form '
    + '(alone when there are no `accounts`). Register the redirect URI `<issuer>/login/<id>/callback` with the provider; stagepass prints it at start. '
    + 'The person is the account `<id>:<upstream sub>`, with the provider\'s standard claims and groups.',
});

const trustedIssuersSchema = z.array(trustedIssuerSchema).default([]).meta({
  title: 'Trusted issuers',
  description: 'Identity providers whose JWTs a client may send as a minting grant\'s `subject_token`, for the person they name: `<id>:<sub>`. '
    + 'Tokens must carry `exp`, and a `sub` of 1 to 255 characters without control characters; 60 s of clock difference is tolerated. '
    + 'An entry may not take an upstream provider\'s `id`: both would name their people `<id>:<sub>`.',
});

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

function checkStoreSettings(config: OwnSettings, issue: (path: string[], message: string) => void): void {
  const usesRedis = config.redisUrl !== undefined || config.redisSentinels !== undefined;
  if (config.cluster && !usesRedis) issue(['cluster'], 'cluster mode needs redisUrl: workers share their state through Redis');
  if (config.redisUrl !== undefined && config.redisSentinels !== undefined) issue(['redisSentinels'], 'give either redisUrl or redisSentinels, not both');
  if (config.redisSentinels !== undefined && config.redisSentinelName === undefined) {
    issue(['redisSentinelName'], 'redisSentinels needs redisSentinelName, the master\'s name as the sentinels know it');
  }
  if (config.redisSentinels !== undefined && config.redisCluster) issue(['redisCluster'], 'a Redis Cluster is reached through redisUrl, not redisSentinels');
  if (config.redisClusterNodes !== undefined && !(config.redisCluster && config.redisUrl !== undefined)) {
    issue(['redisClusterNodes'], 'names further seed nodes of a Redis Cluster: it needs redisCluster and redisUrl');
  }
  if (config.redisCluster && /[{}]/.test(config.redisKeyPrefix)) {
    // A hash tag in the prefix would put every key in one slot of the cluster.
    issue(['redisKeyPrefix'], 'must not contain { or } with redisCluster: every key would land in one slot');
  }
}

/** Stagepass's own settings, parsed, whatever minters the root composed them with. */
export type BaseConfig = OwnSettings & { issuer: string };
export type LimitsConfig = BaseConfig['limits'];
export type UpstreamProviderConfig = z.output<typeof upstreamProviderSchema>;
