import { createPrivateKey, generateKeyPairSync } from 'node:crypto';

import { verifySignature } from '@vonage/jwt';
import jwt from 'jsonwebtoken';
import OpenTok from 'opentok';
import { decodeToken, verifyTokenSignature } from 'opentok-token/helpers.js';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { encodeVideoSessionId } from '../../src/grants/video/session-id.js';
import {
  encodeJwtVideoToken,
  encodeT1VideoToken,
  encodeVonageApplicationVideoToken,
  newNonce,
  type VideoTokenClaims,
} from '../../src/grants/video/video-token.js';

const ISSUED_AT = 1_767_225_600; // 2026-01-01T00:00:00Z
const project = { apiKey: '47521351', apiSecret: '0123456789abcdef0123456789abcdef01234567' };
const SESSION_ID = encodeVideoSessionId({ apiKey: project.apiKey, createdAt: new Date(ISSUED_AT * 1000), mediaMode: 'routed' });

const claims: VideoTokenClaims = {
  sessionId: SESSION_ID,
  role: 'moderator',
  issuedAt: ISSUED_AT,
  expireTime: ISSUED_AT + 3600,
  connectionData: '{"name":"Zoë & co","seat":"12:3"}',
  initialLayoutClassList: ['focus', 'full'],
  nonce: 0.8722436118303933,
};

/** The same request as opentok-node's generateToken options. */
const openTokOptions = {
  role: claims.role,
  data: claims.connectionData,
  expireTime: claims.expireTime,
  initialLayoutClassList: claims.initialLayoutClassList,
};

/** Runs `make` with opentok-node's clock at ISSUED_AT and its Math.random() returning our nonce. */
function asOpenTokAtIssuedAt<T>(make: () => T): T {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(ISSUED_AT * 1000);
  vi.spyOn(Math, 'random').mockReturnValue(claims.nonce ?? 0);
  return make();
}

/** Claim names in order, each with the JSON type of its value. */
function shapeOf(payload: object): [string, string][] {
  return Object.entries(payload).map(([name, value]) => [name, Array.isArray(value) ? 'array' : typeof value]);
}

