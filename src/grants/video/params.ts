import { z } from 'zod';

import type { RawParams } from '../common/form-params.js';
import { list, parseWith, single, type ParseResult } from '../common/param-schema.js';
import type { VideoRole } from './video-token.js';

/** `vonage` is the RS256 token of a Vonage application, offered when its credentials are configured. */
export type VideoTokenFormat = 'jwt' | 't1' | 'vonage';

export const VIDEO_TOKEN_FORMATS: readonly VideoTokenFormat[] = ['jwt', 't1', 'vonage'];
export const VIDEO_ROLES: readonly VideoRole[] = ['publisher', 'publisheronly', 'subscriber', 'moderator'];
const SESSION_ID_MAX = 1024;
/**
 * Vonage documents 1000 characters; opentok-node checks 1024. Characters are counted as UTF-16
 * units, as opentok-node counts them, which never undercounts the code points the Python SDK counts.
 */
const TEXT_MAX = 1000;
const DAY_SECONDS = 86_400;
const MAX_LIFETIME_SECONDS = 30 * DAY_SECONDS;
const EXPIRE_TIME_RULE = 'expire_time must be an integer number of seconds since the Unix epoch';
/** A class list is split as HTML splits a class attribute: on runs of ASCII whitespace. */
const CLASS_SEPARATOR = /[\t\n\f\r ]+/;
/** A lone surrogate cannot be URL-encoded into a T1 token nor sent as UTF-8. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Measured with String.length rather than zod's max, which counts code points. */
function text(field: string, max: number) {
  return single(field)
    .refine((value) => value.length <= max, `${field} must be at most ${max} characters`)
    .refine((value) => !LONE_SURROGATE.test(value), `${field} must be well-formed Unicode text`);
}

const expireTime = single('expire_time').regex(/^[0-9]+$/, EXPIRE_TIME_RULE).transform(Number);

/** Built once: the rules that depend on the time of the request are checked after it. */
const videoParamsSchema = z
  .object({
    session_id: text('session_id', SESSION_ID_MAX).min(1, 'session_id must not be empty'),
    role: single('role')
      .pipe(z.enum(VIDEO_ROLES, { error: 'role must be publisher, publisheronly, subscriber or moderator' }))
      .default('publisher'),
    connection_data: text('connection_data', TEXT_MAX).optional(),
    expire_time: expireTime.optional(),
    // Repeated or space-separated, as list parameters are; the length rule is the joined list's.
    initial_layout_class_list: list('initial_layout_class_list', z.string())
      .transform((classes) => classes.join(' '))
      .pipe(text('initial_layout_class_list', TEXT_MAX))
      .transform((joined) => joined.split(CLASS_SEPARATOR).filter(Boolean))
      .default([]),
    token_format: single('token_format')
      .pipe(z.enum(VIDEO_TOKEN_FORMATS, { error: 'token_format must be jwt, t1 or vonage' }))
      .optional(),
  })
  .transform((p) => ({
    sessionId: p.session_id,
    role: p.role,
    connectionData: p.connection_data,
    expireTime: p.expire_time,
    initialLayoutClassList: p.initial_layout_class_list,
    tokenFormat: p.token_format,
  }));

export type VideoTokenRequest = Omit<z.output<typeof videoParamsSchema>, 'expireTime' | 'tokenFormat'> & {
  /** Epoch seconds. */
  expireTime: number;
  tokenFormat: VideoTokenFormat;
};

/**
 * Reads the form parameters of a video client token request; the first problem found is reported.
 * `now` (epoch seconds) anchors the default expiry and the future and 30-day rules.
 */
export function parseVideoParams(raw: RawParams, now: number, defaultFormat: VideoTokenFormat): ParseResult<VideoTokenRequest> {
  const parsed = parseWith(videoParamsSchema, raw);
  if (!parsed.ok) return parsed;
  const { expireTime = now + DAY_SECONDS, tokenFormat = defaultFormat, ...rest } = parsed.value;
  if (expireTime <= now) return { ok: false, field: 'expire_time', message: 'expire_time must be in the future' };
  if (expireTime > now + MAX_LIFETIME_SECONDS) {
    return { ok: false, field: 'expire_time', message: 'expire_time must be at most 30 days (2592000 seconds) from now' };
  }
  return { ok: true, value: { ...rest, expireTime, tokenFormat } };
}
