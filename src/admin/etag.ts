import { createHash } from 'node:crypto';

import { invalidRequest, preconditionFailed } from './admin-error.js';

/** A strong ETag of a stored record's exact text: it changes whenever the record does. */
export function etagOf(storedText: string): string {
  return `"${createHash('sha256').update(storedText).digest('base64url').slice(0, 27)}"`;
}

/**
 * Checks `If-Match` (RFC 9110 §13.1.1) against the resource as it is now: `*` matches any existing
 * resource, a list matches when one of its tags does. Absent, everything matches (a client that
 * does not care). A weak tag (`W/"…"`) never matches, as the strong comparison requires.
 */
export function assertIfMatch(ifMatch: string | undefined, current: string | undefined, what: string): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
  if (tags.length === 0) throw invalidRequest('If-Match must be * or a list of ETags');
  if (tags.some((tag) => tag !== '*' && !/^(W\/)?"[\x21\x23-\x7e]*"$/.test(tag))) {
    throw invalidRequest('If-Match must be * or a list of quoted ETags');
  }
  const matches = current !== undefined && tags.some((tag) => tag === '*' || tag === current);
  if (!matches) throw preconditionFailed(what);
}
