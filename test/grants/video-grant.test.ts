import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { verifySignature } from '@vonage/jwt';
import jwt from 'jsonwebtoken';
import OpenTok from 'opentok';
import { decodeToken, verifyTokenSignature } from 'opentok-token/helpers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authorizationCodeTokens } from '../support/flows.js';
import {
  ACCESS_TOKEN_TYPE, mint, mintingNativeClient, VIDEO_APPLICATION_ID, VIDEO_CLIENTS, VIDEO_GRANT, VIDEO_PROJECT,
} from '../support/minters.js';
import { basicAuth, postForm } from '../support/relying-party.js';
import { CLIENTS, startStagepass, type RunningStagepass } from '../support/stagepass.js';

const applicationKeys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

/** The video section with Vonage application credentials written where the server reads them. */
function videoConfig(keysDir: string, tokenFormat: 'jwt' | 't1' | 'vonage' = 'jwt') {
  const privateKeyFile = join(keysDir, 'vonage-application.pem');
  writeFileSync(privateKeyFile, applicationKeys.privateKey);
  return { ...VIDEO_PROJECT, tokenFormat, applicationId: VIDEO_APPLICATION_ID, privateKeyFile };
}

const backend = VIDEO_CLIENTS.backend;
const nowSeconds = () => Math.floor(Date.now() / 1000);

function createSession(issuer: string, client: { client_id: string; client_secret: string }, fields: Record<string, string> = {}) {
  return postForm(`${issuer}/video/sessions`, fields, basicAuth(client.client_id, client.client_secret));
}

let server: RunningStagepass;
let sessionId: string;

beforeAll(async () => {
  server = await startStagepass({
    config: (keysDir) => ({
      video: videoConfig(keysDir),
      clients: [
        CLIENTS.confidential,
        mintingNativeClient([VIDEO_GRANT], { video_roles: ['publisher'] }),
        ...Object.values(VIDEO_CLIENTS),
      ],
    }),
  });
  const created = await createSession(server.issuer, backend);
  sessionId = (created.body as { session_id: string }).session_id;
});
afterAll(() => server.close());

