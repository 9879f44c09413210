import { z } from 'zod';

import type { RawParams } from '../common/form-params.js';
import { list, parseResult, single, validate, type ParseResult } from '../common/param-schema.js';
import { EXPIRE_TIME_RULE, validateVideoRequest, type VideoTokenFormat, type VideoTokenInput, type VideoTokenRequest } from './request.js';

/** The token endpoint's names for the request's fields. */
export const VIDEO_FORM_NAMES = {
  sessionId: 'session_id',
  role: 'role',
  connectionData: 'connection_data',
  expireTime: 'expire_time',
  initialLayoutClassList: 'initial_layout_class_list',
  tokenFormat: 'token_format',
} as const;
export const VIDEO_PARAMETERS = Object.values(VIDEO_FORM_NAMES);

const videoFormSchema = z
  .object({
    session_id: single().optional(),
    role: single().optional(),
    connection_data: single().optional(),
    expire_time: single().regex(/^[0-9]+$/, EXPIRE_TIME_RULE).transform(Number).optional(),
    // Repeated or space-separated, as list parameters are.
    initial_layout_class_list: list(z.string()).optional(),
    token_format: single().optional(),
  })
  .transform((form): VideoTokenInput => ({
    sessionId: form.session_id,
    role: form.role,
    connectionData: form.connection_data,
    expireTime: form.expire_time,
    initialLayoutClassList: form.initial_layout_class_list,
    tokenFormat: form.token_format,
  }));

export function decodeVideoForm(raw: RawParams): VideoTokenInput {
  return validate(videoFormSchema, raw);
}

/**
 * Decoded and checked: the first problem found is reported, named as the form names it. `now`
 * (epoch seconds) anchors the default expiry and the future and 30-day rules.
 */
export function parseVideoParams(raw: RawParams, now: number, defaultFormat: VideoTokenFormat): ParseResult<VideoTokenRequest> {
  return parseResult(() => validateVideoRequest(decodeVideoForm(raw), now, defaultFormat), VIDEO_FORM_NAMES);
}
