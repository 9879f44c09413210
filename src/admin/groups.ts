import { z } from 'zod';

import { type Group, type GroupDirectory, requirementOfGroup, rightsOfGroup } from '../accounts/group-directory.js';
import { groupRequirementSchema, rightsSchemaFor } from '../config/rights.js';
import { groupName } from '../config/rules.js';
import { MINTING_POLICY_METADATA } from '../grants/config.js';
import type { AdminOperation } from './operation.js';
import { versionedResourceOperations } from './versioned-resource.js';

const rightsSchema = rightsSchemaFor(MINTING_POLICY_METADATA);

/**
 * A group's rights, at the top level of the body as they always were, or under `rights` as a
 * group's answer holds them, so that an answer read, edited and sent back is taken whole.
 */
const groupBody = rightsSchema.extend({
  name: z.string().optional().meta({ description: 'When given, the path\'s' }),
  source: z.string().optional().meta({ description: 'Read-only; when given, the group\'s' }),
  rights: rightsSchema.optional().meta({ description: 'The rights, as a group\'s answer holds them (instead of at the top level)' }),
  requires: groupRequirementSchema.optional(),
}).superRefine((body, ctx) => {
  const topLevel = Object.keys(rightsSchema.shape).filter((field) => (body as Record<string, unknown>)[field] !== undefined);
  if (body.rights !== undefined && topLevel.length > 0) {
    ctx.addIssue({ code: 'custom', path: ['rights'], message: `must not be given beside ${topLevel.join(', ')}: give the rights in one place` });
  }
});

export function groupOperations(groups: GroupDirectory): AdminOperation[] {
  return versionedResourceOperations<Group>({
    resource: 'groups',
    noun: 'group',
    id: { name: 'name', description: 'The group\'s name ("*" is every person\'s group)' },
    collection: groups.collection,
    view: ({ name, item }) => {
      const requires = requirementOfGroup(item);
      return { name, rights: rightsOfGroup(item), ...(requires ? { requires } : {}) };
    },
    viewSchema: z.object({ name: z.string(), rights: rightsSchema, requires: groupRequirementSchema.optional() }),
    body: groupBody,
    itemOf: (_name, { rights, requires, ...topLevel }) => ({ ...(rights ?? topLevel), ...(requires ? { requires } : {}) }) as Group,
    creation: 'put',
    idProblem(name) {
      const parsed = groupName.safeParse(name);
      return parsed.success ? undefined : `the group name ${parsed.error.issues[0]!.message}`;
    },
    summaries: {
      list: 'List the groups: the configuration file\'s, then those made here, each by name',
      get: 'Read a group',
      put: 'Create or replace a group\'s rights; it applies beside the configuration\'s groups on every instance within a second',
      delete: 'Delete a group made here; its members lose its rights on every instance within a second',
    },
  });
}
