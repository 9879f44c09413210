import { request } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';

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

/** Reads one HTTP/1.1 response off the socket: its status and headers (the bodies here are small and sent at once). */
function nextResponse(socket: Socket): Promise<{ status: number; headers: string }> {
  return new Promise((resolve, reject) => {
    let received = '';
    const onClose = () => reject(new Error('the server closed the connection without answering'));
    const onData = (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData).off('error', reject).off('close', onClose);
      resolve({ status: Number(received.slice(9, 12)), headers: received.slice(0, end).toLowerCase() });
    };
    socket.on('data', onData).on('error', reject).on('close', onClose);
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '0.0.0.0', () => probe.close(() => resolve(true)));
  });
}

describe('the drain window', () => {
  it('keeps answering on idle keep-alive connections, with Connection: close, while /readyz says draining; then stops', async () => {
    const server = await startChildStagepass({
      keysDir: await newKeysDir(), redisUrl: inject('redisUrl'), redisKeyPrefix: uniqueRedisPrefix(), config: { shutdownDrainSeconds: 3 },
    });
    const port = Number(new URL(server.issuer).port);
    const socket = connect(port, '127.0.0.1');
    const get = (path: string) => {
      const answer = nextResponse(socket);
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`);
      return answer;
    };
    // A kept-alive connection, idle when the signal comes: what a load balancer holds in its pool.
    expect((await get('/healthz')).status).toBe(200);

    const exited = server.stop('SIGTERM');
    await expect.poll(() => server.logLines().some((line) => line.message === 'shutting down'), { timeout: 5_000 }).toBe(true);
    const onIdleConnection = await get('/.well-known/openid-configuration');
    expect(onIdleConnection.status).toBe(200);
    expect(onIdleConnection.headers).toContain('connection: close');
    const ready = await fetch(`${server.issuer}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'draining' });

    expect(await exited).toBe(0);
    expect(server.logLines().at(-1)?.message).toBe('stopped');
    expect(await portIsFree(port)).toBe(true);
    socket.destroy();
  });
});

describe('npm start', () => {
  it('on SIGTERM to the npm process the server itself shuts down gracefully, npm exits 0 and the port is freed', async () => {
    const server = await startChildStagepass({ keysDir: await newKeysDir(), redisUrl: inject('redisUrl'), redisKeyPrefix: uniqueRedisPrefix(), npmStart: true });
    const port = Number(new URL(server.issuer).port);
    try {
      expect((await fetch(`${server.issuer}/healthz`)).status).toBe(200);
      expect(await server.stop('SIGTERM')).toBe(0);
      expect(server.logLines().at(-1)?.message).toBe('stopped');
      expect(await portIsFree(port)).toBe(true);
    } finally {
      server.kill();
    }
  });
});
