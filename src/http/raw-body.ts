import type { Context } from 'koa';

/**
 * Reads the raw body, up to `maxBytes` (undefined beyond), for the readers that need its bytes: the
 * AWS APIs (a signature covers them) and the page forms. A body that declares more, or runs past
 * the limit without a length, is left unread and the answer goes out with `Connection: close`,
 * rather than the request being destroyed under the response that refuses it.
 */
export function readRawBody(ctx: Context, maxBytes: number): Promise<Buffer | undefined> {
  const request = ctx.req;
  if ((ctx.request.length ?? 0) > maxBytes) {
    ctx.set('Connection', 'close');
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      request.off('data', onData).off('end', onEnd).off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      stop();
      request.pause();
      ctx.set('Connection', 'close');
      resolve(undefined);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    request.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