function decodedJwt(token: string): { header: object; payload: jwt.JwtPayload } {
  const decoded = jwt.decode(token, { complete: true });
  if (decoded === null || typeof decoded.payload === 'string') throw new Error('not a JWT with a JSON payload');
  return { header: decoded.header, payload: decoded.payload };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('legacy T1 video token', () => {
  it("decodes, with opentok-token's own decoder, to the fields it was given", () => {
    expect(decodeToken(encodeT1VideoToken(claims, project))).toStrictEqual({
      partner_id: project.apiKey,
      sig: expect.stringMatching(/^[0-9a-f]{40}$/),
      session_id: SESSION_ID,
      create_time: String(ISSUED_AT),
      nonce: '0.8722436118303933',
      role: 'moderator',
      expire_time: String(ISSUED_AT + 3600),
      connection_data: '{"name":"Zoë & co","seat":"12:3"}',
      initial_layout_class_list: 'focus full',
      scope: 'session.connect',
    });
  });

  it('passes opentok-token signature verification with the API secret', () => {
    expect(verifyTokenSignature(encodeT1VideoToken(claims, project), project.apiSecret)).toBe(true);
  });

  it('fails signature verification with another secret', () => {
    expect(verifyTokenSignature(encodeT1VideoToken(claims, project), `${project.apiSecret}x`)).toBe(false);
  });

  it('fails signature verification once one character of its data is changed', () => {
    const decoded = Buffer.from(encodeT1VideoToken(claims, project).slice(4), 'base64').toString('ascii');
    const tampered = decoded.replace('role=moderator', 'role=moderatos');
    expect(tampered).not.toBe(decoded);
    expect(verifyTokenSignature(`T1==${Buffer.from(tampered, 'ascii').toString('base64')}`, project.apiSecret)).toBe(false);
  });

  it('is the very token opentok-node makes for the same request, clock and nonce', () => {
    const theirs = asOpenTokAtIssuedAt(() => new OpenTok(project.apiKey, project.apiSecret).generateToken(SESSION_ID, openTokOptions, true));
    expect(encodeT1VideoToken(claims, project)).toBe(theirs);
  });

  it('leaves empty connection data out, as opentok-node does', () => {
    expect(decodeToken(encodeT1VideoToken({ ...claims, connectionData: '' }, project))).not.toHaveProperty('connection_data');
  });

  it('draws a fresh nonce when none is given', () => {
    const { nonce: _, ...withoutNonce } = claims;
    const first = decodeToken(encodeT1VideoToken(withoutNonce, project)).nonce;
    const second = decodeToken(encodeT1VideoToken(withoutNonce, project)).nonce;
    expect(Number(first)).toBeGreaterThanOrEqual(0);
    expect(first).not.toBe(second);
  });

  it('cannot be made for an API key that would need escaping', () => {
    expect(() => encodeT1VideoToken(claims, { ...project, apiKey: '4752&sig=0' })).toThrow(/apiKey/);
  });
});

describe('JWT video token', () => {
  it('verifies with jsonwebtoken and the API secret, carrying every claim', async () => {
    const payload = jwt.verify(await encodeJwtVideoToken(claims, project), project.apiSecret, {
      algorithms: ['HS256'],
      clockTimestamp: ISSUED_AT + 60,
    });
    expect(payload).toStrictEqual({
      iss: project.apiKey,
      ist: 'project',
      iat: ISSUED_AT,
      exp: ISSUED_AT + 3600,
      session_id: SESSION_ID,
      create_time: ISSUED_AT,
      nonce: 0.8722436118303933,
      role: 'moderator',
      expire_time: ISSUED_AT + 3600,
      connection_data: '{"name":"Zoë & co","seat":"12:3"}',
      initial_layout_class_list: 'focus full',
      scope: 'session.connect',
    });
  });

  it('fails jsonwebtoken verification with another secret', async () => {
    const token = await encodeJwtVideoToken(claims, project);
    expect(() => jwt.verify(token, `${project.apiSecret}x`, { clockTimestamp: ISSUED_AT + 60 })).toThrow(/invalid signature/);
  });

  it("has opentok-node's header and claim names, in its order and of its types", async () => {
    const now = Math.floor(Date.now() / 1000);
    const live = { ...openTokOptions, expireTime: now + 3600 };
    const theirs = decodedJwt(new OpenTok(project.apiKey, project.apiSecret).generateToken(SESSION_ID, live));
    const { nonce: _, ...withoutNonce } = claims;
    const ours = decodedJwt(await encodeJwtVideoToken({ ...withoutNonce, issuedAt: now, expireTime: now + 3600 }, project));
    expect(ours.header).toStrictEqual(theirs.header);
    expect(shapeOf(ours.payload)).toStrictEqual(shapeOf(theirs.payload));
  });

  it('is the very token opentok-node makes for the same request, clock and nonce', async () => {
    const theirs = asOpenTokAtIssuedAt(() => new OpenTok(project.apiKey, project.apiSecret).generateToken(SESSION_ID, openTokOptions));
    expect(await encodeJwtVideoToken(claims, project)).toBe(theirs);
  });

  it('leaves empty connection data out, as opentok-node does', async () => {
    const token = await encodeJwtVideoToken({ ...claims, connectionData: '' }, project);
    expect(decodedJwt(token).payload).not.toHaveProperty('connection_data');
  });
});

describe('Vonage application video token', () => {
  const applicationId = '4f1a9c2e-7b3d-4e5f-8a6b-9c0d1e2f3a4b';
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const application = { applicationId, privateKey: keys.privateKey };
  const now = Math.floor(Date.now() / 1000);
  const live: VideoTokenClaims = { ...claims, issuedAt: now, expireTime: now + 3600 };

  it("passes @vonage/jwt's verifySignature with the application's public key", async () => {
    expect(verifySignature(await encodeVonageApplicationVideoToken(live, application), keys.publicKey)).toBe(true);
  });

  it("fails @vonage/jwt's verifySignature with another application's key", async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(verifySignature(await encodeVonageApplicationVideoToken(live, application), other)).toBe(false);
  });

  it('is signed the same from a key object as from its PEM text', async () => {
    const fromKeyObject = { applicationId, privateKey: createPrivateKey(keys.privateKey) };
    expect(verifySignature(await encodeVonageApplicationVideoToken(live, fromKeyObject), keys.publicKey)).toBe(true);
  });

  it('carries the application, scope, session, role, layout, data, subject and ACL', async () => {
    const { payload } = decodedJwt(await encodeVonageApplicationVideoToken(live, application));
    expect(payload).toStrictEqual({
      scope: 'session.connect',
      session_id: SESSION_ID,
      role: 'moderator',
      initial_layout_class_list: 'focus full',
      exp: now + 3600,
      sub: 'video',
      acl: { paths: { '/session/**': {} } },
      connection_data: '{"name":"Zoë & co","seat":"12:3"}',
      jti: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      iat: now,
      application_id: applicationId,
    });
  });

  it('has a jti of its own each time', async () => {
    const first = decodedJwt(await encodeVonageApplicationVideoToken(live, application)).payload.jti;
    const second = decodedJwt(await encodeVonageApplicationVideoToken(live, application)).payload.jti;
    expect(first).not.toBe(second);
  });

  it("has opentok-node's header and claim names, in its order and of its types, for application credentials", async () => {
    const openTok = new OpenTok(applicationId, keys.privateKey);
    const theirs = decodedJwt(openTok.generateToken(SESSION_ID, { ...openTokOptions, expire_time: live.expireTime }));
    const ours = decodedJwt(await encodeVonageApplicationVideoToken(live, application));
    expect(ours.header).toStrictEqual(theirs.header);
    expect(shapeOf(ours.payload)).toStrictEqual(shapeOf(theirs.payload));
    expect(ours.payload).toMatchObject({ ...theirs.payload, jti: expect.any(String), iat: expect.any(Number) });
  });
});

describe('video token nonce', () => {
  it('is a fraction from 0 up to 1 that differs between draws', () => {
    const nonces = Array.from({ length: 100 }, newNonce);
    expect(nonces.every((n) => n >= 0 && n < 1)).toBe(true);
    expect(new Set(nonces).size).toBe(100);
  });
});
