import { describe, expect, it } from 'vitest';

import { approveDevice, authorizationCodeTokens } from '../support/flows.js';
import { client, postForm, relyingParty } from '../support/relying-party.js';
import { ScriptedUser } from '../support/scripted-user.js';
import { CLIENTS, newKeysDir, startStagepass, uniqueRedisPrefix, USERS } from '../support/stagepass.js';

describe('on Redis, state survives a restart', () => {
  it('a refresh token, a registered client and a half-finished device flow all outlive the server that issued them', async () => {
    const redis = { keyPrefix: uniqueRedisPrefix() };
    const keysDir = await newKeysDir();

    const before = await startStagepass({ redis, keysDir });
    const { tokens } = await authorizationCodeTokens(before.issuer, 'confidential');
    const registered = await fetch(`${before.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }),
    }).then((r) => r.json() as Promise<{ client_id: string; client_secret: string }>);
    const device = (await postForm(`${before.issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid' })).body as {
      device_code: string; verification_uri_complete: string;
    };
    await before.close();

    const after = await startStagepass({ redis, keysDir });
    try {
      const config = await relyingParty(after.issuer, 'confidential');
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      expect((await client.fetchUserInfo(config, refreshed.access_token, USERS.alice.sub)).sub).toBe(USERS.alice.sub);

      const credentials = await postForm(`${after.issuer}/token`, {
        grant_type: 'client_credentials', client_id: registered.client_id, client_secret: registered.client_secret,
      });
      expect(credentials.status).toBe(200);

      // The restarted server has a new port, so the person follows the code, not the old link.
      const userCode = new URL(device.verification_uri_complete).searchParams.get('user_code')!;
      await approveDevice(new ScriptedUser(), `${after.issuer}/device?user_code=${userCode}`);
      const polled = await postForm(`${after.issuer}/token`, {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code, client_id: CLIENTS.native.client_id,
      });
      expect(polled.status).toBe(200);
      expect(polled.body.id_token).toEqual(expect.any(String));
    } finally {
      await after.close();
    }
  });
});
