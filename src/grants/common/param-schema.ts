import { z } from 'zod';

import type { RawParams } from './form-params.js';

/** A parsed request, or the first problem found: the field it concerns and the rule it broke. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/** A field the form may carry once; a second copy is refused rather than one of them picked. */
export function single(field: string) {
  return z.string({ error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be sent once`) });
}

/** A list field; a list sent with one entry may reach here as a plain string. */
export function list<T extends z.ZodType>(field: string, item: T) {
  return z.preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(item, { error: `${field} must be a list` }));
}

/** Runs a grant's parameter schema; only the first issue is reported, as one error description names one field. */
export function parseWith<T>(schema: z.ZodType<T>, raw: RawParams): ParseResult<T> {
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  const [issue] = result.error.issues;
  return { ok: false, field: String(issue?.path[0] ?? ''), message: issue?.message ?? 'the request is invalid' };
}
