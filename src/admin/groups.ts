import { z } from 'zod';

import type { Group, GroupDirectory } from '../accounts/group-directory.js';
import { groupName, rightsSchema } from '../config/schema.js';
import { fromConfiguration, invalidRequest, notFound, preconditionFailed } from './admin-error.js';
import { assertIfMatch, etagOf } from './etag.js';
import { adminOperation, type AdminOperation } from './operation.js';
import { pageOfList, pageQuery, pageSchema } from './paging.js';

const groupSchema = z.object({
  name: z.string(),
  source: z.enum(['config', 'api']).meta({ description: 'config: from the configuration file, read-only here' }),
  rights: rightsSchema,
});

const view = ({ name, source, rights }: Group) => ({ name, source, rights });
/** The configuration's groups have no stored version: their ETag is of their content. */
const etag = (group: Group) => etagOf(group.version ?? JSON.stringify(group.rights));

const NAME = { name: 'The group\'s name ("*" is every person\'s group)' };

export function groupOperations(groups: GroupDirectory): AdminOperation[] {
  const existing = async (name: string) => {
    const group = await groups.find(name);
    if (!group) throw notFound(`group ${name}`);
    return group;
  };
  const validName = (name: string) => {
    const parsed = groupName.safeParse(name);
    if (!parsed.success) throw invalidRequest(`the group name ${parsed.error.issues[0]!.message}`);
    return name;
  };
  return [
    adminOperation({
      method: 'GET', path: '/groups', resource: 'groups', operationId: 'listGroups', access: 'read',
      summary: 'List the groups: the configuration file\'s, then those made here, each by name',
      query: pageQuery,
      responses: { 200: { description: 'A page of groups', schema: pageSchema(groupSchema) } },
      async handle({ query }) {
        return { body: pageOfList(await groups.list(), ({ name }) => name, query, view) };
      },
    }),
    adminOperation({
      method: 'GET', path: '/groups/{name}', resource: 'groups', operationId: 'getGroup', access: 'read',
      summary: 'Read a group', pathParameters: NAME, errors: [404],
      responses: { 200: { description: 'The group', schema: groupSchema, etag: true } },
      async handle({ params }) {
        const group = await existing(params.name!);
        return { body: view(group), etag: etag(group) };
      },
    }),
    adminOperation({
      method: 'PUT', path: '/groups/{name}', resource: 'groups', operationId: 'putGroup', access: 'write',
      summary: 'Create or replace a group\'s rights; it applies beside the configuration\'s groups on every instance within a second',
      pathParameters: NAME, body: rightsSchema, errors: [409, 412, 415],
      responses: {
        200: { description: 'The group, replaced', schema: groupSchema, etag: true },
        201: { description: 'The group, created', schema: groupSchema, etag: true },
      },
      async handle({ params, body, ifMatch }) {
        const name = validName(params.name!);
        if (groups.isConfigured(name)) throw fromConfiguration(`group ${name}`);
        const current = await groups.find(name);
        assertIfMatch(ifMatch, current && etag(current), `group ${name}`);
        const written = await groups.put(name, body, current?.version);
        if (!written) throw preconditionFailed(`group ${name}`);
        return { status: current ? 200 : 201, body: view(written), etag: etag(written), change: { id: name, action: current ? 'update' : 'create' } };
      },
    }),
    adminOperation({
      method: 'DELETE', path: '/groups/{name}', resource: 'groups', operationId: 'deleteGroup', access: 'write',
      summary: 'Delete a group made here; its members lose its rights on every instance within a second',
      pathParameters: NAME, errors: [404, 409, 412],
      responses: { 204: { description: 'Deleted' } },
      async handle({ params, ifMatch }) {
        const name = params.name!;
        if (groups.isConfigured(name)) throw fromConfiguration(`group ${name}`);
        const current = await existing(name);
        assertIfMatch(ifMatch, etag(current), `group ${name}`);
        if (!(await groups.remove(name, current.version!))) throw preconditionFailed(`group ${name}`);
        return { status: 204, change: { id: name, action: 'delete' } };
      },
    }),
  ];
}
