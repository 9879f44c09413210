import { z } from 'zod';

import { subjectProblem } from '../accounts/subject.js';
import { isHttpsOrLoopback } from '../http/outside-urls.js';

/** A group's name; `"*"` is the group every person is in. */
export const groupName = z.string().regex(/^(\*|[A-Za-z0-9][A-Za-z0-9._:-]{0,63})$/, 'must be "*" or 1 to 64 letters, digits and . _ : - (starting with a letter or digit)');

/** An account's subject, by the rule every subject keeps (src/accounts/subject.ts). */
export const subjectSchema = z.string().superRefine((sub, ctx) => {
  const problem = subjectProblem(sub);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** An identity provider's id: the namespace of its people's subjects (`<id>:<sub>`). */
export const providerId = z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be 1 to 32 lowercase letters, digits or dashes');

/** Where a document is fetched from outside: the rule of src/http/outside-urls.ts. */
export const httpsOrLoopbackUrl = z.url({ protocol: /^https?$/ }).refine(
  (url) => isHttpsOrLoopback(new URL(url)),
  'must be an https: URL (http: only for localhost, 127.0.0.0/8 and [::1])',
);

/** An identity provider's groups as stagepass groups; with a map, unmapped groups are dropped. */
export const groupMapSchema = z.record(
  z.string().min(1),
  groupName.refine((name) => name !== '*', 'maps to a group a person can be put in, not "*"'),
).meta({
  description: 'upstream group → stagepass group; with it, unmapped groups are dropped; without it, names longer than 64 characters are',
});

/** The claim that lists a person's groups, as an identity provider states them. */
export const groupsClaimSchema = z.string().min(1).default('groups').meta({
  description: 'the claim that lists the person\'s groups (an array, or one space-separated string); the first 100 groups it gives are kept',
});

/** A server of a Redis deployment: a sentinel or a cluster's node. */
export const redisNode = z.strictObject({
  host: z.string().min(1).meta({ description: 'its host name or address' }),
  port: z.int().min(1).max(65535).meta({ description: 'its port' }),
});
