import { z } from 'zod';

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
  password: z.string().regex(/^scrypt\$/, 'must be the output of `npm run hash-password`'),
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
  expiresIn: z.int().min(60).max(3600).default(600),
});

export const configSchema = z.strictObject({
  issuer: z.url({ protocol: /^https?$/ }).optional(),
  port: z.int().min(0).max(65535).default(3000),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  redisKeyPrefix: z.string().default('stagepass:'),
  redisCluster: z.boolean().default(false),
  keys: keysSchema.default({ jwksFile: '.data/jwks.json', cookieKeysFile: '.data/cookie-keys.json' }),
  clients: z.array(clientSchema).default([]),
  accounts: z.array(accountSchema).default([]),
  registration: z.strictObject({
    initialAccessToken: z.string().min(16).optional(),
  }).default({}),
  deviceFlow: deviceFlowSchema.default({ interval: 5, expiresIn: 600 }),
});

type ParsedConfig = z.infer<typeof configSchema>;

export type Config = Omit<ParsedConfig, 'issuer'> & { issuer: string };
export type ClientConfig = ParsedConfig['clients'][number];
export type AccountConfig = ParsedConfig['accounts'][number];
