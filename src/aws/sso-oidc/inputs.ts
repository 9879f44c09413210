import { z } from 'zod';

/** Bounds on free text, well under the body limit, so a value is refused by name rather than by size. */
const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const textList = (maxEntries: number, maxLength: number) =>
  z.array(text(maxLength)).max(maxEntries, `must have at most ${maxEntries} entries`);

export const registerClientInput = z.object({
  clientName: text(256),
  clientType: z.literal('public', { error: 'must be public, the only client type SSO OIDC registers' }),
  scopes: textList(25, 256).optional(),
  redirectUris: textList(10, 2048).optional(),
  grantTypes: textList(3, 128).optional(),
  // Identity Center concepts with no counterpart here; accepted so that unchanged callers work.
  issuerUrl: z.string().optional(),
  entitledApplicationArn: z.string().optional(),
});

export const startDeviceAuthorizationInput = z.object({
  clientId: text(256),
  // Public clients registered in the configuration have no secret.
  clientSecret: text(4096).optional(),
  // Names the Identity Center instance on AWS; this server is the only one.
  startUrl: z.string().optional(),
});

export const createTokenInput = z.object({
  clientId: text(256),
  clientSecret: text(4096).optional(),
  grantType: text(128),
  deviceCode: text(4096).optional(),
  code: text(4096).optional(),
  refreshToken: text(4096).optional(),
  scope: textList(25, 256).optional(),
  redirectUri: text(2048).optional(),
  codeVerifier: text(128).optional(),
});

export type RegisterClientInput = z.output<typeof registerClientInput>;
export type StartDeviceAuthorizationInput = z.output<typeof startDeviceAuthorizationInput>;
export type CreateTokenInput = z.output<typeof createTokenInput>;
