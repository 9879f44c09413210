import { describe, expect, it } from 'vitest';

import { parseVideoParams } from '../../src/grants/video/params.js';

const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const DAY = 86_400;
const SESSION_ID = '1_MX40NzUyMTM1MX5-MTcxODM1OTEyMzUyNH5oaUhWbUx4TXJQdldMY2tmRGJ1bFB3a2Z-fn4';

function accepted(raw: Parameters<typeof parseVideoParams>[0], defaultFormat: 'jwt' | 't1' = 'jwt') {
  const result = parseVideoParams(raw, NOW, defaultFormat);
  if (!result.ok) throw new Error(`expected the parameters to be accepted, got: ${result.message}`);
  return result.value;
}

function refusal(raw: Parameters<typeof parseVideoParams>[0]) {
  const result = parseVideoParams({ session_id: SESSION_ID, ...raw }, NOW, 'jwt');
  if (result.ok) throw new Error('expected the parameters to be refused');
  return result;
}

describe('video token request parameters', () => {
  it('default to a publisher token expiring in 24 hours, in the default format', () => {
    expect(accepted({ session_id: SESSION_ID })).toStrictEqual({
      sessionId: SESSION_ID,
      role: 'publisher',
      connectionData: undefined,
      expireTime: NOW + DAY,
      initialLayoutClassList: [],
      tokenFormat: 'jwt',
    });
  });

  it('take the default token format from the server', () => {
    expect(accepted({ session_id: SESSION_ID }, 't1').tokenFormat).toBe('t1');
  });

  it('keep every value asked for', () => {
    expect(
      accepted({
        session_id: SESSION_ID,
        role: 'publisheronly',
        connection_data: 'name=Zoë',
        expire_time: String(NOW + 600),
        initial_layout_class_list: 'focus full',
        token_format: 't1',
      }),
    ).toStrictEqual({
      sessionId: SESSION_ID,
      role: 'publisheronly',
      connectionData: 'name=Zoë',
      expireTime: NOW + 600,
      initialLayoutClassList: ['focus', 'full'],
      tokenFormat: 't1',
    });
  });

  it.each(['publisher', 'publisheronly', 'subscriber', 'moderator'] as const)('accept the %s role', (role) => {
    expect(accepted({ session_id: SESSION_ID, role }).role).toBe(role);
  });

  it('split the layout class list on any run of whitespace, dropping empty names', () => {
    expect(accepted({ session_id: SESSION_ID, initial_layout_class_list: '  focus\tfull  wide ' }).initialLayoutClassList).toStrictEqual(['focus', 'full', 'wide']);
    expect(accepted({ session_id: SESSION_ID, initial_layout_class_list: ['focus', 'full wide'] }).initialLayoutClassList).toStrictEqual(['focus', 'full', 'wide']);
  });

  it('read an empty layout class list as no classes', () => {
    expect(accepted({ session_id: SESSION_ID, initial_layout_class_list: '' }).initialLayoutClassList).toStrictEqual([]);
  });

  it('accept an expiry exactly 30 days away', () => {
    expect(accepted({ session_id: SESSION_ID, expire_time: String(NOW + 30 * DAY) }).expireTime).toBe(NOW + 30 * DAY);
  });

  it('refuse an expiry one second past 30 days', () => {
    expect(refusal({ expire_time: String(NOW + 30 * DAY + 1) })).toStrictEqual({
      ok: false,
      field: 'expire_time',
      message: 'expire_time must be at most 30 days (2592000 seconds) from now',
    });
  });

  it('accept an expiry one second from now', () => {
    expect(accepted({ session_id: SESSION_ID, expire_time: String(NOW + 1) }).expireTime).toBe(NOW + 1);
  });

  it.each([
    ['now', NOW],
    ['an hour ago', NOW - 3600],
    ['the epoch', 0],
  ])('refuse an expiry of %s, which is not in the future', (_, expireTime) => {
    expect(refusal({ expire_time: String(expireTime) })).toStrictEqual({ ok: false, field: 'expire_time', message: 'expire_time must be in the future' });
  });

  it('accept connection data and a layout class list of exactly 1000 characters', () => {
    const value = accepted({ session_id: SESSION_ID, connection_data: 'd'.repeat(1000), initial_layout_class_list: 'c'.repeat(1000) });
    expect(value.connectionData).toHaveLength(1000);
    expect(value.initialLayoutClassList).toStrictEqual(['c'.repeat(1000)]);
  });

  it.each([
    ['a missing session', { session_id: undefined }, 'session_id', /session_id is required/],
    ['an empty session', { session_id: '' }, 'session_id', /session_id must not be empty/],
    ['a session id over 1024 characters', { session_id: 's'.repeat(1025) }, 'session_id', /session_id must be at most 1024 characters/],
    ['a session sent twice', { session_id: [SESSION_ID, SESSION_ID] }, 'session_id', /session_id must be sent once/],
    ['a session id with a lone surrogate', { session_id: 'ab\uD800' }, 'session_id', /session_id must be well-formed Unicode/],
    ['an unknown role', { role: 'admin' }, 'role', /role must be publisher, publisheronly, subscriber or moderator/],
    ['an upper-case role', { role: 'PUBLISHER' }, 'role', /role must be/],
    ['an empty role', { role: '' }, 'role', /role must be/],
    ['a role sent twice', { role: ['publisher', 'subscriber'] }, 'role', /role must be sent once/],
    ['connection data over 1000 characters', { connection_data: 'd'.repeat(1001) }, 'connection_data', /connection_data must be at most 1000 characters/],
    ['connection data of 1001 UTF-16 units in fewer code points', { connection_data: `${'😀'.repeat(500)}d` }, 'connection_data', /at most 1000/],
    ['connection data sent twice', { connection_data: ['a', 'b'] }, 'connection_data', /connection_data must be sent once/],
    ['connection data with a lone surrogate', { connection_data: '\uDC00' }, 'connection_data', /connection_data must be well-formed Unicode/],
    ['a fractional expiry', { expire_time: `${NOW + 60}.5` }, 'expire_time', /expire_time must be an integer number of seconds/],
    ['a negative expiry', { expire_time: '-1' }, 'expire_time', /expire_time must be an integer/],
    ['an expiry in milliseconds', { expire_time: String((NOW + 60) * 1000) }, 'expire_time', /expire_time must be at most 30 days/],
    ['an expiry that is a date', { expire_time: '2026-01-02T00:00:00Z' }, 'expire_time', /expire_time must be an integer/],
    ['an empty expiry', { expire_time: '' }, 'expire_time', /expire_time must be an integer/],
    ['an expiry sent twice', { expire_time: [String(NOW + 60), String(NOW + 120)] }, 'expire_time', /expire_time must be sent once/],
    ['a layout class list over 1000 characters', { initial_layout_class_list: `${'c'.repeat(500)} ${'c'.repeat(500)}` }, 'initial_layout_class_list', /initial_layout_class_list must be at most 1000 characters/],
    ['a repeated layout class list over 1000 characters in all', { initial_layout_class_list: ['c'.repeat(500), 'c'.repeat(500)] }, 'initial_layout_class_list', /initial_layout_class_list must be at most 1000 characters/],
    ['an unknown token format', { token_format: 'jws' }, 'token_format', /token_format must be jwt, t1 or vonage/],
    ['an upper-case token format', { token_format: 'JWT' }, 'token_format', /token_format must be jwt, t1 or vonage/],
    ['a token format sent twice', { token_format: ['jwt', 't1'] }, 'token_format', /token_format must be sent once/],
  ])('refuse %s, naming the field', (_, params, field, message) => {
    const result = refusal(params);
    expect(result.field).toBe(field);
    expect(result.message).toContain(field);
    expect(result.message).toMatch(message);
  });

  it('ignore parameters that are not theirs', () => {
    expect(accepted({ session_id: SESSION_ID, grant_type: 'urn:example:video', client_id: 'app' })).not.toHaveProperty('grant_type');
  });
});
