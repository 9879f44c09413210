import { z } from 'zod';

import type { AdminResource } from '../grants/common/admin-resource.js';
import type { Layered, LayeredCollection, LayerCursor } from '../store/layered-collection.js';
import { versionOf } from '../store/versioned-collection.js';
import { conflict, fromConfiguration, invalidRequest, notFound, preconditionFailed } from './admin-error.js';
import { assertIfMatch, etagOf } from './etag.js';
import { adminOperation, type AdminAnswer, type AdminOperation, type AdminRequest } from './operation.js';
import { DEFAULT_PAGE_SIZE, pageQuery, pageSchema } from './paging.js';
import { ABSENT, type ChangeJournal, madeBy, type PendingChange } from './pending-changes.js';

/**
 * What an item's answer holds and a write does not set, sent back with a write (GET, edit, PUT):
 * taken as long as it is what it is, and refused, naming it, when it was changed.
 */
export function assertSentBackUnchanged(id: { field: string; given: unknown; id: string }, source: { given: unknown; source: string }): void {
  if (id.given !== undefined && id.given !== id.id) throw invalidRequest(`${id.field} must be the path's, ${id.id}`);
  if (source.given !== undefined && source.given !== source.source) throw invalidRequest(`source is read-only: it is ${JSON.stringify(source.source)} here`);
}

/** The layer changes through the Admin API write to. */
export const API_SOURCE = 'api';

/** The `source` every listed item carries: where it comes from, and so whether it can be changed here. */
export const sourceField = z.string().meta({ description: 'config: from the configuration file, read-only here; api: made here' });

/**
 * The steps every change of a versioned item takes, over a layered collection: find it once a
 * change left pending on it is finished, refuse what the configuration defines, check `If-Match`,
 * note the change before its deciding write, write from the version read (412 when it changed),
 * and answer a call sent again after its answer was lost as it was answered.
 */
export class VersionedItems<T> {
  constructor(
    private readonly collection: LayeredCollection<T>,
    /** How refusals name an item: `group ${name}`. */
    private readonly describe: (id: string) => string,
    /** Finishes what a change made besides its write (ending a deleted client's tokens); none by default. */
    private readonly complete: (pending: PendingChange, id: string) => Promise<void> = async () => {},
    /** What an item's ETag is made of: its stored text unless the item keeps a revision of its own. */
    private readonly etagBasis: (entry: Layered<T>) => string = (entry) => entry.version,
  ) {}

  etag(entry: Layered<T>): string {
    return etagOf(this.etagBasis(entry));
  }

  /** The item as the path names it, once a change left pending on it is finished. */
  async settled(id: string, journal: ChangeJournal): Promise<{ finished: PendingChange | undefined; current: Layered<T> | undefined }> {
    const finished = await journal.settle(id, async (pending) => {
      const found = await this.collection.find(id);
      if (!madeBy(pending, found?.stored ? found : undefined)) return false;
      await this.complete(pending, id);
      return true;
    });
    return { finished, current: await this.collection.find(id) };
  }

  existing(entry: Layered<T> | undefined, id: string): Layered<T> {
    if (!entry) throw notFound(this.describe(id));
    return entry;
  }

  /** Refuses an item the configuration defines: it changes where it is defined. */
  assertChangeable(id: string): void {
    if (this.collection.isConfigured(id)) throw fromConfiguration(this.describe(id));
  }

  /** The stored item a change applies to, as the caller last read it. */
  changeable(entry: Layered<T> | undefined, id: string, ifMatch: string | undefined): Layered<T> {
    this.assertChangeable(id);
    const current = this.existing(entry, id);
    assertIfMatch(ifMatch, this.etag(current), this.describe(id));
    return current;
  }

  /** A call sent again after its answer was lost, when the item is now what it asks for. */
  sentAgain(finished: PendingChange | undefined, current: Layered<T> | undefined, journal: ChangeJournal, asked: T): finished is PendingChange {
    return journal.isOwn(finished) && current?.stored === true && current.version === versionOf(asked);
  }

