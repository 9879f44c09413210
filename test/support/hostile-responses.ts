import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

export const MIB = 1024 * 1024;

/** How an oversized document is sent: chunked without a length, declaring its length, or gzip-compressed (small on the wire). */
export const OVERSIZE_SPELLINGS = ['without a length', 'declaring its length', 'gzip-compressed'] as const;
export type OversizeSpelling = (typeof OVERSIZE_SPELLINGS)[number];

/**
 * `document` as valid JSON of `bytes` bytes, padded with a field of x's: a reader without a limit
 * takes it whole and finds what it looks for. Written in 64 KiB chunks as the reader takes them,
 * and no further once the reader hangs up.
 */
export async function sendPadded(response: ServerResponse, document: object, bytes: number, spelling: OversizeSpelling): Promise<void> {
  const json = JSON.stringify(document);
  const head = `${json.slice(0, -1)}${json === '{}' ? '' : ','}"padding":"`;
  const tail = '"}';
  const fill = bytes - head.length - tail.length;
  response.setHeader('content-type', 'application/json');
  if (spelling === 'gzip-compressed') {
    const body = gzipSync(head + 'x'.repeat(fill) + tail);
    response.setHeader('content-encoding', 'gzip');
    response.end(body);
    return;
  }
  if (spelling === 'declaring its length') response.setHeader('content-length', bytes);
  const hungUp = hangUpOf(response);
  response.write(head);
  const chunk = Buffer.alloc(64 * 1024, 'x');
  for (let left = fill; left > 0 && !hungUp(); left -= chunk.length) {
    if (!response.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await drainedOrClosed(response, hungUp);
  }
  response.end(tail);
}

/** Sends `text` a byte every `intervalMs`, each well within any timeout for one read; stops when the reader hangs up. */
export async function trickle(response: ServerResponse, text: string, intervalMs: number): Promise<void> {
  const hungUp = hangUpOf(response);
  response.setHeader('content-type', 'application/json');
  for (const byte of text) {
    if (hungUp()) return;
    response.write(byte);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  response.end();
}

/** Whether the reader has hung up (or the response ended), asked at any time. */
function hangUpOf(response: ServerResponse): () => boolean {
  let closed = false;
  response.once('close', () => {
    closed = true;
  });
  return () => closed;
}

function drainedOrClosed(response: ServerResponse, hungUp: () => boolean): Promise<unknown> {
  return hungUp() ? Promise.resolve() : Promise.race([once(response, 'drain'), once(response, 'close')]);
}
