import { z } from 'zod';

import type { Acr } from '../accounts/authentication-context.js';
import type { Group, GroupRights } from '../accounts/group-directory.js';
import { groupName } from './rules.js';

/**
 * Client metadata fields that grant the right to mint, each with its closed vocabulary, or null
 * for an open one (ARNs), as the minters declare them.
 */
export type MintingPolicyMetadata = Readonly<Record<string, readonly string[] | null>>;

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

/** What a sign-in must be for a group's rights to count (RFC 9470's step-up answer names what is missing). */
export const groupRequirementSchema = z.strictObject({
  acr: z.enum(['urn:stagepass:acr:password', 'urn:stagepass:acr:mfa', 'urn:stagepass:acr:phishing-resistant'] as const satisfies readonly Acr[]).meta({ description: 'the weakest sign-in that holds the rights: `urn:stagepass:acr:password`, `urn:stagepass:acr:mfa` or `urn:stagepass:acr:phishing-resistant`' }),
  maxAgeSeconds: z.int().min(0).max(366 * 86_400).optional().meta({ description: 'the oldest sign-in, in seconds, that holds the rights', absent: 'any age' }),
}).meta({ description: 'a sign-in the rights need: a person whose sign-in is weaker or older does not hold them for a token, and is answered `insufficient_user_authentication` where they would have decided it' });

/** A group: its rights, and what its rights need of the sign-in. */
export function groupSchemaFor(metadata: MintingPolicyMetadata) {
  return rightsSchemaFor(metadata).extend({ requires: groupRequirementSchema.optional() }) satisfies z.ZodType<Group>;
}

const GROUPS = {
  title: 'Groups',
  description: 'Group name (`"*"`, or 1 to 64 of `A-Z a-z 0-9 . _ : -` starting with a letter or digit) → what its members may mint. '
    + 'Absent, a person may be minted whatever the client may mint. Present, a token minted for a person must be within both the client\'s rights '
    + 'and the person\'s: those of every group the person is in, and of `"*"`, the group everyone is in; a group\'s `requires` says what sign-in its rights need. '
    + 'Groups can also be made at runtime through the Admin API.',
  absent: 'no group policy',
  examples: [{
    '*': { video_roles: ['subscriber'] },
    hosts: { ivs_stage_arns: ['*'], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'], video_roles: ['publisher', 'moderator'], requires: { acr: 'urn:stagepass:acr:mfa', maxAgeSeconds: 900 } },
  }],
};

/** Group name → what its members may mint, by the minters' rights fields. */
export function groupsSchemaFor(metadata: MintingPolicyMetadata) {
  return z.record(groupName, groupSchemaFor(metadata)).optional().meta(GROUPS);
}