  /** Creates (`expected` undefined) or replaces the item in the API's layer, noted first; 412 when it changed in between. */
  async write(id: string, item: T, expected: Layered<T> | undefined, journal: ChangeJournal, change: Pick<PendingChange, 'action' | 'details'>): Promise<Layered<T>> {
    await journal.begin(id, { ...change, to: etagOf(versionOf(item)) });
    const written = await this.collection.layer(API_SOURCE).put(id, item, expected?.version);
    if (!written) throw expected ? preconditionFailed(this.describe(id)) : conflict(`${this.describe(id)} exists already`);
    return { ...written, source: API_SOURCE, stored: true };
  }

  /** Removes the item, noted first; gone meanwhile counts as removed (an earlier attempt's removal may have landed late). */
  async remove(id: string, current: Layered<T>, journal: ChangeJournal): Promise<void> {
    await journal.begin(id, { action: 'delete', to: ABSENT });
    const layer = this.collection.layer(current.source);
    if (!(await layer.remove(id, current.version)) && (await layer.find(id))) throw preconditionFailed(this.describe(id));
  }

  /** A page of every item, the configuration's first, then each stored layer's, each by name. */
  async page(query: Readonly<Record<string, unknown>>): Promise<{ items: Layered<T>[]; nextCursor: string | null }> {
    const limit = (query.limit as number | undefined) ?? DEFAULT_PAGE_SIZE;
    const page = await this.collection.page(limit, this.#cursor(query.cursor as string | undefined));
    const last = page.items.at(-1);
    return { items: page.items, nextCursor: page.more && last ? Buffer.from(`${last.source}:${last.name}`, 'utf8').toString('base64url') : null };
  }

  #cursor(cursor: string | undefined): LayerCursor | undefined {
    if (cursor === undefined) return undefined;
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    const separator = text.indexOf(':');
    const source = text.slice(0, separator);
    if (separator < 1 || Buffer.from(text, 'utf8').toString('base64url') !== cursor || !this.collection.sources.includes(source)) {
      throw invalidRequest('cursor is not one this API gave');
    }
    return { source, name: text.slice(separator + 1) };
  }
}

