import { z } from 'zod';

import type { Group, GroupDirectory } from '../accounts/group-directory.js';
import { rightsSchemaFor } from '../config/rights.js';
import { groupName } from '../config/rules.js';
import { MINTING_POLICY_METADATA } from '../grants/config.js';
import { versionOf } from '../store/versioned-collection.js';
import { fromConfiguration, invalidRequest, notFound, preconditionFailed } from './admin-error.js';
import { assertIfMatch, etagOf } from './etag.js';
import { adminOperation, type AdminOperation } from './operation.js';
import { pageOfList, pageQuery, pageSchema } from './paging.js';
import { ABSENT, type ChangeJournal, madeBy } from './pending-changes.js';

const rightsSchema = rightsSchemaFor(MINTING_POLICY_METADATA);

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
  /** The group as stored, once a change left pending on it is finished. */
  const settled = async (name: string, journal: ChangeJournal) => {
    const finished = await journal.settle(name, async (pending) => madeBy(pending, storedVersion(await groups.find(name))));
    return { finished, current: await groups.find(name) };
  };
  const existing = (group: Group | undefined, name: string) => {
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
      async handle({ params, journal }) {
        const group = existing((await settled(params.name!, journal)).current, params.name!);
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
      async handle({ params, body, ifMatch, journal }) {
        const name = validName(params.name!);
        if (groups.isConfigured(name)) throw fromConfiguration(`group ${name}`);
        const { finished, current } = await settled(name, journal);
        const to = etagOf(versionOf(body));
        // This call sent again after its answer was lost: answered as it would have been.
        if (journal.isOwn(finished) && current && etag(current) === to) {
          return { status: finished.action === 'create' ? 201 : 200, body: view(current), etag: etag(current) };
        }
        assertIfMatch(ifMatch, current && etag(current), `group ${name}`);
        const action = current ? 'update' : 'create';
        await journal.begin(name, { action, to });
        const written = await groups.put(name, body, current?.version);
        if (!written) throw preconditionFailed(`group ${name}`);
        return { status: current ? 200 : 201, body: view(written), etag: etag(written), change: { id: name, action } };
      },
    }),
    adminOperation({
      method: 'DELETE', path: '/groups/{name}', resource: 'groups', operationId: 'deleteGroup', access: 'write',
      summary: 'Delete a group made here; its members lose its rights on every instance within a second',
      pathParameters: NAME, errors: [404, 409, 412],
      responses: { 204: { description: 'Deleted' } },
      async handle({ params, ifMatch, journal }) {
        const name = params.name!;
        if (groups.isConfigured(name)) throw fromConfiguration(`group ${name}`);
        const { finished, current } = await settled(name, journal);
        if (journal.isOwn(finished) && finished.action === 'delete') return { status: 204 };
        const group = existing(current, name);
        assertIfMatch(ifMatch, etag(group), `group ${name}`);
        await journal.begin(name, { action: 'delete', to: ABSENT });
        // Gone meanwhile counts as deleted: an earlier attempt's removal may have landed late.
        if (!(await groups.remove(name, group.version!)) && (await groups.find(name))) throw preconditionFailed(`group ${name}`);
        return { status: 204, change: { id: name, action: 'delete' } };
      },
    }),
  ];
}

/** A runtime group's stored version; none for a configured group, which no change touches. */
const storedVersion = (group: Group | undefined) => (group?.version === undefined ? undefined : { version: group.version });
