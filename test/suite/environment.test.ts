import { describe, expect, inject, it } from 'vitest';

import { startChildStagepass } from '../support/child-stagepass.js';
import { findOrStartRedis } from '../support/global-setup.js';
import { startOwnedRedis } from '../support/redis-server.js';
import { newKeysDir, uniqueRedisPrefix } from '../support/stagepass.js';

/**
 * What a developer may have set for their own stagepass, in the shell they start the suite from:
 * none of it reaches the servers the tests start.
 */
const A_DEVELOPERS_SETTINGS = {
  REDIS_URL: 'redis://127.0.0.1:1',
  PORT: '1',
  ISSUER: 'http://elsewhere.example',
  STAGEPASS_CONFIG: '/nonexistent/stagepass.json',
};

/** Runs `body` with these variables set in this process, as if the run had been started with them. */
async function startedWith<T>(variables: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('the suite ignores the environment it is started in', () => {
  it.each([
    ['the built server', false],
    ['npm start', true],
  ])('%s, started by a test, listens where the test said and uses the Redis it named, whatever REDIS_URL, PORT, ISSUER and STAGEPASS_CONFIG say', async (_, npmStart) => {
    const server = await startedWith(A_DEVELOPERS_SETTINGS, async () => startChildStagepass({
      keysDir: await newKeysDir(), redisUrl: inject('redisUrl'), redisKeyPrefix: uniqueRedisPrefix(), npmStart,
    }));
    try {
      const discovery = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json() as { issuer: string };
      expect(discovery.issuer).toBe(server.issuer);
      expect(await (await fetch(`${server.issuer}/readyz`)).json()).toEqual({ status: 'ready', store: 'ok' });
    } finally {
      await server.stop();
    }
  });

  it('the tests run on the Redis at 127.0.0.1:6379 or on one of their own, never on the one REDIS_URL names', async () => {
    const developersRedis = await startOwnedRedis();
    try {
      const chosen = await startedWith({ REDIS_URL: developersRedis.url }, () => findOrStartRedis());
      expect(chosen).not.toBe(developersRedis.url);
    } finally {
      await developersRedis.stop();
    }
  });
});
