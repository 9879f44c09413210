import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { boundedFetch, MAX_OUTSIDE_DOCUMENT_BYTES, ResponseTooLarge, UrlRefused } from '../../src/http/outside-fetch.js';
import { outsideDocumentFetch } from '../../src/provider/oidc-provider-internals.js';
import { MIB, OVERSIZE_SPELLINGS, sendPadded, trickle } from '../support/hostile-responses.js';
import { startStagepass, type RunningStagepass } from '../support/stagepass.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => unknown;

/** A server of whatever a test has it answer, by path, noting each connection that ended. */
async function outsideServer(routes: Record<string, Handler>) {
  const requested: string[] = [];
  const hungUp: string[] = [];
  const server: Server = createServer((request, response) => {
    requested.push(request.url!);
    response.on('close', () => hungUp.push(request.url!));
    void routes[request.url!]?.(request, response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return { server, url, requested, hungUp };
}

const limits = { maxBytes: 64 * 1024, timeoutMs: 1000 };
const bounded = boundedFetch(limits);

describe('the fetch for documents from outside', () => {
  let outside: Awaited<ReturnType<typeof outsideServer>>;
  beforeAll(async () => {
    outside = await outsideServer({
      '/document': (_request, response) => response.end(JSON.stringify({ issuer: 'https://login.example' })),
      '/no-content': (_request, response) => {
        response.statusCode = 204;
        response.end();
      },
      ...Object.fromEntries(OVERSIZE_SPELLINGS.map((spelling) => [encodeURI(`/oversized/${spelling}`), (_request: IncomingMessage, response: ServerResponse) => {
        void sendPadded(response, { issuer: 'https://login.example' }, 4 * MIB, spelling);
      }])),
      // 200 MiB sent as fast as it is read, unless the reader hangs up first.
      '/endless': (_request, response) => void sendPadded(response, {}, 200 * MIB, 'without a length'),
      // Each byte within a second of the last, the whole within no deadline.
      '/trickle': (_request, response) => void trickle(response, JSON.stringify({ issuer: 'https://login.example' }), 100),
      '/redirect': (_request, response) => {
        response.writeHead(302, { location: '/document' });
        response.end();
      },
    });
  });
  afterAll(() => {
    outside.server.closeAllConnections();
    outside.server.close();
  });

  it('hands on a document within the limits whole, with its status and headers', async () => {
    const response = await bounded(outside.url('/document'), {});
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ issuer: 'https://login.example' });
  });

  it('hands on a response that has no body', async () => {
    expect((await bounded(outside.url('/no-content'), {})).status).toBe(204);
  });

  it.each(OVERSIZE_SPELLINGS)('refuses a body past the limit sent %s', async (spelling) => {
    await expect(bounded(outside.url(encodeURI(`/oversized/${spelling}`)), {})).rejects.toThrow(ResponseTooLarge);
  });

  it('stops reading an endless body at the limit and hangs up', async () => {
    await expect(bounded(outside.url('/endless'), {})).rejects.toThrow(ResponseTooLarge);
    await expect.poll(() => outside.hungUp).toContain('/endless');
  });

  it('gives up on a body trickled past the deadline, however lively each byte', async () => {
    await expect(bounded(outside.url('/trickle'), {})).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it.each(['0.0.0.0', '[::ffff:127.0.0.1]'])('does not ask a server over plain http off the loopback names (%s)', async (host) => {
    const before = outside.requested.length;
    await expect(bounded(outside.url('/document').replace('127.0.0.1', host), {})).rejects.toThrow(UrlRefused);
    expect(outside.requested.length).toBe(before);
  });

  it('answers a redirect as it is and never follows it', async () => {
    const before = outside.requested.length;
    const response = await bounded(outside.url('/redirect'), {});
    expect(response.status).toBe(302);
    expect(outside.requested.slice(before)).toEqual(['/redirect']);
  });
});

describe("the fetch oidc-provider reads a client's jwks_uri and sector_identifier_uri with", () => {
  let outside: Awaited<ReturnType<typeof outsideServer>>;
  let server: RunningStagepass;
  beforeAll(async () => {
    outside = await outsideServer({
      '/jwks': (_request, response) => response.end(JSON.stringify({ keys: [] })),
      '/huge-jwks': (_request, response) => void sendPadded(response, { keys: [] }, MAX_OUTSIDE_DOCUMENT_BYTES + MIB, 'without a length'),
    });
    server = await startStagepass();
  });
  afterAll(async () => {
    outside.server.closeAllConnections();
    outside.server.close();
    await server.close();
  });

  // oidc-provider refuses loopback addresses before it asks, so its configured fetch is called
  // here as oidc-provider calls it, without the dispatcher that would refuse them.
  it('reads a document within the limit', async () => {
    const response = await outsideDocumentFetch(server.stagepass.provider)(outside.url('/jwks'), { headers: {} });
    expect(await response.json()).toEqual({ keys: [] });
  });

  it('stops reading a client\'s document at the limit every document from outside has', async () => {
    await expect(outsideDocumentFetch(server.stagepass.provider)(outside.url('/huge-jwks'), { headers: {} })).rejects.toThrow(ResponseTooLarge);
    await expect.poll(() => outside.hungUp).toContain('/huge-jwks');
  });
});
