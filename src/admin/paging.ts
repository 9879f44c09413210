import { z } from 'zod';


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
