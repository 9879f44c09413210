import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_CONFIG_PATH } from '../../src/config/load.js';
import { adminApi } from '../support/admin.js';
import { basicAuth, postForm } from '../support/relying-party.js';
import { keysIn, startStagepass, type RunningStagepass } from '../support/stagepass.js';

const SAMPLE_ADMIN = { id: 'sample-admin', secret: 'sample-admin-secret-change-me' };

describe('the sample configuration\'s Admin API', () => {
  let server: RunningStagepass;
  beforeAll(async () => {
    const { port: _port, ...sample } = JSON.parse(await readFile(DEFAULT_CONFIG_PATH, 'utf8')) as Record<string, unknown> & { ivs: object };
    server = await startStagepass({
      config: (keysDir) => ({ ...sample, keys: keysIn(keysDir), ivs: { ...sample.ivs, privateKeyFile: join(keysDir, 'ivs.pem') } }),
    });
  });
  afterAll(() => server?.close());

  it('the sample admin client obtains a stagepass:admin token that lists the configuration\'s clients', async () => {
    const token = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', scope: 'stagepass:admin' }, basicAuth(SAMPLE_ADMIN.id, SAMPLE_ADMIN.secret));
    expect(token.status).toBe(200);
    const clients = await adminApi(server.issuer, token.body.access_token as string).get('/clients');
    expect(clients.status).toBe(200);
    expect((clients.body.items as { client_id: string; source: string }[]).map(({ client_id, source }) => [client_id, source])).toEqual([
      ['sample-admin', 'config'], ['sample-backend', 'config'], ['sample-device', 'config'],
    ]);
  });
});
