import type { AwsError } from './aws-error.js';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * One page of a list kept in a stable order. The token is the offset of the next page, opaque to
 * callers; one that does not decode is refused as a validation error.
 */
export function pageOf<T>(items: readonly T[], maxResults: number, nextToken: string | undefined, invalid: (message: string) => AwsError): Page<T> {
  const start = nextToken === undefined ? 0 : offsetOf(nextToken);
  if (start === undefined) throw invalid('the next token is not one this server issued');
  const end = start + maxResults;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { nextToken: Buffer.from(`offset:${end}`).toString('base64url') } : {}),
  };
}

function offsetOf(token: string): number | undefined {
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}
