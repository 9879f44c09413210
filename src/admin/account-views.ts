import { z } from 'zod';

import { type Account, upstreamUsername } from '../accounts/account-directory.js';
import type { RuntimeAccount } from '../accounts/runtime-accounts.js';
import type { UpstreamAccount } from '../accounts/upstream-accounts.js';
import { groupName, subjectSchema } from '../config/rules.js';
import type { Versioned } from '../store/versioned-collection.js';
import { etagOf } from './etag.js';
import type { AdminAnswer } from './operation.js';

const usernameSchema = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters')
  .regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters')
  .regex(/^(?!\s).*(?<!\s)$/s, 'must not begin or end with a space');
const passwordSchema = z.string().min(8, 'must be at least 8 characters').max(1024, 'must be at most 1024 characters').meta({ description: 'Plain text; stored in the salted scrypt form and never answered' });
const claimsSchema = z.record(z.string(), z.unknown()).meta({ description: 'Released by scope, as a configured account\'s claims' });
const groupsSchema = z.array(groupName.refine((name) => name !== '*', 'is every person\'s group already; name it in groups, not here'))
  .max(256, 'must list at most 256 groups').meta({ description: 'The groups whose rights the person has, beside those of "*"' });

export const createSchema = z.strictObject({
  sub: subjectSchema.optional().meta({ description: 'The subject, 1 to 255 characters without control characters; a random UUID when not given' }),
  username: usernameSchema,
  password: passwordSchema,
  claims: claimsSchema.default({}),
  groups: groupsSchema.default([]),
  disabled: z.boolean().default(false),
});

/**
 * A replacement: what is not given is emptied, except the password, which is kept. An upstream
 * person's username, claims and groups come from their provider, so for them only `disabled`.
 */
export const replaceSchema = z.strictObject({
  sub: subjectSchema.optional().meta({ description: 'When given, the path\'s' }),
  source: z.string().optional().meta({ description: 'Read-only; when given, the account\'s' }),
  username: usernameSchema.optional().meta({ description: 'Required for an account made here' }),
  password: passwordSchema.optional().meta({ description: 'Plain text; kept as it is when not given' }),
  claims: claimsSchema.optional(),
  groups: groupsSchema.optional(),
  disabled: z.boolean().optional(),
});

export const accountSchema = z.object({
  sub: z.string(),
  source: z.string().meta({ description: 'config: from the configuration file, read-only here; api: made here; upstream:<id>: signed in through that provider' }),
  username: z.string(),
  claims: z.record(z.string(), z.unknown()),
  groups: z.array(z.string()),
  disabled: z.boolean(),
});

type AccountView = z.infer<typeof accountSchema>;

/** An account as answered, with its ETag and its place in the listing. */
export interface Listed {
  view: AccountView;
  etag: string;
  /** Listings go through the configured accounts, those made here, then upstream people, each by subject. */
  cursor: string;
}

export type CreateBody = z.infer<typeof createSchema>;
export type ReplaceBody = z.infer<typeof replaceSchema>;

/** Accounts as answered, by where they come from. */
export const listed = {
  config: (account: Account): Listed => {
    const view = { ...account, groups: [...account.groups], source: 'config', disabled: false };
    return { view, etag: etagOf(JSON.stringify(view)), cursor: `config:${account.sub}` };
  },
  api: ({ item, version }: Versioned<RuntimeAccount>): Listed => ({
    view: { sub: item.sub, source: 'api', username: item.username, claims: item.claims, groups: item.groups, disabled: item.disabled },
    etag: etagOf(version),
    cursor: `api:${item.sub}`,
  }),
  upstream: ({ item, version }: Versioned<UpstreamAccount>): Listed => ({
    view: {
      sub: item.sub, source: `upstream:${item.provider}`, username: upstreamUsername(item.sub, item.claims), claims: item.claims, groups: item.groups, disabled: item.disabled ?? false,
    },
    etag: etagOf(version),
    cursor: `upstream:${item.sub}`,
  }),
};

export const answerOf = ({ view, etag }: Listed): AdminAnswer => ({ body: view, etag });
