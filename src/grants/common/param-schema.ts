import { z } from 'zod';

import { Description, FieldRef, invalidRequest, MintingError, type FieldNames } from './minting-error.js';

/**
 * Rules in these schemas are worded as predicates ("must be at most 128 characters") and an
 * issue's first path entry is the field, so the error text is the field's name, then the rule, in
 * whichever spelling the interface answering it uses.
 */
function errorOf(issue: z.core.$ZodIssue | undefined): MintingError {
  const name = issue?.path[0];
  if (!issue) return invalidRequest(new Description(['the request is invalid']));
  return invalidRequest(new Description(name === undefined ? [issue.message] : [new FieldRef(String(name)), ` ${issue.message}`]));
}

/** A field the form may carry once; a second copy is refused rather than one of them picked. */
export function single() {
  return z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be sent once') });
}

/** A list field; a list sent with one entry may reach here as a plain string. */
export function list<T extends z.ZodType>(item: T) {
  return z.preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(item, { error: 'must be a list' }));
}

/** Runs a schema; its first issue is thrown as the request's error, since one error text names one field. */
export function validate<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw errorOf(result.error.issues[0]);
}

/** A parsed request, or the first problem found: the field it concerns and the rule it broke. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/** A parsing step's outcome in the token endpoint's words, for callers that want a result rather than a throw. */
export function parseResult<T>(parse: () => T, names: FieldNames): ParseResult<T> {
  try {
    return { ok: true, value: parse() };
  } catch (error) {
    if (!(error instanceof MintingError)) throw error;
    const field = error.field ?? '';
    return { ok: false, field: names[field] ?? field, message: error.description.render(names) };
  }
}
