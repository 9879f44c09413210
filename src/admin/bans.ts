import { z } from 'zod';

import { personProblem } from '../accounts/subject.js';
import type { Ban, BanList } from '../grants/common/ban-list.js';
import { type Layered, LayeredCollection } from '../store/layered-collection.js';
import { invalidRequest } from './admin-error.js';
import { assertIfMatch } from './etag.js';
import { adminOperation, type AdminAnswer, type AdminOperation } from './operation.js';
import { pageQuery, pageSchema } from './paging.js';
import { API_SOURCE, assertSentBackUnchanged, VersionedItems } from './versioned-resource.js';

const banBody = z.strictObject({
  person: z.string().optional().meta({ description: 'When given, the path\'s' }),
  holds: z.boolean().optional().meta({ description: 'Read-only, and ignored: whether the ban refuses minting follows from until' }),
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
  const items = new VersionedItems(new LayeredCollection<Ban>([], [{ source: API_SOURCE, items: bans.stored }]), (person) => `the ban of ${person}`);
  const view = ({ name, item }: Layered<Ban>) => ({
    person: name, resources: item.resources, until: item.until, ...(item.reason === undefined ? {} : { reason: item.reason }), holds: bans.holdsNow(item),
  });
  const answerOf = (ban: Layered<Ban>, status?: number): AdminAnswer => ({ ...(status === undefined ? {} : { status }), body: view(ban), etag: items.etag(ban) });
  return [
    adminOperation({
      method: 'GET', path: '/bans', resource: 'bans', operationId: 'listBans', access: 'read',
      summary: 'List the bans, by person', query: pageQuery,
      responses: { 200: { description: 'A page of bans', schema: pageSchema(banSchema) } },
      async handle({ query }) {
        const page = await items.page(query);
        return { body: { items: page.items.map(view), next_cursor: page.nextCursor } };
      },
    }),
    adminOperation({
      method: 'GET', path: '/bans/{person}', resource: 'bans', operationId: 'getBan', access: 'read',
      summary: 'Read a person\'s ban', pathParameters: PERSON, errors: [404],
      responses: { 200: { description: 'The ban', schema: banSchema, etag: true } },
      async handle({ params, journal }) {
        const person = validPerson(params.person!);
        return answerOf(items.existing((await items.settled(person, journal)).current, person));
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
        assertSentBackUnchanged({ field: 'person', given: body.person, id: person }, { given: undefined, source: API_SOURCE });
        const { finished, current } = await items.settled(person, journal);
        const ban: Ban = { resources: [...new Set(body.resources)], until: body.until, ...(body.reason === undefined ? {} : { reason: body.reason }) };
        // This call sent again after its answer was lost: answered as it would have been.
        if (items.sentAgain(finished, current, journal, ban)) return answerOf(current!, finished.action === 'create' ? 201 : 200);
        if (current === undefined) {
          assertIfMatch(ifMatch, undefined, `the ban of ${person}`);
          return { ...answerOf(await items.write(person, ban, undefined, journal, { action: 'create' }), 201), change: { id: person, action: 'create' } };
        }
        const written = await items.write(person, ban, items.changeable(current, person, ifMatch), journal, { action: 'update' });
        return { ...answerOf(written), change: { id: person, action: 'update' } };
      },
    }),
    adminOperation({
      method: 'DELETE', path: '/bans/{person}', resource: 'bans', operationId: 'deleteBan', access: 'write',
      summary: 'Lift a person\'s ban', pathParameters: PERSON, errors: [404, 412],
      responses: { 204: { description: 'Lifted' } },
      async handle({ params, ifMatch, journal }) {
        const person = validPerson(params.person!);
        const { finished, current } = await items.settled(person, journal);
        if (journal.isOwn(finished) && finished.action === 'delete') return { status: 204 };
        await items.remove(person, items.changeable(current, person, ifMatch), journal);
        return { status: 204, change: { id: person, action: 'delete' } };
      },
    }),
  ];
}
