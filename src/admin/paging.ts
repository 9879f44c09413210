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

/** The limit and the name to start after, from a parsed page query. */
export function pageRequest(query: Readonly<Record<string, unknown>>): { limit: number; after: string | undefined } {
  return { limit: (query.limit as number | undefined) ?? DEFAULT_PAGE_SIZE, after: cursorAfter(query.cursor as string | undefined) };
}
