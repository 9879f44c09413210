import { z } from 'zod';

import { isStoredPassword } from '../accounts/password.js';
import { subjectProblem } from '../accounts/subject.js';
import { isHttpsOrLoopback } from '../http/outside-urls.js';
import { MINTER_CONFIG_SECTIONS, MINTING_POLICY_METADATA } from '../grants/index.js';

/**
 * Client metadata is validated in full by oidc-provider when the provider starts; this schema
 * only pins what stagepass itself relies on and lets the rest of the metadata through.
 */
const clientSchema = z.looseObject({
  client_id: z.string().min(1),
  client_secret: z.string().min(1).optional(),
});

/** A group's name; `"*"` is the group every person is in. */
export const groupName = z.string().regex(/^(\*|[A-Za-z0-9][A-Za-z0-9._:-]{0,63})$/, 'must be "*" or 1 to 64 letters, digits and . _ : - (starting with a letter or digit)');

/** An account's subject, by the rule every subject keeps (src/accounts/subject.ts). */
export const subjectSchema = z.string().superRefine((sub, ctx) => {
  const problem = subjectProblem(sub);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const accountSchema = z.strictObject({
  sub: subjectSchema,
  username: z.string().min(1),
  password: z.string().refine(isStoredPassword, 'must be the output of `npm run --silent hash-password -- <password>`'),
  claims: z.record(z.string(), z.unknown()).default({}),
  /** The groups whose rights the person has, beside those of `"*"`. */
  groups: z.array(groupName.refine((name) => name !== '*', 'is every person\'s group already; name it in groups, not here')).default([]),
});

const upstreamProviderSchema = z.strictObject({
  /** Names the provider in subjects (`<id>:<upstream sub>`) and in its redirect URI. */
  id: z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be 1 to 32 lowercase letters, digits or dashes'),
  /** Shown on the sign-in page: "Sign in with <name>". */
  name: z.string().min(1).max(64),
  issuer: z.url({ protocol: /^https?$/ }).refine(
    (issuer) => isHttpsOrLoopback(new URL(issuer)),
    'must be an https: URL (http: only for localhost, 127.0.0.0/8 or [::1])',
  ),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token'))
    .refine((scopes) => scopes.includes('openid'), 'must include openid')
    .default(['openid', 'email', 'profile']),
  /** The ID token or userinfo claim that lists the person's upstream groups. */
  groupsClaim: z.string().min(1).default('groups'),
  /** Upstream group → stagepass group; with a map, unmapped upstream groups are dropped. */
  groupMap: z.record(z.string(), groupName.refine((name) => name !== '*', 'is every person\'s group already')).optional(),
  /**
   * Whether the provider's word that an email is the person's (`email_verified`) is passed on under
   * stagepass's issuer; without it stagepass says `email_verified: false` of its people's emails.
   */
  trustEmail: z.boolean().default(false),
});
/**
 * What a group's members may mint: the clients' minting metadata fields with their vocabularies
 * (`"*"` in an open one, the ARNs, means every value).
 */
export const rightsSchema = z.strictObject(Object.fromEntries(Object.entries(MINTING_POLICY_METADATA).map(([field, vocabulary]) => [
  field,
  z.array(vocabulary === null ? z.string().min(1) : z.enum(vocabulary as [string, ...string[]])).optional(),
])));

/** Asymmetric signatures only: never `none`, never a MAC keyed with something the issuer shares. */
const TRUSTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const issuerUrl = z.url({ protocol: /^https?$/ }).refine(
  (url) => isHttpsOrLoopback(new URL(url)),
  'must be an https: URL (http: only for localhost, 127.0.0.0/8 and [::1])',
);

/** Upstream group → stagepass group. */
const groupMapSchema = z.record(z.string().min(1), groupName.refine((name) => name !== '*', 'maps to a group a person can be put in, not "*"'));

/** An identity provider whose JWTs are taken as subject tokens, for the person they name. */
const trustedIssuerSchema = z.strictObject({
  /** The person is `<id>:<sub>`. */
  id: z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be 1 to 32 of a-z, 0-9 and -'),
  issuer: issuerUrl,
  /** Its tokens' `aud` must contain it. */
  audience: z.string().min(1),
  /** Its keys; from the issuer's discovery document when not given. */
  jwksUri: issuerUrl.optional(),
  groupsClaim: z.string().min(1).default('groups'),
  groupMap: groupMapSchema.optional(),
  algorithms: z.array(z.enum(TRUSTED_ALGORITHMS, { error: `must be among ${TRUSTED_ALGORITHMS.join(', ')}` })).min(1).default(['RS256', 'PS256', 'ES256', 'EdDSA']),
  /** The clients that may present its tokens; every client when absent. */
  clients: z.array(z.string().min(1)).min(1).optional(),
  /** A token issued (`iat`) longer ago than this is refused. */
  maxTokenAgeSeconds: z.int().min(1).max(7 * 86_400).default(3600),
});

const MIN_PROMOTE_AFTER_SECONDS = 120;

const keysSchema = z.strictObject({
  /** The signing keys a server starts with; once the store holds a key set, it seeds nothing more. */
  jwksFile: z.string().min(1).default('.data/jwks.json'),
  cookieKeysFile: z.string().min(1).default('.data/cookie-keys.json'),
  /** Where a server on the memory store keeps its key set (encrypted), so that rotations outlive a restart; unused with Redis. */
  keySetFile: z.string().min(1).default('.data/key-set.json'),
  /** The AES-256 key the signing keys are encrypted under in the store; every instance must share it. */
  encryptionKeyFile: z.string().min(1).default('.data/key-encryption-key.json'),
  /**
   * Where an instance remembers which generation of the Redis store it served, so that it notices
   * a store that lost stagepass's state rather than starting afresh on it; unused on the memory store.
   */
  storeGenerationFile: z.string().min(1).default('.data/store-generation.json'),
  /**
   * Seconds a rotated-in key is published as `next` before it signs, so that cached JWKS learn it
   * first. At least two minutes: every instance reads the key set every half second (a read may
   * wait redisCommandTimeoutMs), and a key due to sign within a minute is taken for one that may
   * sign already somewhere; below that, a new key could sign on one instance before another publishes it.
   */
  promoteAfterSeconds: z.int().min(MIN_PROMOTE_AFTER_SECONDS, `must be at least ${MIN_PROMOTE_AFTER_SECONDS}: every instance must publish a new key before any signs with it`)
    .max(86_400).default(3600),
});

const deviceFlowSchema = z.strictObject({
  /** Seconds a device must wait between polls (RFC 8628 §3.2). */
  interval: z.int().min(1).max(60).default(5),
  /** Seconds a device code and its user code stay valid. */
  expiresIn: z.int().min(10).max(3600).default(600),
});

const lockoutSchema = {
  /** Seconds of the first lockout; each further one doubles it, up to maxLockoutSeconds. */
  lockoutSeconds: z.int().min(1).max(86_400).default(60),
  maxLockoutSeconds: z.int().min(1).max(7 * 86_400).default(3600),
};

const limitsSchema = z.strictObject({
  /** Bytes a request body may declare (Content-Length), on every route. */
  maxBodyBytes: z.int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
  /**
   * Tokens per second each client may obtain, by grant type; `default` covers the grant types not
   * named. 0 means unlimited. Merged over the defaults (`tokenRates` in src/app/app.ts).
   */
  tokensPerSecond: z.record(z.string().min(1), z.int().min(0).max(1_000_000)).default({}),
  /**
   * Failed token requests per second a public client may make from one address, per grant type
   * (a public client's id proves nothing, so its failures are not charged to its shared rate).
   */
  failedGrantsPerSecondPerAddress: z.int().min(1).max(1_000_000).default(10),
  /** Client registrations (`/reg`, SSO OIDC RegisterClient) per minute from one address. */
  registrationsPerMinutePerAddress: z.int().min(1).max(1_000_000).default(10),
  /** Device authorization requests per minute from one address. */
  deviceAuthorizationsPerMinutePerAddress: z.int().min(1).max(1_000_000).default(60),
  login: z.strictObject({
    maxFailuresPerAccount: z.int().min(1).max(1000).default(5),
    maxFailuresPerIp: z.int().min(1).max(10_000).default(20),
    ...lockoutSchema,
  }).default({ maxFailuresPerAccount: 5, maxFailuresPerIp: 20, lockoutSeconds: 60, maxLockoutSeconds: 3600 }),
  userCodeEntry: z.strictObject({
    maxFailuresPerIp: z.int().min(1).max(10_000).default(10),
    ...lockoutSchema,
  }).default({ maxFailuresPerIp: 10, lockoutSeconds: 60, maxLockoutSeconds: 3600 }),
});

const metricsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Serve /metrics on this port alone instead of the main one. */
  port: z.int().min(1).max(65535).optional(),
  /** Require `Authorization: Bearer <token>` at /metrics. */
  bearerToken: z.string().min(16).optional(),
});

