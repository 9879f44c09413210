import { connect } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/observability/logger.js';
import { ivsConfig, MINTING_CLIENTS } from '../support/minters.js';
import { sleep } from '../support/sleep.js';
import { CLIENTS, startStagepass, type RunningStagepass } from '../support/stagepass.js';

type LogLine = Record<string, unknown>;
const lines: LogLine[] = [];
const captured = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });

let server: RunningStagepass;
beforeAll(async () => {
  server = await startStagepass({
    logger: captured,
    config: (keysDir) => ({ ivs: ivsConfig(keysDir), clients: [...Object.values(CLIENTS), MINTING_CLIENTS.stageBackend] }),
  });
});
afterAll(() => server.close());

/** Sends the head and the first bytes of a body that declares more, then drops the connection. */
async function dropMidBody(path: string, contentType: string, firstBytes: string): Promise<void> {
  const socket = connect(Number(new URL(server.issuer).port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\nContent-Length: 1000\r\n\r\n${firstBytes}`);
  await sleep(100);
  socket.destroy();
}

const requestLine = (path: string) => lines.find((line) => line.path === path && typeof line.status === 'number');

describe('a client that drops the connection in the middle of its body', () => {
  it.each([
    ['the sign-in form', '/interaction/some-uid/login', 'application/x-www-form-urlencoded', 'username=alice&pass'],
    ['an AWS API', '/aws/ivs-realtime/CreateParticipantToken', 'application/json', '{"stageArn": "arn:aws:ivs:'],
    ['the token endpoint', '/token', 'application/x-www-form-urlencoded', 'grant_type=client_cre'],
  ])('on %s is logged as a warning with status 499, and counted as 499, never as a server fault', async (_name, path, contentType, firstBytes) => {
    lines.length = 0;
    await dropMidBody(path, contentType, firstBytes);
    await expect.poll(() => requestLine(path), { timeout: 5_000 }).toBeDefined();
    expect(requestLine(path)).toMatchObject({ level: 'warn', status: 499 });
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
    const metrics = await (await fetch(`${server.issuer}/metrics`)).text();
    const counted = metrics.split('\n').filter((line) => line.startsWith('stagepass_http_requests_total') && line.includes('method="POST"'));
    expect(counted.filter((line) => line.includes('status="500"'))).toEqual([]);
    expect(counted.some((line) => line.includes('status="499"'))).toBe(true);
  });
});
