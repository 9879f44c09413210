import type { Context } from 'koa';

/** nginx's "client closed request": no answer reaches the client, so the status is only logged and counted. */
export const CLIENT_CLOSED_REQUEST = 499;

/** The client closed the connection before its body was all sent: its doing, not a fault of the server. */
export class ClientDisconnected extends Error {
  readonly status = CLIENT_CLOSED_REQUEST;
  readonly expose = true;
  readonly error = 'invalid_request';
  constructor() {
    super('the client closed the connection before sending the whole request body');
  }
}

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
      request.off('data', onData).off('end', onEnd).off('error', onDisconnect).off('close', onDisconnect);
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
    // A request stream fails only when its connection does; closing before the end is the same.
    const onDisconnect = () => {
      stop();
      reject(new ClientDisconnected());
    };
    request.on('data', onData).on('end', onEnd).on('error', onDisconnect).on('close', onDisconnect);
  });
}
