import { z } from 'zod';

import { describe, field, invalidRequest } from '../common/minting-error.js';
import { validate } from '../common/param-schema.js';
import type { VideoRole } from './video-token.js';

/** `vonage` is the RS256 token of a Vonage application, offered when its credentials are configured. */
export type VideoTokenFormat = 'jwt' | 't1' | 'vonage';

export const VIDEO_TOKEN_FORMATS: readonly VideoTokenFormat[] = ['jwt', 't1', 'vonage'];
export const VIDEO_ROLES: readonly VideoRole[] = ['publisher', 'publisheronly', 'subscriber', 'moderator'];
export const ROLE_RULE = 'must be publisher, publisheronly, subscriber or moderator';
export const TOKEN_FORMAT_RULE = 'must be jwt, t1 or vonage';
export const EXPIRE_TIME_RULE = 'must be an integer number of seconds since the Unix epoch';
const SESSION_ID_MAX = 1024;
/**
 * Vonage documents 1000 characters; opentok-node checks 1024. Characters are counted as UTF-16
 * units, as opentok-node counts them, which never undercounts the code points the Python SDK counts.
 */
const TEXT_MAX = 1000;
const DAY_SECONDS = 86_400;
const MAX_LIFETIME_SECONDS = 30 * DAY_SECONDS;
/** A class list is split as HTML splits a class attribute: on runs of ASCII whitespace. */
const CLASS_SEPARATOR = /[\t\n\f\r ]+/;
/** A lone surrogate cannot be URL-encoded into a T1 token nor sent as UTF-8. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** A video client token request as a caller states it. */
export interface VideoTokenInput {
  sessionId?: string;
  role?: string;
  connectionData?: string;
  /** Epoch seconds. */
  expireTime?: number;
  /** The classes, in as many entries as sent: they are joined and split again as HTML splits a class attribute. */
  initialLayoutClassList?: readonly string[];
  tokenFormat?: string;
}

/** Measured with String.length rather than zod's max, which counts code points. */
function text(max: number) {
  return z
    .string()
    .refine((value) => value.length <= max, `must be at most ${max} characters`)
    .refine((value) => !LONE_SURROGATE.test(value), 'must be well-formed Unicode text');
}

/** Built once: the rules that depend on the time of the request are checked after it. */
const videoRequestSchema = z.object({
  sessionId: z.string({ error: 'is required' }).pipe(text(SESSION_ID_MAX)).pipe(z.string().min(1, 'must not be empty')),
  role: z.enum(VIDEO_ROLES, { error: ROLE_RULE }).optional(),
  connectionData: text(TEXT_MAX).optional(),
  expireTime: z.int(EXPIRE_TIME_RULE).min(0, EXPIRE_TIME_RULE).optional(),
  // The length rule is the joined list's.
  initialLayoutClassList: z
    .array(z.string())
    .transform((classes) => classes.join(' '))
    .pipe(text(TEXT_MAX))
    .transform((joined) => joined.split(CLASS_SEPARATOR).filter(Boolean))
    .default([]),
  tokenFormat: z.enum(VIDEO_TOKEN_FORMATS, { error: TOKEN_FORMAT_RULE }).optional(),
});

export interface VideoTokenRequest {
  sessionId: string;
  role: VideoRole;
  connectionData?: string;
  /** Epoch seconds. */
  expireTime: number;
  initialLayoutClassList: string[];
  tokenFormat: VideoTokenFormat;
}

/**
 * The request with its defaults, or a MintingError naming the first field that breaks a rule.
 * `now` (epoch seconds) anchors the default expiry and the future and 30-day rules; a role not
 * asked for is `defaultRole`.
 */
export function validateVideoRequest(
  input: VideoTokenInput,
  now: number,
  defaultFormat: VideoTokenFormat,
  defaultRole: VideoRole = 'publisher',
): VideoTokenRequest {
  const { expireTime = now + DAY_SECONDS, tokenFormat = defaultFormat, sessionId, role = defaultRole, connectionData, initialLayoutClassList } =
    validate(videoRequestSchema, input);
  if (expireTime <= now) throw invalidRequest(describe`${field('expireTime')} must be in the future`);
  if (expireTime > now + MAX_LIFETIME_SECONDS) {
    throw invalidRequest(describe`${field('expireTime')} must be at most 30 days (2592000 seconds) from now`);
  }
  return { sessionId, role, connectionData, expireTime, initialLayoutClassList, tokenFormat };
}