/**
 * The issuer is the exact `iss` of every token and the base every endpoint is appended to: an
 * origin only, written as a URL parser writes it back, so that no two spellings name one server.
 */
const issuerOrigin = z.url({ protocol: /^https?$/ }).superRefine((issuer, ctx) => {
  // Refinements run after a failed URL check too, which has said what is wrong already.
  if (!URL.canParse(issuer)) return;
  const { origin } = new URL(issuer);
  if (issuer !== origin) ctx.addIssue({ code: 'custom', message: `must be an origin alone, without a path, trailing slash, query or fragment: "${origin}"` });
});

export const configSchema = z.strictObject({
  issuer: issuerOrigin.optional(),
  /** The address to listen on: every IPv4 interface unless given (`::` for every interface, `127.0.0.1` for this machine only). */
  host: z.union([z.ipv4(), z.ipv6(), z.literal('localhost')], { error: 'must be an IPv4 or IPv6 address, or localhost' }).default('0.0.0.0'),
  port: z.int().min(0).max(65535).default(3000),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  /** Sentinels that know the master (one master with replicas), instead of redisUrl. */
  redisSentinels: z.array(z.strictObject({ host: z.string().min(1), port: z.int().min(1).max(65535) })).min(1).optional(),
  /** The master's name as the sentinels know it. */
  redisSentinelName: z.string().min(1).optional(),
  redisSentinelPassword: z.string().min(1).optional(),
  redisKeyPrefix: z.string().default('stagepass:'),
  redisCluster: z.boolean().default(false),
  /** Further seed nodes of the cluster beside redisUrl's, so that one node down does not stop a start. */
  redisClusterNodes: z.array(z.strictObject({ host: z.string().min(1), port: z.int().min(1).max(65535) })).min(1).optional(),
  /** Milliseconds a Redis command may take before the request fails with 503. */
  redisCommandTimeoutMs: z.int().min(10).max(60_000).default(2000),
  /** Trust X-Forwarded-For and X-Forwarded-Proto from a reverse proxy (client IP, Secure cookies). */
  trustProxy: z.boolean().default(false),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /**
   * Seconds stagepass keeps answering after SIGTERM or SIGINT, /readyz at 503, so a load balancer
   * notices and stops sending before the listener closes.
   */
  shutdownDrainSeconds: z.int().min(0).max(600).default(5),
  /** Seconds in-flight requests get to finish after the drain before they are cut off. */
  shutdownGraceSeconds: z.int().min(0).max(600).default(10),
  limits: limitsSchema.default({
    maxBodyBytes: 64 * 1024,
    tokensPerSecond: {},
    failedGrantsPerSecondPerAddress: 10,
    registrationsPerMinutePerAddress: 10,
    deviceAuthorizationsPerMinutePerAddress: 60,
    login: { maxFailuresPerAccount: 5, maxFailuresPerIp: 20, lockoutSeconds: 60, maxLockoutSeconds: 3600 },
    userCodeEntry: { maxFailuresPerIp: 10, lockoutSeconds: 60, maxLockoutSeconds: 3600 },
  }),
  metrics: metricsSchema.default({ enabled: true }),
  /** One worker process per core, sharing the port; state must then live in Redis. */
  cluster: z.boolean().default(false),
  keys: keysSchema.default({
    jwksFile: '.data/jwks.json', cookieKeysFile: '.data/cookie-keys.json', keySetFile: '.data/key-set.json', encryptionKeyFile: '.data/key-encryption-key.json',
    storeGenerationFile: '.data/store-generation.json', promoteAfterSeconds: 3600,
  }),
  clients: z.array(clientSchema).default([]),
  accounts: z.array(accountSchema).default([]),
  /** OpenID Connect providers people may sign in through, beside the local accounts. */
  upstreamProviders: z.array(upstreamProviderSchema).default([]),
  /**
   * Group name → what its members may mint. Absent: a person may mint whatever the client may.
   * Present: a person may mint what both the client and the person's groups (and `"*"`) allow.
   */
  groups: z.record(groupName, rightsSchema).optional(),
  trustedIssuers: z.array(trustedIssuerSchema).default([]),
  registration: z.strictObject({
    initialAccessToken: z.string().min(16).optional(),
    /** Days a dynamically registered client lives unused; each use starts the count again. */
    idleExpiryDays: z.int().min(1).max(3650).default(30),
  }).default({ idleExpiryDays: 30 }),
  deviceFlow: deviceFlowSchema.default({ interval: 5, expiresIn: 600 }),
  // Each minter's own section, from its folder: `ivs`, `licenses`, `video`.
  ...MINTER_CONFIG_SECTIONS,
}).superRefine((config, ctx) => {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  for (const key of ['id', 'issuer'] as const) {
    const values = config.trustedIssuers.map((trusted) => trusted[key]);
    if (new Set(values).size !== values.length) issue('trustedIssuers', `two trusted issuers have the same ${key}`);
  }
  const usesRedis = config.redisUrl !== undefined || config.redisSentinels !== undefined;
  if (config.cluster && !usesRedis) issue('cluster', 'cluster mode needs redisUrl: workers share their state through Redis');
  if (config.redisUrl !== undefined && config.redisSentinels !== undefined) {
    issue('redisSentinels', 'give either redisUrl or redisSentinels, not both');
  }
  if (config.redisSentinels !== undefined && config.redisSentinelName === undefined) {
    issue('redisSentinelName', 'redisSentinels needs redisSentinelName, the master\'s name as the sentinels know it');
  }
  // Upstream and trusted issuers' people are `<id>:<their sub>`: each id is one source's namespace.
  const namespaces = [
    ...config.upstreamProviders.map(({ id }) => ({ id, owner: `upstream provider ${id}` })),
    ...config.trustedIssuers.map(({ id }) => ({ id, owner: `trusted issuer ${id}` })),
  ];
  for (const [index, trusted] of config.trustedIssuers.entries()) {
    if (!config.upstreamProviders.some(({ id }) => id === trusted.id)) continue;
    ctx.addIssue({ code: 'custom', path: ['trustedIssuers', index, 'id'], message: `must differ from the id of upstream provider ${trusted.id}: both would name their people "${trusted.id}:<sub>"` });
  }
  for (const [index, account] of config.accounts.entries()) {
    const namespace = namespaces.find(({ id }) => account.sub.startsWith(`${id}:`));
    if (namespace) ctx.addIssue({ code: 'custom', path: ['accounts', index, 'sub'], message: `must not start with "${namespace.id}:", the subjects of ${namespace.owner}` });
  }
  if (config.redisSentinels !== undefined && config.redisCluster) issue('redisCluster', 'a Redis Cluster is reached through redisUrl, not redisSentinels');
  if (config.redisClusterNodes !== undefined && !(config.redisCluster && config.redisUrl !== undefined)) {
    issue('redisClusterNodes', 'names further seed nodes of a Redis Cluster: it needs redisCluster and redisUrl');
  }
  if (config.redisCluster && /[{}]/.test(config.redisKeyPrefix)) {
    // A hash tag in the prefix would put every key in one slot of the cluster.
    issue('redisKeyPrefix', 'must not contain { or } with redisCluster: every key would land in one slot');
  }
});

type ParsedConfig = z.infer<typeof configSchema>;

export type Config = Omit<ParsedConfig, 'issuer'> & { issuer: string };
export type ClientConfig = ParsedConfig['clients'][number];
export type AccountConfig = ParsedConfig['accounts'][number];
export type UpstreamProviderConfig = ParsedConfig['upstreamProviders'][number];
export type TrustedIssuerConfig = ParsedConfig['trustedIssuers'][number];
export type GroupRightsConfig = z.infer<typeof rightsSchema>;
export type LimitsConfig = ParsedConfig['limits'];
export type MetricsConfig = ParsedConfig['metrics'];
