import { z } from 'zod';

import { personProblem } from '../accounts/subject.js';
import type { Ban, BanList } from '../grants/common/ban-list.js';
import { type Versioned, versionOf } from '../store/versioned-collection.js';
import { invalidRequest, notFound, preconditionFailed } from './admin-error.js';
import { assertIfMatch, etagOf } from './etag.js';
import { adminOperation, type AdminOperation } from './operation.js';
import { pageAnswer, pageQuery, pageRequest, pageSchema } from './paging.js';
import { ABSENT, type ChangeJournal, madeBy } from './pending-changes.js';

const banBody = z.strictObject({
  resources: z.array(z.string().min(1).max(2048)).min(1).max(1000)
    .meta({ description: 'Stage ARNs, license ARNs, video session ids, or "*" for every resource' }),
  until: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date and time (2027-01-31T18:00:00Z) or null' }).nullable().default(null)
    .meta({ description: 'When the ban ends; null (the default): when it is lifted' }),
  reason: z.string().max(500).optional().meta({ description: 'Named in every refusal the ban causes' }),
});

const banSchema = z.object({
  person: z.string().meta({ description: 'An account\'s sub: a local one, an upstream person (corp:…) or a trusted issuer\'s (shop:…)' }),
  resources: z.array(z.string()),
  until: z.string().nullable(),
  reason: z.string().optional(),
  holds: z.boolean().meta({ description: 'Whether it refuses minting now (false once until has passed)' }),
});

const PERSON = { person: 'The person\'s sub (URL-encoded)' };

/** A person as subjects name them: any person who can exist can be banned. */
const validPerson = (person: string) => {
  const problem = personProblem(person);
  if (problem !== undefined) throw invalidRequest(`the person ${problem}`);
  return person;
};

export function banOperations(bans: BanList): AdminOperation[] {
  const view = ({ name, item }: Versioned<Ban>) => ({
    person: name, resources: item.resources, until: item.until, ...(item.reason === undefined ? {} : { reason: item.reason }), holds: bans.holdsNow(item),
  });
  /** The person's ban, once a change left pending on it is finished. */
  const settled = async (person: string, journal: ChangeJournal) => {
    const finished = await journal.settle(person, async (pending) => madeBy(pending, await bans.find(person)));
    return { finished, current: await bans.find(person) };
  };
  const existing = (ban: Versioned<Ban> | undefined, person: string) => {
    if (!ban) throw notFound(`a ban of ${person}`);
    return ban;
  };
  return [
    adminOperation({
      method: 'GET', path: '/bans', resource: 'bans', operationId: 'listBans', access: 'read',
      summary: 'List the bans, by person', query: pageQuery,
      responses: { 200: { description: 'A page of bans', schema: pageSchema(banSchema) } },
      async handle({ query }) {
        const { limit, after } = pageRequest(query);
        return { body: pageAnswer(await bans.page(limit, after), view) };
      },
    }),
    adminOperation({
      method: 'GET', path: '/bans/{person}', resource: 'bans', operationId: 'getBan', access: 'read',
      summary: 'Read a person\'s ban', pathParameters: PERSON, errors: [404],
      responses: { 200: { description: 'The ban', schema: banSchema, etag: true } },
      async handle({ params, journal }) {
        const person = validPerson(params.person!);
        const ban = existing((await settled(person, journal)).current, person);
        return { body: view(ban), etag: etagOf(ban.version) };
      },
    }),
    adminOperation({
      method: 'PUT', path: '/bans/{person}', resource: 'bans', operationId: 'putBan', access: 'write',
      summary: 'Ban a person from minting for some resources (or all), or change their ban; every instance refuses them within a second',
      pathParameters: PERSON, body: banBody, errors: [412, 415],
      responses: {
        200: { description: 'The ban, changed', schema: banSchema, etag: true },
        201: { description: 'The ban, set', schema: banSchema, etag: true },
      },
      async handle({ params, body, ifMatch, journal }) {
        const person = validPerson(params.person!);
        const { finished, current } = await settled(person, journal);
        const ban: Ban = { resources: [...new Set(body.resources)], until: body.until, ...(body.reason === undefined ? {} : { reason: body.reason }) };
        const to = etagOf(versionOf(ban));
        // This call sent again after its answer was lost: answered as it would have been.
        if (journal.isOwn(finished) && current && etagOf(current.version) === to) {
          return { status: finished.action === 'create' ? 201 : 200, body: view(current), etag: to };
        }
        assertIfMatch(ifMatch, current && etagOf(current.version), `the ban of ${person}`);
        const action = current ? 'update' : 'create';
        await journal.begin(person, { action, to });
        const written = await bans.put(person, ban, current?.version);
        if (!written) throw preconditionFailed(`the ban of ${person}`);
        return { status: current ? 200 : 201, body: view(written), etag: etagOf(written.version), change: { id: person, action } };
      },
    }),
    adminOperation({
      method: 'DELETE', path: '/bans/{person}', resource: 'bans', operationId: 'deleteBan', access: 'write',
      summary: 'Lift a person\'s ban', pathParameters: PERSON, errors: [404, 412],
      responses: { 204: { description: 'Lifted' } },
      async handle({ params, ifMatch, journal }) {
        const person = validPerson(params.person!);
        const { finished, current } = await settled(person, journal);
        if (journal.isOwn(finished) && finished.action === 'delete') return { status: 204 };
        const ban = existing(current, person);
        assertIfMatch(ifMatch, etagOf(ban.version), `the ban of ${person}`);
        await journal.begin(person, { action: 'delete', to: ABSENT });
        // Gone meanwhile counts as lifted: an earlier attempt's removal may have landed late.
        if (!(await bans.remove(person, ban.version)) && (await bans.find(person))) throw preconditionFailed(`the ban of ${person}`);
        return { status: 204, change: { id: person, action: 'delete' } };
      },
    }),
  ];
}
