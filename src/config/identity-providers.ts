import { z } from 'zod';

import type { TrustedIssuerConfig } from '../accounts/trusted-issuers.js';
import { groupMapSchema, groupsClaimSchema, httpsOrLoopbackUrl, providerId } from './rules.js';

const upstreamProviderSchema = z.strictObject({
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
  trustAuthenticationContext: z.boolean().default(false).meta({
    description: 'pass on how the provider says the person signed in (its ID token\'s `acr` and `amr`) in stagepass\'s tokens, where rights that require a strong sign-in read them; '
      + 'without it a sign-in there counts as `urn:stagepass:acr:password`',
  }),
});

/** Asymmetric signatures only: never `none`, never a MAC keyed with something the issuer shares. */
const TRUSTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const trustedIssuerSchema = z.strictObject({
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

export const upstreamProvidersSchema = z.array(upstreamProviderSchema).default([]).meta({
  title: 'Upstream providers',
  description: 'OpenID Connect providers people may sign in through: the sign-in page shows `Sign in with <name>` beside the username and password form '
    + '(alone when there are no `accounts`). Register the redirect URI `<issuer>/login/<id>/callback` with the provider; stagepass prints it at start. '
    + 'The person is the account `<id>:<upstream sub>`, with the provider\'s standard claims and groups.',
});

export const trustedIssuersSchema = z.array(trustedIssuerSchema).default([]).meta({
  title: 'Trusted issuers',
  description: 'Identity providers whose JWTs a client may send as a minting grant\'s `subject_token`, for the person they name: `<id>:<sub>`. '
    + 'Tokens must carry `exp`, and a `sub` of 1 to 255 characters without control characters; 60 s of clock difference is tolerated. '
    + 'An entry may not take an upstream provider\'s `id`: both would name their people `<id>:<sub>`.',
});

export type UpstreamProviderConfig = z.output<typeof upstreamProviderSchema>;
