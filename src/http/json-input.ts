import { z } from 'zod';

export type InputResult<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * How many objects and lists deep a JSON input may nest. JSON.parse takes any depth, but what
 * walks a value recursively afterwards does not: the store's JSON.stringify fails past a few
 * thousand levels, as a server error. Nothing a client has reason to send comes near this.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Parses a JSON request body against an input schema. An empty body is an empty object, as the SDKs
 * send no body for an operation without input. The first problem found is reported, named by the
 * field's JSON path (`participantTokenConfigurations.0.duration`).
 */
export function parseJsonInput<T>(schema: z.ZodType<T>, body: Buffer): InputResult<T> {
  let json: unknown = {};
  if (body.length > 0) {
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return { ok: false, message: 'the request body is not valid JSON' };
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, message: 'the request body must be a JSON object' };
  }
  const tooDeep = pathDeeperThan(json, MAX_JSON_DEPTH);
  if (tooDeep) return { ok: false, message: `the request body nests deeper than ${MAX_JSON_DEPTH} levels (in ${String(tooDeep[0])})` };
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, message: describe(result.error.issues[0], json) };
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  record: 'an object',
};

/** Schemas word their rules as predicates ("must be at most 128 characters"); the field comes first. */
function describe(issue: z.core.$ZodIssue | undefined, json: object): string {
  if (!issue) return 'the request is invalid';
  const field = issue.path.map(String).join('.') || 'the request body';
  if (issue.code === 'unrecognized_keys') {
    const named = issue.keys.map((key) => [...issue.path.map(String), key].join('.'));
    return `${named.join(', ')} ${named.length === 1 ? 'is not a known field' : 'are not known fields'}`;
  }
  if (issue.code === 'invalid_type') {
    if (valueAt(json, issue.path) === undefined) return `${field} is required`;
    return `${field} must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
  }
  return `${field} ${issue.message}`;
}

function valueAt(json: object, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined), json);
}

/**
 * Where a JSON value holds an object or a list more than `levels` deep (the value itself being
 * the first level), as the path to it; undefined when it nests no deeper. The walk stops at that
 * depth, so it is safe on any value.
 */
export function pathDeeperThan(value: unknown, levels: number): PropertyKey[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (levels === 0) return [];
  for (const [key, member] of Object.entries(value)) {
    const below = pathDeeperThan(member, levels - 1);
    if (below) return [Array.isArray(value) ? Number(key) : key, ...below];
  }
  return undefined;
}