/** The list, read, write and delete operations of a resource, with the steps every change takes. */
export function versionedResourceOperations<T>(resource: AdminResource<T>): AdminOperation[] {
  const describe = (id: string) => `${resource.noun} ${id}`;
  const end = async (id: string, actor: string) => resource.end?.(id, actor);
  // A deletion cut short after its write is finished by the next call naming the item.
  const items = new VersionedItems(resource.collection, describe, async (pending, id) => {
    if (pending.action === 'delete') await end(id, pending.clientId);
  });
  const viewSchema = resource.viewSchema.extend({ source: sourceField });
  const answerOf = (entry: Layered<T>, status?: number): AdminAnswer => ({
    ...(status === undefined ? {} : { status }),
    body: { ...resource.view(entry), source: entry.source },
    etag: items.etag(entry),
  });
  const idField = resource.id.name;
  const idOf = (params: Readonly<Record<string, string>>) => params[idField]!;
  const pathParameters = { [idField]: resource.id.description };
  const path = `/${resource.resource}/{${idField}}`;
  const Noun = resource.noun.charAt(0).toUpperCase() + resource.noun.slice(1);
  const Nouns = resource.resource.charAt(0).toUpperCase() + resource.resource.slice(1);

  /** The item a write asks for; its id and `source`, when sent back, must be what they are. */
  const askedFor = (id: string, body: Record<string, unknown>, current: Layered<T> | undefined): T => {
    const { [idField]: givenId, source, ...fields } = body;
    assertSentBackUnchanged({ field: idField, given: givenId, id }, { given: source, source: current?.source ?? API_SOURCE });
    return resource.itemOf(id, fields);
  };

  /** Creates or replaces the item the call names, as every write does. */
  const write = async ({ body, ifMatch, journal, actor }: AdminRequest<Record<string, unknown>>, id: string, mayCreate: boolean): Promise<AdminAnswer> => {
    const problem = mayCreate ? resource.idProblem?.(id) : undefined;
    if (problem !== undefined) throw invalidRequest(problem);
    items.assertChangeable(id);
    const { finished, current } = await items.settled(id, journal);
    const asked = askedFor(id, body, current);
    if (items.sentAgain(finished, current, journal, asked)) return answerOf(current!, finished.action === 'create' ? 201 : 200);
    if (current === undefined && mayCreate) {
      assertIfMatch(ifMatch, undefined, describe(id));
      await end(id, actor);
      const created = await items.write(id, asked, undefined, journal, { action: 'create' });
      return { ...answerOf(created, 201), change: { id, action: 'create' } };
    }
    const replaced = await items.write(id, asked, items.changeable(current, id, ifMatch), journal, { action: 'update' });
    return { ...answerOf(replaced), change: { id, action: 'update' } };
  };

  return [
    adminOperation({
      method: 'GET', path: `/${resource.resource}`, resource: resource.resource, operationId: `list${Nouns}`, access: 'read',
      summary: resource.summaries.list, query: pageQuery,
      responses: { 200: { description: `A page of ${resource.resource}`, schema: pageSchema(viewSchema) } },
      async handle({ query }) {
        const page = await items.page(query);
        return { body: { items: page.items.map((entry) => answerOf(entry).body), next_cursor: page.nextCursor } };
      },
    }),
    ...(resource.creation === 'post' ? [adminOperation({
      method: 'POST', path: `/${resource.resource}`, resource: resource.resource, operationId: `create${Noun}`, access: 'write',
      summary: resource.summaries.create ?? resource.summaries.put, body: resource.createBody ?? resource.body, errors: [409, 415],
      responses: { 201: { description: `The ${resource.noun}, created`, schema: viewSchema, etag: true } },
      async handle({ body, journal, actor }) {
        const id = body[idField] as string;
        if (resource.collection.isConfigured(id)) throw conflict(`${describe(id)} is defined in the configuration file`);
        const { finished, current } = await items.settled(id, journal);
        const asked = askedFor(id, body, current);
        if (items.sentAgain(finished, current, journal, asked)) return answerOf(current!, 201);
        if (current) throw conflict(`${describe(id)} exists already`);
        await end(id, actor);
        const created = await items.write(id, asked, undefined, journal, { action: 'create' });
        return { ...answerOf(created, 201), change: { id, action: 'create' } };
      },
    })] : []),
    adminOperation({
      method: 'GET', path, resource: resource.resource, operationId: `get${Noun}`, access: 'read',
      summary: resource.summaries.get, pathParameters, errors: [404],
      responses: { 200: { description: `The ${resource.noun}`, schema: viewSchema, etag: true } },
      async handle({ params, journal }) {
        const id = idOf(params);
        return answerOf(items.existing((await items.settled(id, journal)).current, id));
      },
    }),
    adminOperation({
      method: 'PUT', path, resource: resource.resource, operationId: `put${Noun}`, access: 'write',
      summary: resource.summaries.put, pathParameters, body: resource.body,
      errors: resource.creation === 'put' ? [409, 412, 415] : [404, 409, 412, 415],
      responses: Object.fromEntries([
        [200, { description: `The ${resource.noun}, replaced`, schema: viewSchema, etag: true }],
        ...(resource.creation === 'put' ? [[201, { description: `The ${resource.noun}, created`, schema: viewSchema, etag: true }]] : []),
      ]),
      handle: (request) => write(request, idOf(request.params), resource.creation === 'put'),
    }),
    adminOperation({
      method: 'DELETE', path, resource: resource.resource, operationId: `delete${Noun}`, access: 'write',
      summary: resource.summaries.delete, pathParameters, errors: [404, 409, 412],
      responses: { 204: { description: 'Deleted' } },
      async handle({ params, ifMatch, journal, actor }) {
        const id = idOf(params);
        items.assertChangeable(id);
        const { finished, current } = await items.settled(id, journal);
        if (journal.isOwn(finished) && finished.action === 'delete') return { status: 204 };
        await items.remove(id, items.changeable(current, id, ifMatch), journal);
        await end(id, actor);
        return { status: 204, change: { id, action: 'delete' } };
      },
    }),
  ];
}
