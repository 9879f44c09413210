import { z } from 'zod';

import type { ConfiguredAccount } from '../accounts/account-directory.js';
import { isStoredPassword } from '../accounts/password.js';
import { groupName, subjectSchema } from './rules.js';

const accountSchema = z.strictObject({
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

export const accountsSchema = z.array(accountSchema).default([]).meta({
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
