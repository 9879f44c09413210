import { z } from 'zod';

import type { ConfiguredAccount } from '../accounts/account-directory.js';
import type { GroupRights } from '../accounts/group-directory.js';
import { isStoredPassword } from '../accounts/password.js';
import type { TrustedIssuerConfig } from '../accounts/trusted-issuers.js';
import { groupMapSchema, groupName, groupsClaimSchema, httpsOrLoopbackUrl, providerId, subjectSchema } from './rules.js';

/**
 * Client metadata fields that grant the right to mint, each with its closed vocabulary, or null
 * for an open one (ARNs), as the minters declare them.
 */
export type MintingPolicyMetadata = Readonly<Record<string, readonly string[] | null>>;

export const accountSchema = z.strictObject({
  sub: subjectSchema.meta({
    description: 'the subject: 1 to 255 characters, none a control character; not starting with an upstream provider\'s or a trusted issuer\'s `<id>:`',
  }),
  username: z.string().min(1).meta({ description: 'what the person types to sign in' }),
  password: z.string().refine(isStoredPassword, 'must be the output of `npm run --silent hash-password -- <password>`').meta({
    description: 'the output of `npm run --silent hash-password -- \'<password>\'`; plain text is refused',
  }),
  claims: z.record(z.string(), z.unknown()).default({}).meta({
    description: 'released by scope: `profile` (name, given_name, family_name, nickname, preferred_username, picture, locale, zoneinfo, updated_at), '
      + '`email` (email, email_verified); `preferred_username` is the username unless named here',
  }),
  groups: z.array(groupName.refine((name) => name !== '*', 'is every person\'s group already; name it in groups, not here')).default([]).meta({
    description: 'the groups whose rights the person has, beside those of `"*"`; released under the `groups` scope',
  }),
}) satisfies z.ZodType<ConfiguredAccount>;

export const upstreamProviderSchema = z.strictObject({
  id: providerId.meta({ description: 'the prefix of its people\'s subjects (`<id>:<upstream sub>`) and part of the redirect URI `<issuer>/login/<id>/callback`' }),
  name: z.string().min(1).max(64).meta({ description: 'shown on the sign-in page: `Sign in with <name>`' }),
  issuer: httpsOrLoopbackUrl.meta({ description: 'the provider\'s issuer; its discovery document is `<issuer>/.well-known/openid-configuration`' }),
  clientId: z.string().min(1).meta({ description: 'stagepass\'s client id at the provider' }),
  clientSecret: z.string().min(1).meta({ description: 'its secret (`client_secret_basic`)' }),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token'))
    .refine((scopes) => scopes.includes('openid'), 'must include openid')
    .default(['openid', 'email', 'profile'])
    .meta({ description: 'the scopes asked for; must include `openid`' }),
  groupsClaim: groupsClaimSchema,
  groupMap: groupMapSchema.optional(),
  trustEmail: z.boolean().default(false).meta({
    description: 'pass on the provider\'s word that an email is the person\'s (`email_verified`) under stagepass\'s issuer; '
      + 'without it stagepass says `email_verified: false` of its people\'s emails. Set it only for a provider that verifies addresses and lets no one take another\'s',
  }),
});

/** Asymmetric signatures only: never `none`, never a MAC keyed with something the issuer shares. */
const TRUSTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export const trustedIssuerSchema = z.strictObject({
  id: providerId.meta({ description: 'the prefix of the people it names: `<id>:<sub>`' }),
  issuer: httpsOrLoopbackUrl.meta({ description: 'its tokens\' `iss`, exactly' }),
  audience: z.string().min(1).meta({ description: 'a token\'s `aud` must contain it' }),
  jwksUri: httpsOrLoopbackUrl.optional().meta({
    description: 'where its keys are; fetched again on an unknown `kid`, at most every 30 s',
    absent: 'from the issuer\'s discovery document',
  }),
  groupsClaim: groupsClaimSchema,
  groupMap: groupMapSchema.optional(),
  algorithms: z.array(z.enum(TRUSTED_ALGORITHMS, { error: `must be among ${TRUSTED_ALGORITHMS.join(', ')}` })).min(1)
    .default(['RS256', 'PS256', 'ES256', 'EdDSA'])
    .meta({ description: 'the signature algorithms its tokens may use (asymmetric ones only)' }),
  clients: z.array(z.string().min(1)).min(1).optional().meta({ description: 'the client ids that may present its tokens', absent: 'every client' }),
  maxTokenAgeSeconds: z.int().min(1).max(7 * 86_400).default(3600).meta({ description: 'a token issued (`iat`) longer ago than this is refused' }),
}) satisfies z.ZodType<TrustedIssuerConfig>;

/**
 * What a group's members may mint: the clients' minting metadata fields with their vocabularies
 * (`"*"` in an open one, the ARNs, means every value).
 */
export function rightsSchemaFor(metadata: MintingPolicyMetadata) {
  return z.strictObject(Object.fromEntries(Object.entries(metadata).map(([field, vocabulary]) => [
    field,
    vocabulary === null
      ? z.array(z.string().min(1)).optional().meta({ description: 'the values members may mint for; `"*"` for every one' })
      : z.array(z.enum(vocabulary as [string, ...string[]])).optional().meta({ description: 'the values members may mint with' }),
  ]))) satisfies z.ZodType<GroupRights>;
}
