import { z } from 'zod';

import { isStoredPassword } from '../accounts/password.js';

/**
 * Client metadata is validated in full by oidc-provider when the provider starts; this schema
 * only pins what stagepass itself relies on and lets the rest of the metadata through.
 */
const clientSchema = z.looseObject({
  client_id: z.string().min(1),
  client_secret: z.string().min(1).optional(),
});

const accountSchema = z.strictObject({
  sub: z.string().min(1),
  username: z.string().min(1),
  password: z.string().refine(isStoredPassword, 'must be the output of `npm run --silent hash-password -- <password>`'),
  claims: z.record(z.string(), z.unknown()).default({}),
});

const keysSchema = z.strictObject({
  jwksFile: z.string().min(1).default('.data/jwks.json'),
  cookieKeysFile: z.string().min(1).default('.data/cookie-keys.json'),
});

const deviceFlowSchema = z.strictObject({
  /** Seconds a device must wait between polls (RFC 8628 §3.2). */
  interval: z.int().min(1).max(60).default(5),
  /** Seconds a device code and its user code stay valid. */
  expiresIn: z.int().min(10).max(3600).default(600),
});

const ivsSchema = z.strictObject({
  /** The ARN IVS gave the public key at ImportPublicKey; it is the `kid` of every participant token. */
  publicKeyArn: z.string().regex(/^arn:aws:ivs:[a-z0-9-]+:[0-9]+:public-key\/[a-zA-Z0-9-]+$/, 'must be an IVS public key ARN (arn:aws:ivs:<region>:<account>:public-key/<id>)'),
  /** P-384 private key (PEM); created when missing so a development server can mint at once. */
  privateKeyFile: z.string().min(1),
  stages: z.array(z.strictObject({
    arn: z.string().max(128).regex(/^arn:aws:ivs:[a-z0-9-]+:[0-9]+:stage\/[a-zA-Z0-9-]+$/, 'must be an IVS stage ARN (arn:aws:ivs:<region>:<account>:stage/<id>)'),
    eventsUrl: z.url({ protocol: /^wss?$/ }),
    whipUrl: z.url({ protocol: /^https?$/ }),
  })).default([]),
});

const licenseSchema = z.strictObject({
  arn: z.string().regex(/^arn:aws[a-z-]*:license-manager:/, 'must be a License Manager license ARN'),
  /** Live (unexpired, undeleted) refresh tokens allowed for this license at once. */
  maxTokens: z.int().min(1).max(10_000_000).default(100),
});

const videoSchema = z.strictObject({
  apiKey: z.string().regex(/^[0-9]+$/, 'must be the numeric API key of the Vonage Video / OpenTok project'),
  apiSecret: z.string().min(16),
  /** The token format a request gets when it names none; `vonage` needs the application credentials. */
  tokenFormat: z.enum(['jwt', 't1', 'vonage']).default('jwt'),
  /** Vonage application credentials, for RS256 application tokens. */
  applicationId: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be the id of a Vonage application').optional(),
  privateKeyFile: z.string().min(1).optional(),
}).refine((video) => (video.applicationId === undefined) === (video.privateKeyFile === undefined), {
  message: 'applicationId and privateKeyFile go together',
  path: ['applicationId'],
}).refine((video) => video.tokenFormat !== 'vonage' || video.applicationId !== undefined, {
  message: 'the vonage token format needs applicationId and privateKeyFile',
  path: ['tokenFormat'],
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
   * named. 0 means unlimited. Merged over DEFAULT_TOKENS_PER_SECOND.
   */
  tokensPerSecond: z.record(z.string().min(1), z.int().min(0).max(1_000_000)).default({}),
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

export const configSchema = z.strictObject({
  issuer: z.url({ protocol: /^https?$/ }).optional(),
  port: z.int().min(0).max(65535).default(3000),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  redisKeyPrefix: z.string().default('stagepass:'),
  redisCluster: z.boolean().default(false),
  /** Milliseconds a Redis command may take before the request fails with 503. */
  redisCommandTimeoutMs: z.int().min(10).max(60_000).default(2000),
  /** Trust X-Forwarded-For and X-Forwarded-Proto from a reverse proxy (client IP, Secure cookies). */
  trustProxy: z.boolean().default(false),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Seconds in-flight requests get to finish after SIGTERM or SIGINT before they are cut off. */
  shutdownGraceSeconds: z.int().min(0).max(600).default(10),
  limits: limitsSchema.default({
    maxBodyBytes: 64 * 1024,
    tokensPerSecond: {},
    login: { maxFailuresPerAccount: 5, maxFailuresPerIp: 20, lockoutSeconds: 60, maxLockoutSeconds: 3600 },
    userCodeEntry: { maxFailuresPerIp: 10, lockoutSeconds: 60, maxLockoutSeconds: 3600 },
  }),
  metrics: metricsSchema.default({ enabled: true }),
  /** One worker process per core, sharing the port; state must then live in Redis. */
  cluster: z.boolean().default(false),
  keys: keysSchema.default({ jwksFile: '.data/jwks.json', cookieKeysFile: '.data/cookie-keys.json' }),
  clients: z.array(clientSchema).default([]),
  accounts: z.array(accountSchema).default([]),
  registration: z.strictObject({
    initialAccessToken: z.string().min(16).optional(),
  }).default({}),
  deviceFlow: deviceFlowSchema.default({ interval: 5, expiresIn: 600 }),
  ivs: ivsSchema.optional(),
  licenses: z.array(licenseSchema).default([]),
  video: videoSchema.optional(),
}).refine((config) => !config.cluster || config.redisUrl !== undefined, {
  message: 'cluster mode needs redisUrl: workers share their state through Redis',
  path: ['cluster'],
});

type ParsedConfig = z.infer<typeof configSchema>;

export type Config = Omit<ParsedConfig, 'issuer'> & { issuer: string };
export type ClientConfig = ParsedConfig['clients'][number];
export type AccountConfig = ParsedConfig['accounts'][number];
export type IvsConfig = NonNullable<ParsedConfig['ivs']>;
export type LicenseConfig = ParsedConfig['licenses'][number];
export type VideoConfig = NonNullable<ParsedConfig['video']>;
export type LimitsConfig = ParsedConfig['limits'];
export type MetricsConfig = ParsedConfig['metrics'];
