import { request } from 'node:http';

import { describe, expect, inject, it } from 'vitest';

import { startChildStagepass } from '../support/child-stagepass.js';
import { basicAuth } from '../support/relying-party.js';
import { sleep } from '../support/sleep.js';
import { CLIENTS, newKeysDir, uniqueRedisPrefix } from '../support/stagepass.js';

describe('graceful shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('on %s the server stops accepting, finishes the request in flight, closes Redis and exits 0', async (signal) => {
    const server = await startChildStagepass({ keysDir: await newKeysDir(), redisUrl: inject('redisUrl'), redisKeyPrefix: uniqueRedisPrefix() });
    const { port } = new URL(server.issuer);
    const body = 'grant_type=client_credentials';

    // A request whose body arrives in two parts: in flight when the signal comes.
    let answered!: (value: { status: number; json: Record<string, unknown>; connection?: string }) => void;
    const answer = new Promise<{ status: number; json: Record<string, unknown>; connection?: string }>((resolve) => (answered = resolve));
    const inFlight = request({
      host: '127.0.0.1', port, method: 'POST', path: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length, ...basicAuth(CLIENTS.service.client_id, CLIENTS.service.client_secret) },
    }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => answered({ status: response.statusCode!, json: JSON.parse(text) as Record<string, unknown>, connection: response.headers.connection }));
    });
    inFlight.write(body.slice(0, 10));
    await sleep(300);

    const exited = server.stop(signal);
    await expect.poll(() => server.logLines().some((line) => line.message === 'shutting down'), { timeout: 5_000 }).toBe(true);
    await expect(fetch(`${server.issuer}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();

    inFlight.end(body.slice(10));
    const { status, json, connection } = await answer;
    expect(status).toBe(200);
    expect(json.access_token).toEqual(expect.any(String));
    expect(connection).toBe('close');

    expect(await exited).toBe(0);
    expect(server.logLines().at(-1)?.message).toBe('stopped');
  });
});
