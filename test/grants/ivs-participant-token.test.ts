import { generateKeyPairSync } from 'node:crypto';

import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';

import {
  encodeIvsParticipantToken,
  newParticipantId,
  stageIdOf,
  type IvsParticipantClaims,
} from '../../src/grants/ivs/participant-token.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const PUBLIC_KEY_ARN = 'arn:aws:ivs:us-west-2:123456789012:public-key/AbCdEfGh1234';
const key = { privateKey, publicKeyArn: PUBLIC_KEY_ARN };

const ISSUED_AT = 1_767_225_600; // 2026-01-01T00:00:00Z
const ONE_MINUTE_LATER = new Date((ISSUED_AT + 60) * 1000);

const claims: IvsParticipantClaims = {
  participantId: 'aBcDeFgH1234',
  stageArn: 'arn:aws:ivs:us-west-2:123456789012:stage/Stage0123abc',
  eventsUrl: 'wss://global.events.live-video.net',
  whipUrl: 'https://a1b2c3d4e5f6.global-bm.whip.live-video.net',
  capabilities: ['PUBLISH', 'SUBSCRIBE'],
  issuedAt: ISSUED_AT,
  durationMinutes: 720,
};

async function verify(token: string, at = ONE_MINUTE_LATER) {
  return jwtVerify(token, publicKey, { algorithms: ['ES384'], currentDate: at });
}

describe('IVS participant token', () => {
  it('carries exactly the header IVS reads: ES384, JWT and the public key ARN as kid', async () => {
    const token = await encodeIvsParticipantToken(claims, key);
    expect(decodeProtectedHeader(token)).toStrictEqual({ alg: 'ES384', typ: 'JWT', kid: PUBLIC_KEY_ARN });
  });

  it('verifies with the matching public key and carries every claim IVS reads', async () => {
    const { payload } = await verify(await encodeIvsParticipantToken(claims, key));
    expect(payload).toStrictEqual({
      exp: ISSUED_AT + 720 * 60,
      iat: ISSUED_AT,
      jti: 'aBcDeFgH1234',
      resource: claims.stageArn,
      topic: 'Stage0123abc',
      events_url: claims.eventsUrl,
      whip_url: claims.whipUrl,
      capabilities: { allow_publish: true, allow_subscribe: true },
      version: '1.0',
    });
  });

  it('lasts exactly the requested number of minutes', async () => {
    const { payload } = await verify(await encodeIvsParticipantToken({ ...claims, durationMinutes: 20160 }, key));
    expect(payload.exp! - payload.iat!).toBe(20160 * 60);
  });

  it('carries user_id and attributes when they are given', async () => {
    const attributes = { displayName: 'Zoë', seat: '12' };
    const { payload } = await verify(await encodeIvsParticipantToken({ ...claims, userId: 'user-42', attributes }, key));
    expect(payload.user_id).toBe('user-42');
    expect(payload.attributes).toStrictEqual(attributes);
  });

  it('leaves out user_id and attributes when they are not given', async () => {
    const { payload } = await verify(await encodeIvsParticipantToken(claims, key));
    expect(payload).not.toHaveProperty('user_id');
    expect(payload).not.toHaveProperty('attributes');
  });

  it('lists only publishing for a publish-only participant', async () => {
    const { payload } = await verify(await encodeIvsParticipantToken({ ...claims, capabilities: ['PUBLISH'] }, key));
    expect(payload.capabilities).toStrictEqual({ allow_publish: true });
  });

  it('lists only subscribing for a subscribe-only participant', async () => {
    const { payload } = await verify(await encodeIvsParticipantToken({ ...claims, capabilities: ['SUBSCRIBE'] }, key));
    expect(payload.capabilities).toStrictEqual({ allow_subscribe: true });
  });

  it('lists no capability when none is granted', async () => {
    const { payload } = await verify(await encodeIvsParticipantToken({ ...claims, capabilities: [] }, key));
    expect(payload.capabilities).toStrictEqual({});
  });

  it('is signed with a 96-byte r‖s signature, as JOSE requires for P-384', async () => {
    const token = await encodeIvsParticipantToken(claims, key);
    const signature = Buffer.from(token.split('.')[2]!, 'base64url');
    expect(signature).toHaveLength(96);
  });

  it('fails verification once tampered with', async () => {
    const token = await encodeIvsParticipantToken({ ...claims, capabilities: ['SUBSCRIBE'] }, key);
    const [header, payload, signature] = token.split('.');
    const granted = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...granted, capabilities: { allow_publish: true, allow_subscribe: true } })).toString('base64url');
    await expect(verify(`${header}.${forged}.${signature}`)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  it('fails verification against another key', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const token = await encodeIvsParticipantToken(claims, { ...key, privateKey: other.privateKey });
    await expect(verify(token)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  it('is refused once its duration has passed', async () => {
    const token = await encodeIvsParticipantToken({ ...claims, durationMinutes: 1 }, key);
    await expect(verify(token, new Date((ISSUED_AT + 61) * 1000))).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });

  it('refuses an issue time with a fraction of a second', async () => {
    await expect(encodeIvsParticipantToken({ ...claims, issuedAt: ISSUED_AT + 0.5 }, key)).rejects.toThrow(/issuedAt/);
  });

  it('refuses a participant id IVS would not accept', async () => {
    await expect(encodeIvsParticipantToken({ ...claims, participantId: 'has space' }, key)).rejects.toThrow(/participantId/);
  });
});

describe('stage id', () => {
  it('is the last segment of the stage ARN', () => {
    expect(stageIdOf('arn:aws:ivs:eu-west-1:123456789012:stage/Xy12-ab')).toBe('Xy12-ab');
  });

  it('cannot be taken from an ARN that is not a stage', () => {
    expect(() => stageIdOf('arn:aws:ivs:eu-west-1:123456789012:channel/abc')).toThrow(/not an IVS stage ARN/);
  });
});

describe('participant id', () => {
  it('is 12 alphanumeric characters, like those IVS issues', () => {
    expect(newParticipantId()).toMatch(/^[A-Za-z0-9]{12}$/);
  });

  it('differs from one participant to the next', () => {
    const ids = new Set(Array.from({ length: 1000 }, newParticipantId));
    expect(ids.size).toBe(1000);
  });

  it('draws on the whole alphanumeric alphabet', () => {
    const seen = new Set(Array.from({ length: 500 }, newParticipantId).join(''));
    expect(seen.size).toBe(62);
  });
});
