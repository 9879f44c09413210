import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GRANT_LIFETIME_SECONDS } from '../../src/provider/create-provider.js';
import { GrantIndex } from '../../src/provider/grant-index.js';
import { authorizationCodeTokens } from '../support/flows.js';
import { basicAuth, client, postForm, relyingParty } from '../support/relying-party.js';
import { CLIENTS, startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';

const RESOURCE_SERVER = {
  client_id: 'resource-server', client_secret: 'resource-server-secret-0123456789', introspection_allowed: true,
  grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
};

describe.each([['memory', false], ['Redis', true]] as const)('revoking every grant of a client or an account (%s store)', (_store, redis) => {
  let server: RunningStagepass;
  let grants: GrantIndex;
  beforeAll(async () => {
    server = await startStagepass({ redis, config: { clients: [...Object.values(CLIENTS), RESOURCE_SERVER] } });
    // The index lives in the store: one made over the server's store sees what the server noted.
    grants = new GrantIndex(server.stagepass.store, { longestLifetimeSeconds: GRANT_LIFETIME_SECONDS, clock: server.clock });
  });
  afterAll(() => server.close());

  const active = async (token: string) =>
    (await postForm(`${server.issuer}/token/introspection`, { token }, basicAuth(RESOURCE_SERVER.client_id, RESOURCE_SERVER.client_secret))).body.active;
  const serviceToken = async () => {
    const service = await relyingParty(server.issuer, 'service');
    return (await client.clientCredentialsGrant(service)).access_token;
  };

  it('a client\'s grants and client_credentials tokens stop working at once; other clients\' go on', async () => {
    const confidential = await authorizationCodeTokens(server.issuer, 'confidential');
    const native = await authorizationCodeTokens(server.issuer, 'native');
    const confidentialOwn = await (async () => {
      const config = await relyingParty(server.issuer, 'confidential');
      return (await client.clientCredentialsGrant(config)).access_token;
    })();
    const service = await serviceToken();

    await grants.revokeGrantsOfClient(CLIENTS.confidential.client_id);

    expect(await active(confidential.tokens.access_token)).toBe(false);
    expect(await active(confidentialOwn)).toBe(false);
    await expect(client.fetchUserInfo(confidential.config, confidential.tokens.access_token, USERS.alice.sub))
      .rejects.toMatchObject({ status: 401 });
    await expect(client.refreshTokenGrant(confidential.config, confidential.tokens.refresh_token!))
      .rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await active(native.tokens.access_token)).toBe(true);
    expect((await client.refreshTokenGrant(native.config, native.tokens.refresh_token!)).access_token).toBeTruthy();
    expect(await active(service)).toBe(true);
  });

  it('an account\'s grants stop working at once at every client; client_credentials tokens go on', async () => {
    const confidential = await authorizationCodeTokens(server.issuer, 'confidential');
    const native = await authorizationCodeTokens(server.issuer, 'native');
    const service = await serviceToken();

    await grants.revokeGrantsOfAccount(USERS.alice.sub);

    for (const { config, tokens } of [confidential, native]) {
      expect(await active(tokens.access_token)).toBe(false);
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    }
    expect(await active(service)).toBe(true);
    const again = await authorizationCodeTokens(server.issuer, 'native');
    expect(await active(again.tokens.access_token)).toBe(true);
  });
});
