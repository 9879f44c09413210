import type { Context } from 'koa';

/**
 * Reads the raw body (a signature covers its exact bytes), up to `maxBytes`. A body that declares
 * more was refused before reaching here; one sent without a length is cut off at the limit.
 */
export async function readRawBody(ctx: Context, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of ctx.req) {
    received += (chunk as Buffer).length;
    if (received > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
