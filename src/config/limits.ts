import { z } from 'zod';

import type { LoginLimits } from '../limits/login-throttle.js';
import { DEFAULT_TOKENS_PER_SECOND } from '../limits/token-rate.js';

const lockout = {
  lockoutSeconds: z.int().min(1).max(86_400).default(60).meta({ description: 'the first lockout; each further one doubles it, up to `maxLockoutSeconds`' }),
  maxLockoutSeconds: z.int().min(1).max(7 * 86_400).default(3600).meta({ description: 'the longest lockout' }),
};

const perAddress = (description: string, defaultValue: number) => z.int().min(1).max(1_000_000).default(defaultValue).meta({ description });

export const limitsSchema = z.strictObject({
  maxBodyBytes: z.int().min(1024).max(10 * 1024 * 1024).default(64 * 1024).meta({
    description: 'the largest request body a request may declare (Content-Length), on every route',
  }),
  tokensPerSecond: z.record(z.string().min(1), z.int().min(0).max(1_000_000)).default({}).meta({
    description: `tokens per second each client may obtain, by grant type; \`default\` covers the grant types not named; \`0\` means unlimited. `
      + `Merged over the defaults: ${DEFAULT_TOKENS_PER_SECOND} for every grant type, none for device code polls (each device is held to its polling interval), `
      + 'and the minters\' own, named in their sections',
  }),
  failedGrantsPerSecondPerAddress: perAddress(
    'failed token requests per second a public client may make from one address, per grant type (429 above); a public client\'s id proves nothing, '
    + 'so its failures are not charged to its shared rate',
    10,
  ),
  registrationsPerMinutePerAddress: perAddress('client registrations (`POST /reg`, SSO OIDC RegisterClient) per minute from one address', 10),
  deviceAuthorizationsPerMinutePerAddress: perAddress(
    'device authorization requests (`POST /device/auth`, SSO OIDC StartDeviceAuthorization) per minute from one address',
    60,
  ),
  factorChangesPerMinutePerAccount: perAddress(
    'changes to one person\'s sign-in methods on `/account` (adding, naming and removing passkeys, setting up an authenticator app, '
    + 'making recovery codes) per minute, from every address (429 above)',
    10,
  ),
  factorChangesPerMinutePerAddress: perAddress('changes to sign-in methods on `/account` per minute from one address, for every person (429 above)', 30),
  unsignedAwsCallsPerMinutePerAddress: perAddress(
    'calls the AWS-compatible APIs take without a signature (STS AssumeRoleWithWebIdentity, `POST /aws/sts`) per minute from one address',
    60,
  ),
  login: z.strictObject({
    maxFailuresPerAccount: z.int().min(1).max(1000).default(5).meta({ description: 'failed sign-ins that lock an account out, from every address' }),
    maxFailuresPerIp: z.int().min(1).max(10_000).default(20).meta({ description: 'failed sign-ins that lock an address out, for every account' }),
    ...lockout,
  }).prefault({}) satisfies z.ZodType<LoginLimits>,
  userCodeEntry: z.strictObject({
    maxFailuresPerIp: z.int().min(1).max(10_000).default(10).meta({
      description: 'user codes matching no device that lock an address out of the code entry page',
    }),
    ...lockout,
  }).prefault({}),
}).prefault({}).meta({
  title: 'Limits',
  description: 'Rates and lockouts, counted in the store, so that every instance sharing it holds a client, an address or an account to the same limit.',
});
