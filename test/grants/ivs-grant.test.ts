import { importSPKI, jwtVerify, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authorizationCodeTokens } from '../support/flows.js';
import {
  ACCESS_TOKEN_TYPE, IVS_GRANT, ivsConfig, mint, MINTING_CLIENTS, mintingNativeClient, PUBLIC_KEY_ARN, STAGES,
} from '../support/minters.js';
import { CLIENTS, startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';

let server: RunningStagepass;
let verificationKey: CryptoKey;

beforeAll(async () => {
  server = await startStagepass({
    config: (keysDir) => ({
      ivs: ivsConfig(keysDir),
      clients: [
        CLIENTS.confidential,
        mintingNativeClient([IVS_GRANT], { ivs_stage_arns: ['*'], ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'] }),
        ...Object.values(MINTING_CLIENTS),
      ],
    }),
  });
  const published = (await (await fetch(`${server.issuer}/ivs/public-key`)).json()) as { pem: string };
  verificationKey = await importSPKI(published.pem, 'ES384');
});
afterAll(() => server.close());

const backend = MINTING_CLIENTS.stageBackend;
const verify = (token: string) => jwtVerify(token, verificationKey, { algorithms: ['ES384'] });

describe('IVS participant tokens at the token endpoint', () => {
  it('a configured backend gets a token that verifies with the published key and carries what IVS reads', async () => {
    const response = await mint(server.issuer, backend, IVS_GRANT, { stage_arn: STAGES.main.arn });
    expect(response.status).toBe(200);
    const { access_token: token } = response.body as { access_token: string };
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES384', typ: 'JWT', kid: PUBLIC_KEY_ARN });
    const { payload } = await verify(token);
    expect(payload).toMatchObject({
      resource: STAGES.main.arn,
      topic: 'MainStage01',
      events_url: STAGES.main.eventsUrl,
      whip_url: STAGES.main.whipUrl,
      capabilities: { allow_publish: true, allow_subscribe: true },
      version: '1.0',
    });
    expect(payload.exp! - payload.iat!).toBe(720 * 60);
    expect(payload.jti).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(payload).not.toHaveProperty('user_id');
  });

  it('the response has the RFC 8693 fields and the CreateParticipantToken shape', async () => {
    const response = await mint(server.issuer, backend, IVS_GRANT, {
      stage_arn: STAGES.main.arn, duration: '30', user_id: 'host-7', attributes: JSON.stringify({ seat: 'A1' }), capabilities: 'PUBLISH',
    });
    const body = response.body as Record<string, any>;
    expect(body).toMatchObject({ token_type: 'N_A', issued_token_type: 'urn:ietf:params:oauth:token-type:jwt', expires_in: 1800 });
    const seed = body.participant_token;
    expect(seed).toMatchObject({ token: body.access_token, userId: 'host-7', attributes: { seat: 'A1' }, duration: 30, capabilities: ['PUBLISH'] });
    const { payload } = await verify(body.access_token);
    expect(seed.participantId).toBe(payload.jti);
    expect(Date.parse(seed.expirationTime) / 1000).toBe(payload.exp);
    expect(payload).toMatchObject({ user_id: 'host-7', attributes: { seat: 'A1' }, capabilities: { allow_publish: true } });
    expect(payload.capabilities).not.toHaveProperty('allow_subscribe');
  });

  it('capabilities may be repeated or space-separated', async () => {
    const repeated = await mint(server.issuer, backend, IVS_GRANT, { stage_arn: STAGES.main.arn, capabilities: ['PUBLISH', 'SUBSCRIBE'] });
    const spaced = await mint(server.issuer, backend, IVS_GRANT, { stage_arn: STAGES.main.arn, capabilities: 'SUBSCRIBE PUBLISH' });
    expect((repeated.body as any).participant_token.capabilities).toEqual(['PUBLISH', 'SUBSCRIBE']);
    expect((spaced.body as any).participant_token.capabilities).toEqual(['SUBSCRIBE', 'PUBLISH']);
  });

  it('a stage outside the client\'s policy is refused with access_denied (403)', async () => {
    const response = await mint(server.issuer, backend, IVS_GRANT, { stage_arn: STAGES.backstage.arn });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: 'access_denied' });
    expect(response.body.error_description).toContain(STAGES.backstage.arn);
  });

  it('"*" allows every configured stage, but only the capabilities the client is given', async () => {
    const viewer = MINTING_CLIENTS.viewerBackend;
    const subscribe = await mint(server.issuer, viewer, IVS_GRANT, { stage_arn: STAGES.backstage.arn, capabilities: 'SUBSCRIBE' });
    expect(subscribe.status).toBe(200);
    const publish = await mint(server.issuer, viewer, IVS_GRANT, { stage_arn: STAGES.backstage.arn });
    expect(publish.status).toBe(403);
    expect(publish.body.error_description).toMatch(/PUBLISH/);
  });

  it('a client with no IVS policy can mint nothing', async () => {
    const response = await mint(server.issuer, MINTING_CLIENTS.unconfigured, IVS_GRANT, { stage_arn: STAGES.main.arn, capabilities: 'SUBSCRIBE' });
    expect(response.status).toBe(403);
    expect(response.body.error).toBe('access_denied');
  });

  it('a client limited to some stages learns nothing of others: an unknown stage is access_denied to it, as a known one is', async () => {
    const unknown = await mint(server.issuer, MINTING_CLIENTS.stageBackend, IVS_GRANT, { stage_arn: 'arn:aws:ivs:us-west-2:123456789012:stage/Nowhere' });
    const known = await mint(server.issuer, MINTING_CLIENTS.stageBackend, IVS_GRANT, { stage_arn: STAGES.backstage.arn });
    expect([unknown.status, known.status]).toEqual([403, 403]);
    expect([unknown.body.error, known.body.error]).toEqual(['access_denied', 'access_denied']);
  });

  it('a stage that is not configured answers invalid_target', async () => {
    const response = await mint(server.issuer, MINTING_CLIENTS.viewerBackend, IVS_GRANT, { stage_arn: 'arn:aws:ivs:us-west-2:123456789012:stage/Nowhere', capabilities: 'SUBSCRIBE' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_target');
  });

  it('a client not registered for the grant answers unauthorized_client', async () => {
    const response = await mint(server.issuer, CLIENTS.confidential, IVS_GRANT, { stage_arn: STAGES.main.arn });
    expect(response.body.error).toBe('unauthorized_client');
  });

  it.each([
    ['stage_arn', {}],
    ['stage_arn', { stage_arn: 'arn:aws:ivs:us-west-2:123456789012:channel/abc' }],
    ['stage_arn', { stage_arn: `arn:aws:ivs:us-west-2:123456789012:stage/${'a'.repeat(120)}` }],
    ['stage_arn', { stage_arn: [STAGES.main.arn, STAGES.main.arn] }],
    ['duration', { stage_arn: STAGES.main.arn, duration: '0' }],
    ['duration', { stage_arn: STAGES.main.arn, duration: '20161' }],
    ['duration', { stage_arn: STAGES.main.arn, duration: '1.5' }],
    ['user_id', { stage_arn: STAGES.main.arn, user_id: 'u'.repeat(129) }],
    ['attributes', { stage_arn: STAGES.main.arn, attributes: 'not json' }],
    ['attributes', { stage_arn: STAGES.main.arn, attributes: '{"n": 1}' }],
    ['attributes', { stage_arn: STAGES.main.arn, attributes: JSON.stringify({ big: 'x'.repeat(1100) }) }],
    ['capabilities', { stage_arn: STAGES.main.arn, capabilities: 'ADMIN' }],
  ])('a bad %s answers invalid_request naming it (%j)', async (field, params) => {
    const response = await mint(server.issuer, backend, IVS_GRANT, params as Record<string, string>);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
    expect(response.body.error_description).toContain(field);
  });
});

describe('IVS participant tokens on behalf of a user', () => {
  it('a public client without a subject_token is refused', async () => {
    const response = await mint(server.issuer, CLIENTS.native, IVS_GRANT, { stage_arn: STAGES.main.arn });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_request' });
    expect(response.body.error_description).toContain('subject_token');
  });

  it('with the user\'s access token, the token\'s user is the signed-in user', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'native', 'openid');
    const response = await mint(server.issuer, CLIENTS.native, IVS_GRANT, {
      stage_arn: STAGES.main.arn, subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN_TYPE,
    });
    expect(response.status).toBe(200);
    const { payload } = await verify((response.body as any).access_token);
    expect(payload.user_id).toBe(USERS.alice.sub);
  });

  it('a user_id other than the subject\'s is refused', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'native', 'openid');
    const response = await mint(server.issuer, CLIENTS.native, IVS_GRANT, {
      stage_arn: STAGES.main.arn, user_id: 'someone-else', subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN_TYPE,
    });
    expect(response.status).toBe(403);
  });

  it('an access token issued to another client is refused with invalid_grant', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential', 'openid');
    const response = await mint(server.issuer, CLIENTS.native, IVS_GRANT, {
      stage_arn: STAGES.main.arn, subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN_TYPE,
    });
    expect(response.body.error).toBe('invalid_grant');
  });

  it('a forged subject_token or a wrong subject_token_type is refused', async () => {
    const forged = await mint(server.issuer, CLIENTS.native, IVS_GRANT, { stage_arn: STAGES.main.arn, subject_token: 'forged', subject_token_type: ACCESS_TOKEN_TYPE });
    expect(forged.body.error).toBe('invalid_grant');
    const wrongType = await mint(server.issuer, CLIENTS.native, IVS_GRANT, { stage_arn: STAGES.main.arn, subject_token: 'x', subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' });
    expect(wrongType.body.error).toBe('invalid_request');
    expect(wrongType.body.error_description).toContain('subject_token_type');
  });

  it('a subject_token sent twice is refused rather than one of them picked', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'native', 'openid');
    const response = await mint(server.issuer, CLIENTS.native, IVS_GRANT, {
      stage_arn: STAGES.main.arn, subject_token: [tokens.access_token, tokens.access_token], subject_token_type: ACCESS_TOKEN_TYPE,
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_request', error_description: 'subject_token must be sent once' });
  });

  it('a client_credentials request carrying a minting grant\'s parameters gets a plain access token', async () => {
    const response = await mint(server.issuer, MINTING_CLIENTS.stageBackend, 'client_credentials', { stage_arn: STAGES.main.arn, capabilities: ['PUBLISH', 'SUBSCRIBE'] });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'Bearer' });
    expect(response.body).not.toHaveProperty('participant_token');
  });
});

describe('the IVS public key', () => {
  it('is published as PEM for ImportPublicKey and as a JWK named by the public key ARN', async () => {
    const published = (await (await fetch(`${server.issuer}/ivs/public-key`)).json()) as { pem: string; jwk: Record<string, string>; publicKeyArn: string };
    expect(published.pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(published.jwk).toMatchObject({ kty: 'EC', crv: 'P-384', kid: PUBLIC_KEY_ARN, alg: 'ES384' });
    expect(published.jwk).not.toHaveProperty('d');
    expect(published.publicKeyArn).toBe(PUBLIC_KEY_ARN);
  });
});

describe('a server without IVS configured', () => {
  it('does not offer the grant', async () => {
    const bare = await startStagepass();
    try {
      const response = await mint(bare.issuer, CLIENTS.confidential, IVS_GRANT, { stage_arn: STAGES.main.arn });
      expect(response.body.error).toBe('unsupported_grant_type');
      expect((await fetch(`${bare.issuer}/ivs/public-key`)).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
