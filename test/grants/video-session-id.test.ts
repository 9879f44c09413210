import OpenTok from 'opentok';
import { describe, expect, it } from 'vitest';

import { canonicalVideoSessionId, encodeVideoSessionId, videoSessionApiKey } from '../../src/grants/video/session-id.js';

const API_KEY = '47521351';
const API_SECRET = '0123456789abcdef0123456789abcdef01234567';
const CREATED_AT = new Date('2026-01-01T00:00:00Z');
/** A session id Vonage issued in June 2024 for API key 47521351, as published in public sample code. */
const ISSUED_BY_VONAGE = '1_MX40NzUyMTM1MX5-MTcxODM1OTEyMzUyNH5oaUhWbUx4TXJQdldMY2tmRGJ1bFB3a2Z-fn4';
/** The session id in opentok-token's own tests, an older layout, for API key 123456. */
const OPENTOK_TOKEN_FIXTURE = '1_MX4xMjM0NTZ-flNhdCBNYXIgMTUgMTQ6NDI6MjMgUERUIDIwMTR-MC40OTAxMzAyNX4';
const RANDOM_FIELD = /^[A-Za-z0-9+/]{24}$/;

const routed = encodeVideoSessionId({ apiKey: API_KEY, createdAt: CREATED_AT, mediaMode: 'routed' });

