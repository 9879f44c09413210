import { isHttpsOrLoopback } from './outside-urls.js';

/**
 * Bytes of a document from outside that stagepass reads (a discovery document, a JWKS, a token or
 * userinfo response): far more than any real one, little enough that a hostile server cannot make
 * an instance hold hundreds of megabytes.
 */
export const MAX_OUTSIDE_DOCUMENT_BYTES = 1024 * 1024;
/** Seconds a request to an outside server may take, its whole body included: someone waits for it. */
export const OUTSIDE_REQUEST_SECONDS = 5;

/** A response whose body went on past the bytes stagepass reads. */
export class ResponseTooLarge extends Error {
  override name = 'ResponseTooLarge';
}

/** A URL stagepass does not fetch from: plain http off loopback, or no http at all. */
export class UrlRefused extends Error {
  override name = 'UrlRefused';
}

/** A request as openid-client's `customFetch` and jose's `[customFetch]` make it: its body may be any byte array. */
type OutsideRequest = Omit<RequestInit, 'body'> & { body?: BodyInit | Uint8Array | null };
export type OutsideFetch = (url: string, init: OutsideRequest) => Promise<Response>;

/** Statuses whose response may not be given a body, not even an empty one. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * `fetch` for servers stagepass does not run: only `https:` URLs, or `http:` ones on loopback,
 * whoever named them (the configuration or a document); the whole exchange, body included, ends
 * within `timeoutMs` (a body trickled a byte at a time ends with it); at most `maxBytes` of body
 * are read, counted after decompression, whatever Content-Length says or whether there is one; a
 * redirect is answered as it is, never followed, so a document cannot send stagepass to another
 * host or to plain http. The body is read whole before the response is handed on.
 */
export function boundedFetch({ maxBytes, timeoutMs }: { maxBytes: number; timeoutMs: number }): OutsideFetch {
  return async (url, init) => {
    if (!isHttpsOrLoopback(new URL(url))) throw new UrlRefused(`${new URL(url).origin} is not https: (http: only on loopback)`);
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    // fetch takes every byte array; only TypeScript's DOM and Node typings disagree on which.
    const response = await fetch(url, { ...init, body: init.body as BodyInit | null | undefined, redirect: 'manual', signal });
    const body = await bodyOf(response, maxBytes, url);
    const headers = new Headers(response.headers);
    // The body handed on is the decoded one, of its own length.
    headers.delete('content-encoding');
    headers.delete('content-length');
    return new Response(NULL_BODY_STATUSES.has(response.status) ? null : body, { status: response.status, statusText: response.statusText, headers });
  };
}

/** The one bounded fetch of every request stagepass makes to an upstream provider or a trusted issuer. */
export const outsideFetch = boundedFetch({ maxBytes: MAX_OUTSIDE_DOCUMENT_BYTES, timeoutMs: OUTSIDE_REQUEST_SECONDS * 1000 });

async function bodyOf(response: Response, maxBytes: number, url: string): Promise<Buffer<ArrayBuffer>> {
  const tooLarge = () => new ResponseTooLarge(`${new URL(url).origin} answered with more than ${maxBytes} bytes`);
  if (!response.body) return Buffer.alloc(0);
  if (Number(response.headers.get('content-length')) > maxBytes) {
    void response.body.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    received += read.value.byteLength;
    if (received > maxBytes) {
      void reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks);
}
