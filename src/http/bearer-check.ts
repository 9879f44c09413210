import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A check of `Authorization: Bearer <token>` against a configured token, or one that lets every
 * request through when none is configured. Digests are compared, so neither the token's content
 * nor its length leaks through timing.
 */
export function bearerCheck(token: string | undefined): (authorizationHeader: string) => boolean {
  if (token === undefined) return () => true;
  const expected = sha256(token);
  return (header) => {
    const match = /^Bearer (\S+)$/i.exec(header);
    return match !== null && timingSafeEqual(sha256(match[1]!), expected);
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
