import { describe, expect, inject, it } from 'vitest';

import { startChildStagepass } from '../support/child-stagepass.js';
import { freePort } from '../support/free-port.js';
import { basicAuth, postForm } from '../support/relying-party.js';
import { CLIENTS, newKeysDir, uniqueRedisPrefix } from '../support/stagepass.js';

describe('metrics in cluster mode', () => {
  it('the metrics port shows the requests of every worker together', async () => {
    const metricsPort = await freePort();
    const server = await startChildStagepass({
      keysDir: await newKeysDir(),
      redisUrl: inject('redisUrl'),
      redisKeyPrefix: uniqueRedisPrefix(),
      config: { cluster: true, metrics: { port: metricsPort, bearerToken: 'cluster-scrape-token-0123' } },
    });
    try {
      // A new connection each time, so the primary hands them out to every worker in turn.
      const answers = await Promise.all(Array.from({ length: 10 }, () => postForm(
        `${server.issuer}/token`,
        { grant_type: 'client_credentials' },
        { ...basicAuth(CLIENTS.service.client_id, CLIENTS.service.client_secret), connection: 'close' },
      )));
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));

      expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(401);
      const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { authorization: 'Bearer cluster-scrape-token-0123' } });
      const text = await scraped.text();
      expect(text).toMatch(/stagepass_http_requests_total\{route="token",method="POST",status="200"\} 10$/m);
      expect(text).toMatch(/stagepass_tokens_issued_total\{grant_type="client_credentials"\} 10$/m);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe('cluster mode start-up', () => {
  it('workers that cannot start stop the whole server, which exits 1 and says why', async () => {
    const started = startChildStagepass({
      keysDir: await newKeysDir(),
      // Nothing listens there: every worker fails to start.
      redisUrl: 'redis://127.0.0.1:1',
      redisKeyPrefix: uniqueRedisPrefix(),
      config: { cluster: true },
    });
    const failure = await started.then(() => new Error('started'), (error: Error) => error);
    expect(failure.message).toMatch(/^stagepass exited with 1 before listening/);
    expect(failure.message).toContain('cannot reach Redis');
    expect(failure.message).toContain('"message":"worker exited"');
  });
});
