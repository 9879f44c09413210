import { z } from 'zod';

import { invalidRequest } from './admin-error.js';
import type { Versioned } from '../store/versioned-collection.js';

/** `limit` and `cursor` of a listing; every value of a query arrives as a string. */
export const pageQuery = z.strictObject({
  limit: z.string().regex(/^\d{1,3}$/, 'must be a whole number from 1 to 200')
    .transform(Number).refine((limit) => limit >= 1 && limit <= 200, 'must be a whole number from 1 to 200')
    .optional().meta({ description: 'Items per page, 1–200 (50 when not given).' }),
  cursor: z.string().max(1024).optional().meta({ description: 'The `next_cursor` of the previous page.' }),
});

export const DEFAULT_PAGE_SIZE = 50;

/** The answer of a listing: `next_cursor` is null on the last page. */
export function pageSchema(item: z.ZodType) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

/** A cursor names the last item of the page before, opaque to the caller. */
export function cursorAfter(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  if (name === '' || Buffer.from(name, 'utf8').toString('base64url') !== cursor) throw invalidRequest('cursor is not one this API gave');
  return name;
}

export function pageAnswer<T>(page: { items: Versioned<T>[]; more: boolean }, view: (item: Versioned<T>) => unknown) {
  const last = page.items.at(-1);
  return {
    items: page.items.map(view),
    next_cursor: page.more && last ? Buffer.from(last.name, 'utf8').toString('base64url') : null,
  };
}

/**
 * A page of a listing already in order (the configuration's items, then the runtime ones): the
 * cursor names the last item of the page before.
 */
export function pageOfList<T>(all: readonly T[], nameOf: (item: T) => string, query: Readonly<Record<string, unknown>>, view: (item: T) => unknown) {
  const { limit, after } = pageRequest(query);
  const from = after === undefined ? 0 : all.findIndex((item) => nameOf(item) === after) + 1;
  // The item the cursor named is gone: there is no telling where it stood.
  if (after !== undefined && from === 0) throw invalidRequest('cursor names an item that no longer exists; list from the start again');
  const items = all.slice(from, from + limit);
  const more = from + limit < all.length;
  return { items: items.map(view), next_cursor: more ? Buffer.from(nameOf(items.at(-1)!), 'utf8').toString('base64url') : null };
}

/** The limit and the name to start after, from a parsed page query. */
export function pageRequest(query: Readonly<Record<string, unknown>>): { limit: number; after: string | undefined } {
  return { limit: (query.limit as number | undefined) ?? DEFAULT_PAGE_SIZE, after: cursorAfter(query.cursor as string | undefined) };
}
