import { z } from 'zod';

import type { RawParams } from '../common/form-params.js';
import { list, parseWith, single, type ParseResult } from '../common/param-schema.js';
import { IVS_CAPABILITIES } from './participant-token.js';


/** CreateParticipantToken's stageArn pattern, from the IVS API model. */
export const STAGE_ARN_SHAPE = /^arn:aws:ivs:[a-z0-9-]+:[0-9]+:stage\/[a-zA-Z0-9-]+$/;
const DURATION_RULE = 'duration must be an integer from 1 to 20160 (minutes)';
const ATTRIBUTES_MAX_BYTES = 1024;
const ATTRIBUTES_RULE = 'attributes must be a JSON object whose values are all strings';

const stageArn = single('stage_arn')
  .min(1, 'stage_arn is required')
  .max(128, 'stage_arn must be at most 128 characters')
  .regex(STAGE_ARN_SHAPE, 'stage_arn must be an IVS stage ARN (arn:aws:ivs:<region>:<account>:stage/<id>)');

const duration = single('duration')
  .regex(/^[0-9]+$/, DURATION_RULE)
  .transform(Number)
  .pipe(z.number().int().min(1, DURATION_RULE).max(20160, DURATION_RULE));

const userId = single('user_id').max(128, 'user_id must be at most 128 characters');

/**
 * IVS allows "1 KB in total" of attributes without saying how it counts. Here the total is the
 * UTF-8 byte length of the attributes JSON text exactly as the client sent it, whitespace included,
 * so a client can check the limit on the value it builds before sending.
 */
const attributes = single('attributes')
  .refine((text) => Buffer.byteLength(text, 'utf8') <= ATTRIBUTES_MAX_BYTES, `attributes must be at most ${ATTRIBUTES_MAX_BYTES} bytes of JSON (UTF-8)`)
  .transform((text, ctx) => {
    const value = parseJsonOrUndefined(text);
    if (isStringRecord(value)) return value;
    ctx.addIssue({ code: 'custom', message: ATTRIBUTES_RULE });
    return z.NEVER;
  });

const capabilities = list('capabilities', z.enum(IVS_CAPABILITIES, { error: 'capabilities may only contain PUBLISH and SUBSCRIBE' }))
  .refine((values) => new Set(values).size === values.length, 'capabilities must not name a capability twice');

const ivsParamsSchema = z
  .object({
    stage_arn: stageArn,
    duration: duration.default(720),
    user_id: userId.optional(),
    attributes: attributes.optional(),
    // An empty list is kept as given: IVS accepts zero capabilities, and only an absent field means both.
    capabilities: capabilities.default([...IVS_CAPABILITIES]),
  })
  .transform((p) => ({
    stageArn: p.stage_arn,
    durationMinutes: p.duration,
    userId: p.user_id,
    attributes: p.attributes,
    capabilities: p.capabilities,
  }));

export type IvsTokenRequest = z.output<typeof ivsParamsSchema>;

/** Reads the form parameters of an IVS participant token request; the first problem found is reported. */
export function parseIvsParams(raw: RawParams): ParseResult<IvsTokenRequest> {
  return parseWith(ivsParamsSchema, raw);
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}