describe('video sessions', () => {
  it('are ids the opentok SDK accepts as belonging to the configured API key', async () => {
    const response = await createSession(server.issuer, backend);
    expect(response.status).toBe(200);
    const { session_id: id } = response.body as { session_id: string };
    expect(() => new OpenTok(VIDEO_PROJECT.apiKey, VIDEO_PROJECT.apiSecret).generateToken(id)).not.toThrow();
    expect(() => new OpenTok('47521352', VIDEO_PROJECT.apiSecret).generateToken(id)).toThrow(/session belongs to the API Key/);
  });

  it('may be created with a location hint and as relayed, and each id is new', async () => {
    const first = await createSession(server.issuer, backend, { location: '192.0.2.10', media_mode: 'relayed' });
    const second = await createSession(server.issuer, backend, { location: '192.0.2.10', media_mode: 'relayed' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ media_mode: 'relayed' });
    expect(first.body.session_id).not.toBe(second.body.session_id);
    expect(() => new OpenTok(VIDEO_PROJECT.apiKey, VIDEO_PROJECT.apiSecret).generateToken(first.body.session_id as string)).not.toThrow();
  });

  it('may be created with no body at all', async () => {
    const response = await fetch(`${server.issuer}/video/sessions`, { method: 'POST', headers: basicAuth(backend.client_id, backend.client_secret) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { session_id: string }).session_id).toMatch(/^1_[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['no credentials', undefined, 401, 'invalid_client'],
    ['a wrong secret', basicAuth(backend.client_id, 'not-the-secret'), 401, 'invalid_client'],
    ['an unknown client', basicAuth('nobody', 'whatever'), 401, 'invalid_client'],
    ['a client not registered for video tokens', basicAuth(CLIENTS.confidential.client_id, CLIENTS.confidential.client_secret!), 403, 'unauthorized_client'],
  ])('refuse %s', async (_, headers, status, error) => {
    const response = await postForm(`${server.issuer}/video/sessions`, {}, headers ?? {});
    expect(response.status).toBe(status);
    expect(response.body.error).toBe(error);
  });

  it.each([
    ['location', { location: 'example.com' }],
    ['location', { location: '2001:db8::1' }],
    ['media_mode', { media_mode: 'p2p' }],
    ['archive_mode', { archive_mode: 'always' }],
  ])('answer a bad %s with invalid_request naming it (%j)', async (field, fields) => {
    const response = await createSession(server.issuer, backend, fields);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
    expect(response.body.error_description).toContain(field);
  });

  it('refuse a field sent twice and a body that is not a form', async () => {
    const twice = await postForm(`${server.issuer}/video/sessions`, { media_mode: ['routed', 'relayed'] }, basicAuth(backend.client_id, backend.client_secret));
    expect(twice.status).toBe(400);
    expect(twice.body.error_description).toContain('media_mode');
    const json = await fetch(`${server.issuer}/video/sessions`, {
      method: 'POST',
      headers: { ...basicAuth(backend.client_id, backend.client_secret), 'content-type': 'application/json' },
      body: '{"media_mode":"routed"}',
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
  });
});

describe('video tokens at the token endpoint', () => {
  it('the layout class list may be repeated as well as space-separated', async () => {
    const response = await mint(server.issuer, backend, VIDEO_GRANT, { session_id: sessionId, initial_layout_class_list: ['focus', 'full wide'] });
    expect(response.status).toBe(200);
    const claims = jwt.verify(response.body.access_token as string, VIDEO_PROJECT.apiSecret, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims.initial_layout_class_list).toBe('focus full wide');
  });

  it('a JWT token verifies with jsonwebtoken and the API secret, with the claims opentok-node makes', async () => {
    const before = nowSeconds();
    const response = await mint(server.issuer, backend, VIDEO_GRANT, {
      session_id: sessionId, role: 'moderator', connection_data: 'name=Ada', initial_layout_class_list: 'focus full',
    });
    expect(response.status).toBe(200);
    const token = response.body.access_token as string;
    const claims = jwt.verify(token, VIDEO_PROJECT.apiSecret, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({
      iss: VIDEO_PROJECT.apiKey,
      ist: 'project',
      session_id: sessionId,
      role: 'moderator',
      connection_data: 'name=Ada',
      initial_layout_class_list: 'focus full',
      scope: 'session.connect',
    });
    expect(claims.exp).toBe(claims.expire_time);
    expect(claims.exp! - claims.iat!).toBe(24 * 3600);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(() => jwt.verify(token, `${VIDEO_PROJECT.apiSecret}x`)).toThrow(/invalid signature/);
  });

  it('the response has the RFC 8693 fields and the video_token object', async () => {
    const expireTime = nowSeconds() + 3600;
    const response = await mint(server.issuer, backend, VIDEO_GRANT, { session_id: sessionId, role: 'subscriber', expire_time: String(expireTime) });
    const body = response.body as Record<string, any>;
    expect(body).toMatchObject({ token_type: 'N_A', issued_token_type: 'urn:ietf:params:oauth:token-type:jwt' });
    expect(body.expires_in).toBeGreaterThan(3590);
    expect(body.expires_in).toBeLessThanOrEqual(3600);
    expect(body.video_token).toEqual({ token: body.access_token, sessionId, role: 'subscriber', expireTime, connectionData: '' });
  });

  it('a T1 token passes opentok-token signature verification and decodes to the request', async () => {
    const response = await mint(server.issuer, backend, VIDEO_GRANT, {
      session_id: sessionId, token_format: 't1', role: 'publisher', connection_data: 'seat=12 & row=3',
    });
    expect(response.status).toBe(200);
    const token = response.body.access_token as string;
    expect(token.startsWith('T1==')).toBe(true);
    expect(response.body.issued_token_type).toBe('urn:stagepass:token-type:opentok-t1');
    expect(verifyTokenSignature(token, VIDEO_PROJECT.apiSecret)).toBe(true);
    expect(verifyTokenSignature(token, `${VIDEO_PROJECT.apiSecret}x`)).toBe(false);
    expect(decodeToken(token)).toMatchObject({
      partner_id: VIDEO_PROJECT.apiKey, session_id: sessionId, role: 'publisher', connection_data: 'seat=12 & row=3', scope: 'session.connect',
    });
  });

  it('a vonage token for a session of the application verifies with @vonage/jwt and the application key', async () => {
    const vonageServer = await startStagepass({
      config: (keysDir) => ({ video: videoConfig(keysDir, 'vonage'), clients: [backend] }),
    });
    try {
      const created = await createSession(vonageServer.issuer, backend);
      const appSession = created.body.session_id as string;
      // opentok-node holding application credentials accepts only sessions of that application.
      expect(() => new OpenTok(VIDEO_APPLICATION_ID, applicationKeys.privateKey).generateToken(appSession)).not.toThrow();
      const response = await mint(vonageServer.issuer, backend, VIDEO_GRANT, { session_id: appSession, role: 'subscriber' });
      expect(response.status).toBe(200);
      const token = response.body.access_token as string;
      expect(verifySignature(token, applicationKeys.publicKey)).toBe(true);
      expect(jwt.decode(token)).toMatchObject({ application_id: VIDEO_APPLICATION_ID, session_id: appSession, role: 'subscriber', sub: 'video' });
      // The project's sessions are not the application's.
      const projectSession = await mint(vonageServer.issuer, backend, VIDEO_GRANT, { session_id: sessionId });
      expect(projectSession.body.error).toBe('invalid_target');
    } finally {
      await vonageServer.close();
    }
  });

  it('a session of another API key answers invalid_target', async () => {
    const foreign = `1_${Buffer.from('1~99999999~~1767225600000~abcdefghijklmnopqrstuvwx~~~').toString('base64url')}`;
    expect(() => new OpenTok('99999999', VIDEO_PROJECT.apiSecret).generateToken(foreign)).not.toThrow();
    const response = await mint(server.issuer, backend, VIDEO_GRANT, { session_id: foreign });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_target');
  });

  it('a session id that decodes to nothing answers invalid_target', async () => {
    const response = await mint(server.issuer, backend, VIDEO_GRANT, { session_id: 'not-a-session' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_target');
  });

  it('a session of the application, asked for as a project token, answers invalid_target', async () => {
    const appSession = `1_${Buffer.from(`1~${VIDEO_APPLICATION_ID}~~1767225600000~abcdefghijklmnopqrstuvwx~~~`).toString('base64url')}`;
    const response = await mint(server.issuer, backend, VIDEO_GRANT, { session_id: appSession, token_format: 'jwt' });
    expect(response.body.error).toBe('invalid_target');
    const asApplication = await mint(server.issuer, backend, VIDEO_GRANT, { session_id: appSession, token_format: 'vonage' });
    expect(asApplication.status).toBe(200);
  });

  it('a role outside the client\'s video_roles is refused with access_denied (403)', async () => {
    const response = await mint(server.issuer, VIDEO_CLIENTS.viewer, VIDEO_GRANT, { session_id: sessionId });
    expect(response.status).toBe(403);
    expect(response.body.error).toBe('access_denied');
    expect(response.body.error_description).toContain('publisher');
    const allowed = await mint(server.issuer, VIDEO_CLIENTS.viewer, VIDEO_GRANT, { session_id: sessionId, role: 'subscriber' });
    expect(allowed.status).toBe(200);
  });

  it('a client with no video policy can mint nothing', async () => {
    const response = await mint(server.issuer, VIDEO_CLIENTS.unconfigured, VIDEO_GRANT, { session_id: sessionId, role: 'subscriber' });
    expect(response.status).toBe(403);
    expect(response.body.error).toBe('access_denied');
  });

  it('a client not registered for the grant answers unauthorized_client', async () => {
    const response = await mint(server.issuer, CLIENTS.confidential, VIDEO_GRANT, { session_id: sessionId });
    expect(response.body.error).toBe('unauthorized_client');
  });

  it.each([
    ['session_id', () => ({})],
    ['session_id', () => ({ session_id: [sessionId, sessionId] })],
    ['role', () => ({ session_id: sessionId, role: 'admin' })],
    ['connection_data', () => ({ session_id: sessionId, connection_data: 'x'.repeat(1001) })],
    ['expire_time', () => ({ session_id: sessionId, expire_time: String(nowSeconds() - 10) })],
    ['expire_time', () => ({ session_id: sessionId, expire_time: String(nowSeconds() + 31 * 86_400) })],
    ['expire_time', () => ({ session_id: sessionId, expire_time: 'tomorrow' })],
    ['initial_layout_class_list', () => ({ session_id: sessionId, initial_layout_class_list: 'c '.repeat(501) })],
    ['token_format', () => ({ session_id: sessionId, token_format: 'jws' })],
  ])('a bad %s answers invalid_request naming it', async (field, params) => {
    const response = await mint(server.issuer, backend, VIDEO_GRANT, params() as Record<string, string>);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
    expect(response.body.error_description).toContain(field);
  });
});

describe('video tokens on behalf of a user', () => {
  it('a public client without a subject_token is refused', async () => {
    const response = await mint(server.issuer, CLIENTS.native, VIDEO_GRANT, { session_id: sessionId });
    expect(response.status).toBe(400);
    expect(response.body.error_description).toContain('subject_token');
  });

  it('a public client with its user\'s access token gets a token it is allowed', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'native', 'openid');
    const response = await mint(server.issuer, CLIENTS.native, VIDEO_GRANT, {
      session_id: sessionId, subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN_TYPE,
    });
    expect(response.status).toBe(200);
    expect(jwt.verify(response.body.access_token as string, VIDEO_PROJECT.apiSecret)).toMatchObject({ role: 'publisher' });
  });
});

describe('a server without video configured', () => {
  it('does not offer the grant nor the sessions route', async () => {
    const bare = await startStagepass();
    try {
      const response = await mint(bare.issuer, CLIENTS.confidential, VIDEO_GRANT, { session_id: 'x' });
      expect(response.body.error).toBe('unsupported_grant_type');
      expect((await createSession(bare.issuer, { client_id: CLIENTS.confidential.client_id, client_secret: CLIENTS.confidential.client_secret! })).status).toBe(404);
    } finally {
      await bare.close();
    }
  });

  it('a vonage token_format without application credentials answers invalid_request', async () => {
    const projectOnly = await startStagepass({ config: { video: VIDEO_PROJECT, clients: [backend] } });
    try {
      const created = await createSession(projectOnly.issuer, backend);
      const response = await mint(projectOnly.issuer, backend, VIDEO_GRANT, { session_id: created.body.session_id as string, token_format: 'vonage' });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_request');
      expect(response.body.error_description).toContain('applicationId');
    } finally {
      await projectOnly.close();
    }
  });
});
