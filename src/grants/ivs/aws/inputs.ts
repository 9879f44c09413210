import { z } from 'zod';

import { PUBLIC_KEY_ARN_SHAPE } from '../config.js';
import { STAGE_ARN_SHAPE } from '../request.js';
import { IVS_CAPABILITIES } from '../participant-token.js';
import { stageAdmissionFields } from '../admission.js';

const arn = (shape: RegExp, example: string) =>
  z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters').regex(shape, `must be an IVS ${example} ARN`);

const resourceName = z.string().max(128, 'must be at most 128 characters').regex(/^[a-zA-Z0-9-_]*$/, 'may contain only letters, digits, - and _');

const tags = z
  .record(z.string().min(1, 'keys must not be empty').max(128, 'keys must be at most 128 characters'), z.string().max(256, 'values must be at most 256 characters'))
  .refine((entries) => Object.keys(entries).length <= 50, 'must have at most 50 entries');

/**
 * The token's own rules (stage ARN shape, duration and user id ranges, attribute size) are the IVS
 * minter's, checked where every participant token is minted; these are the JSON types.
 */
const participantTokenConfiguration = {
  duration: z.int().optional(),
  userId: z.string().optional(),
  attributes: z.record(z.string(), z.string()).optional(),
  // Checked here too: the token endpoint reads a list sent as one field split on spaces.
  capabilities: z.array(z.enum(IVS_CAPABILITIES, { error: 'may only contain PUBLISH and SUBSCRIBE' })).optional(),
};

export const createParticipantTokenInput = z.object({ stageArn: z.string(), ...participantTokenConfiguration });

export const createStageInput = z.object({
  name: resourceName.optional(),
  participantTokenConfigurations: z.array(z.object(participantTokenConfiguration)).max(12, 'must have at most 12 entries').optional(),
  tags: tags.optional(),
  // stagepass's own: who the stage admits, counted over its live participants.
  ...stageAdmissionFields,
  autoParticipantRecordingConfiguration: z.unknown().optional().refine((value) => value === undefined, 'is not available: this server mints tokens and records nothing'),
});

export const stageArn = arn(STAGE_ARN_SHAPE, 'stage');
export const stageArnInput = z.object({ arn: stageArn });

export const publicKeyArn = arn(PUBLIC_KEY_ARN_SHAPE, 'public key');
export const publicKeyArnInput = z.object({ arn: publicKeyArn });

export const listInput = z.object({
  maxResults: z.int().min(1, 'must be from 1 to 100').max(100, 'must be from 1 to 100').optional(),
  nextToken: z.string().max(1024, 'must be at most 1024 characters').optional(),
});

export const importPublicKeyInput = z.object({
  publicKeyMaterial: z.string().min(1, 'must not be empty').max(4096, 'must be at most 4096 characters'),
  name: resourceName.optional(),
  tags: tags.optional(),
});

export const disconnectParticipantInput = z.object({
  stageArn,
  participantId: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
  reason: z.string().max(128, 'must be at most 128 characters').optional(),
});

export type CreateParticipantTokenInput = z.output<typeof createParticipantTokenInput>;
export type CreateStageInput = z.output<typeof createStageInput>;
export type ListInput = z.output<typeof listInput>;
export type ImportPublicKeyInput = z.output<typeof importPublicKeyInput>;