/** The payload split as opentok-node's decodeSessionId splits it. */
function fieldsOf(sessionId: string): string[] {
  return Buffer.from(sessionId.slice(2).replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('ascii').split('~');
}

describe('video session id', () => {
  it('lets opentok-node mint a token for the API key it names', () => {
    const token = new OpenTok(API_KEY, API_SECRET).generateToken(routed);
    expect(typeof token).toBe('string');
    expect(token.length).toBeGreaterThan(0);
  });

  it('lets opentok-node mint a legacy T1 token for it as well', () => {
    expect(new OpenTok(API_KEY, API_SECRET).generateToken(routed, {}, true)).toMatch(/^T1==[A-Za-z0-9+/]+=*$/);
  });

  it('is refused by opentok-node holding another API key', () => {
    expect(() => new OpenTok('47521352', API_SECRET).generateToken(routed)).toThrow(/session belongs to the API Key/);
  });

  it('carries the same fields as an id Vonage issues', () => {
    expect(fieldsOf(ISSUED_BY_VONAGE)).toStrictEqual(['1', '47521351', '', '1718359123524', expect.stringMatching(RANDOM_FIELD), '', '', '']);
    expect(fieldsOf(routed)).toStrictEqual(['1', API_KEY, '', String(CREATED_AT.getTime()), expect.stringMatching(RANDOM_FIELD), '', '', '']);
  });

  it('marks a relayed session with P after the random field', () => {
    const relayed = encodeVideoSessionId({ apiKey: API_KEY, createdAt: CREATED_AT, mediaMode: 'relayed' });
    expect(fieldsOf(relayed)[5]).toBe('P');
  });

  it('carries the location hint in the third field', () => {
    const located = encodeVideoSessionId({ apiKey: API_KEY, location: '10.1.2.3', createdAt: CREATED_AT, mediaMode: 'routed' });
    expect(fieldsOf(located)[2]).toBe('10.1.2.3');
  });

  it('is written with URL-safe characters only, without padding', () => {
    for (let i = 0; i < 50; i += 1) {
      expect(encodeVideoSessionId({ apiKey: API_KEY, createdAt: CREATED_AT, mediaMode: 'relayed' })).toMatch(/^1_[A-Za-z0-9_-]+$/);
    }
  });

  it('differs between two sessions created in the same millisecond', () => {
    const other = encodeVideoSessionId({ apiKey: API_KEY, createdAt: CREATED_AT, mediaMode: 'routed' });
    expect(other).not.toBe(routed);
  });

  it.each([
    ['an empty API key', { apiKey: '' }, /apiKey/],
    ['an API key containing "~"', { apiKey: '47~52' }, /apiKey/],
    ['an API key outside printable ASCII', { apiKey: '4752é' }, /apiKey/],
    ['a location that is not IPv4', { location: 'eu-west' }, /location/],
    ['an invalid creation date', { createdAt: new Date(Number.NaN) }, /createdAt/],
  ])('cannot be built from %s', (_, change, message) => {
    const input = { apiKey: API_KEY, createdAt: CREATED_AT, mediaMode: 'routed' as const, ...change };
    expect(() => encodeVideoSessionId(input)).toThrow(message);
  });
});

describe('API key of a video session id', () => {
  it('is the key the id was built for', () => {
    for (const mediaMode of ['routed', 'relayed'] as const) {
      expect(videoSessionApiKey(encodeVideoSessionId({ apiKey: API_KEY, location: '10.1.2.3', createdAt: CREATED_AT, mediaMode }))).toBe(API_KEY);
    }
  });

  it('is read from ids Vonage issued, in the current and the older layout', () => {
    expect(videoSessionApiKey(ISSUED_BY_VONAGE)).toBe('47521351');
    expect(videoSessionApiKey(OPENTOK_TOKEN_FIXTURE)).toBe('123456');
  });

  it('is always the key opentok-node reads, whatever the key length does to the base64 alignment', () => {
    for (const apiKey of ['1', '12', '123', '1234', '12345', '123456', '1234567', '47521351', '1234567890']) {
      const sessionId = encodeVideoSessionId({ apiKey, createdAt: CREATED_AT, mediaMode: 'routed' });
      expect(videoSessionApiKey(sessionId)).toBe(apiKey);
      expect(new OpenTok(apiKey, API_SECRET).generateToken(sessionId, {}, true)).toMatch(/^T1==/);
    }
  });

  const base64url = (text: string) => Buffer.from(text, 'latin1').toString('base64url');

  it.each([
    ['an empty string', ''],
    ['a bare prefix', '1_'],
    ['a bare "2_" prefix', '2_'],
    ['punctuation after the prefix', '2_!!!'],
    ['unicode text', '🎥 セッション ñ'],
    ['a lone surrogate', '1_\uD800'],
    ['an id without its prefix', ISSUED_BY_VONAGE.slice(2)],
    ['a letter for a prefix', `a_${ISSUED_BY_VONAGE.slice(2)}`],
    ['standard base64 characters', ISSUED_BY_VONAGE.replace(/-/g, '+')],
    ['base64 padding', `1_${base64url('1~47521351~~a')}==`],
    ['a length no base64 has', `1_${base64url('1~47521351~~')}A`],
    ['a payload with a non-ASCII byte', `1_${base64url('1~4752\u00b1351~~')}`],
    ['a payload with a control character', `1_${base64url('1~4752\n1351~~')}`],
    ['layout version 2', `1_${base64url('2~47521351~~')}`],
    ['an empty API key field', `1_${base64url('1~~~')}`],
    ['no separator after the API key', `1_${base64url('1~47521351')}`],
    ['a payload without separators', `1_${base64url('hello world')}`],
  ])('is undefined for %s', (_, sessionId) => {
    expect(videoSessionApiKey(sessionId)).toBeUndefined();
  });

  it('is undefined, never an exception, for arbitrary strings', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 2000; i += 1) {
      const length = Math.floor(random() * 80);
      const text = String.fromCharCode(...Array.from({ length }, () => Math.floor(random() * 0x10000)));
      expect(videoSessionApiKey(text)).toBeUndefined();
    }
  });
});

describe('canonical spelling of a video session id', () => {
  it('is one for every spelling of the id: its prefix and the unused low bits of its last character are read by no one', () => {
    // Vonage's own id ends in a character that carries 4 bits of its payload and 2 unused ones.
    const body = ISSUED_BY_VONAGE.slice(2);
    const spellings = ['1_', '2_', '9_'].flatMap((prefix) => ['4', '5', '6', '7'].map((last) => `${prefix}${body.slice(0, -1)}${last}`));
    expect(new Set(spellings.map(videoSessionApiKey))).toEqual(new Set(['47521351']));
    expect(new Set(spellings.map(canonicalVideoSessionId))).toEqual(new Set([ISSUED_BY_VONAGE]));
  });

  it('is the id itself for an id this server made', () => {
    expect(canonicalVideoSessionId(routed)).toBe(routed);
  });

  it('is undefined for what is not a video session id', () => {
    for (const text of ['', '1_', 'arn:aws:ivs:us-west-2:123456789012:stage/MainStage01', `1_${ISSUED_BY_VONAGE.slice(2)}==`]) {
      expect(canonicalVideoSessionId(text)).toBeUndefined();
    }
  });
});

/** mulberry32: the same strings on every run, so a failure can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
