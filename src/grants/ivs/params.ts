import { z } from 'zod';

import type { RawParams } from '../common/form-params.js';
import { list, parseResult, single, validate, type ParseResult } from '../common/param-schema.js';
import { IVS_CAPABILITIES } from './participant-token.js';
import {
  ATTRIBUTES_MAX_BYTES, ATTRIBUTES_SIZE_RULE, CAPABILITY_RULE, DURATION_RULE, validateIvsRequest, type IvsTokenInput, type IvsTokenRequest,
} from './request.js';

/** The token endpoint's names for the request's fields. */
export const IVS_FORM_NAMES = {
  stageArn: 'stage_arn',
  duration: 'duration',
  userId: 'user_id',
  attributes: 'attributes',
  capabilities: 'capabilities',
  participantToken: 'participant_token',
} as const;

export const IVS_PARAMETERS = Object.values(IVS_FORM_NAMES);
export const IVS_SPACE_SEPARATED = ['capabilities'] as const;

const ATTRIBUTES_RULE = 'must be a JSON object whose values are all strings';

/**
 * IVS allows "1 KB in total" of attributes without saying how it counts. At the token endpoint the
 * total is the UTF-8 byte length of the attributes JSON text exactly as the client sent it,
 * whitespace included, so a client can check the limit on the value it builds before sending.
 */
const attributes = single()
  .refine((text) => Buffer.byteLength(text, 'utf8') <= ATTRIBUTES_MAX_BYTES, ATTRIBUTES_SIZE_RULE)
  .transform((text, ctx) => {
    const value = parseJsonOrUndefined(text);
    if (isStringRecord(value)) return value;
    ctx.addIssue({ code: 'custom', message: ATTRIBUTES_RULE });
    return z.NEVER;
  });

/** The form's text values, typed; the rules on the values are the service's. */
const ivsFormSchema = z
  .object({
    stage_arn: single().optional(),
    duration: single().regex(/^[0-9]+$/, DURATION_RULE).transform(Number).optional(),
    user_id: single().optional(),
    attributes: attributes.optional(),
    capabilities: list(z.enum(IVS_CAPABILITIES, { error: CAPABILITY_RULE })).optional(),
    participant_token: single().optional(),
  })
  .transform((form): IvsTokenInput => ({
    stageArn: form.stage_arn,
    duration: form.duration,
    userId: form.user_id,
    attributes: form.attributes,
    capabilities: form.capabilities,
    participantToken: form.participant_token,
  }));

/** The form parameters of an IVS participant token request, as the service's request. */
export function decodeIvsForm(raw: RawParams): IvsTokenInput {
  return validate(ivsFormSchema, raw);
}

/** Decoded and checked: the first problem found is reported, named as the form names it. */
export function parseIvsParams(raw: RawParams): ParseResult<IvsTokenRequest> {
  return parseResult(() => validateIvsRequest(decodeIvsForm(raw)), IVS_FORM_NAMES);
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

/** The minter's participant routes' names for the moderation's fields. */
export const MODERATION_FORM_NAMES = { capabilities: 'capabilities', attributes: 'attributes', reason: 'reason', keepOutSeconds: 'keep_out_seconds' } as const;

const KEEP_OUT_FORM_RULE = 'must be a whole number of seconds';

const changeFormSchema = z.strictObject({
  capabilities: z.string().transform((text) => text.split(' ').filter((value) => value.length > 0)).optional(),
  attributes: attributes.optional(),
}, { error: (issue) => (issue.code === 'unrecognized_keys' ? `${issue.keys.join(', ')} is not a field of this call (capabilities, attributes)` : undefined) });

const disconnectionFormSchema = z.strictObject({
  reason: z.string().optional(),
  keep_out_seconds: z.string().regex(/^[0-9]{1,9}$/, KEEP_OUT_FORM_RULE).transform(Number).optional(),
}, { error: (issue) => (issue.code === 'unrecognized_keys' ? `${issue.keys.join(', ')} is not a field of this call (reason, keep_out_seconds)` : undefined) })
  .transform(({ reason, keep_out_seconds: keepOutSeconds }) => ({ reason, keepOutSeconds }));

/** A promotion's or demotion's form: capabilities space-separated (empty: none), attributes as JSON; the rules on the values are the moderation's. */
export function decodeChangeForm(form: Readonly<Record<string, string>>) {
  return validate(changeFormSchema, form);
}

export function decodeDisconnectionForm(form: Readonly<Record<string, string>>) {
  return validate(disconnectionFormSchema, form);
}
