import { z } from 'zod';

import { validate } from '../common/param-schema.js';
import { IVS_CAPABILITIES, type IvsCapability } from './participant-token.js';

/** CreateParticipantToken's stageArn pattern, from the IVS API model. */
export const STAGE_ARN_SHAPE = /^arn:aws:ivs:[a-z0-9-]+:[0-9]+:stage\/[a-zA-Z0-9-]+$/;
export const STAGE_ARN_RULE = 'must be an IVS stage ARN (arn:aws:ivs:<region>:<account>:stage/<id>)';
/** The longest ARN any IVS operation takes. */
export const IVS_ARN_MAX_LENGTH = 128;
export const DURATION_RULE = 'must be an integer from 1 to 20160 (minutes)';
export const ATTRIBUTES_MAX_BYTES = 1024;
export const ATTRIBUTES_SIZE_RULE = `must be at most ${ATTRIBUTES_MAX_BYTES} bytes of JSON (UTF-8)`;
export const CAPABILITY_RULE = 'may only contain PUBLISH and SUBSCRIBE';

/** A participant token request as a caller states it, named as IVS's CreateParticipantToken names it. */
export interface IvsTokenInput {
  stageArn?: string;
  /** Minutes. */
  duration?: number;
  userId?: string;
  attributes?: Record<string, string>;
  /** Absent means both; an empty list means none, as IVS allows. */
  capabilities?: readonly IvsCapability[];
  /** A participant token minted here: the request is then for a new token for the same participant (an exchange). */
  participantToken?: string;
}

const duration = z.int(DURATION_RULE).min(1, DURATION_RULE).max(20160, DURATION_RULE);
// Counted as the JSON text the token will carry, which no spelling of the same object undercuts.
export const attributesSchema = z
  .record(z.string(), z.string())
  .refine((value) => Buffer.byteLength(JSON.stringify(value), 'utf8') <= ATTRIBUTES_MAX_BYTES, ATTRIBUTES_SIZE_RULE);
export const capabilitiesSchema = z
  .array(z.enum(IVS_CAPABILITIES, { error: CAPABILITY_RULE }))
  .refine((values) => new Set(values).size === values.length, 'must not name a capability twice');

const ivsRequestSchema = z
  .object({
    stageArn: z
      .string({ error: 'is required' })
      .min(1, 'is required')
      .max(IVS_ARN_MAX_LENGTH, `must be at most ${IVS_ARN_MAX_LENGTH} characters`)
      .regex(STAGE_ARN_SHAPE, STAGE_ARN_RULE),
    duration: duration.default(720),
    userId: z.string().max(128, 'must be at most 128 characters').optional(),
    attributes: attributesSchema.optional(),
    capabilities: capabilitiesSchema.optional(),
  })
  .transform((p) => ({
    stageArn: p.stageArn,
    durationMinutes: p.duration,
    userId: p.userId,
    attributes: p.attributes,
    capabilities: p.capabilities,
  }));

export type IvsTokenRequest = Omit<z.output<typeof ivsRequestSchema>, 'capabilities'> & { capabilities: IvsCapability[] };

/**
 * The request with its defaults, or a MintingError naming the first field that breaks a rule.
 * Capabilities not asked for are `defaultCapabilities`: both, unless the caller's rights say less.
 */
export function validateIvsRequest(input: IvsTokenInput, defaultCapabilities: readonly IvsCapability[] = IVS_CAPABILITIES): IvsTokenRequest {
  const request = validate(ivsRequestSchema, input);
  return { ...request, capabilities: request.capabilities ?? [...defaultCapabilities] };
}

/** Fixed by the participant's first token: an exchange may not name them. */
const keptFromTheToken = (what: string) => z.undefined({ error: `is not taken by an exchange: the participant keeps its token's ${what}` });

const ivsExchangeSchema = z.object({
  participantToken: z.string({ error: 'is required' }).min(1, 'is required').max(8192, 'must be at most 8192 characters'),
  stageArn: keptFromTheToken('stage'),
  userId: keptFromTheToken('user id'),
  duration: duration.optional(),
  attributes: attributesSchema.optional(),
  capabilities: capabilitiesSchema.optional(),
});

/** An exchange: the participant token, and what its new token is to carry instead of what it has. */
export type IvsExchangeRequest = { participantToken: string; durationMinutes?: number; attributes?: Record<string, string>; capabilities?: IvsCapability[] };

export function validateIvsExchange(input: IvsTokenInput): IvsExchangeRequest {
  const { participantToken, duration: durationMinutes, attributes: kept, capabilities: asked } = validate(ivsExchangeSchema, input);
  return {
    participantToken,
    ...(durationMinutes === undefined ? {} : { durationMinutes }),
    ...(kept === undefined ? {} : { attributes: kept }),
    ...(asked === undefined ? {} : { capabilities: asked }),
  };
}
