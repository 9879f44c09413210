import { z } from 'zod';

import type { MinterConfiguration } from '../common/minter-configuration.js';
import { VIDEO_RIGHTS } from './policy.js';
import { VIDEO_ROLES, VIDEO_TOKEN_FORMATS } from './request.js';

/** The `video` section: the Vonage Video / OpenTok project (and application) tokens are made for. */
export const videoConfigSchema = z.strictObject({
  apiKey: z.string().regex(/^[0-9]+$/, 'must be the numeric API key of the Vonage Video / OpenTok project').meta({
    description: 'the Vonage Video / OpenTok project\'s numeric API key',
  }),
  apiSecret: z.string().min(16).meta({ description: 'the project\'s API secret' }),
  tokenFormat: z.enum(VIDEO_TOKEN_FORMATS).default('jwt').meta({
    description: 'the token format a request gets when it names none; `vonage` needs `applicationId` and `privateKeyFile`',
  }),
  applicationId: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be the id of a Vonage application').optional().meta({
    description: 'a Vonage application\'s id, for RS256 application (`vonage`) tokens; given with `privateKeyFile` or not at all',
  }),
  privateKeyFile: z.string().min(1).optional().meta({ description: 'the application\'s RSA private key (PEM, an existing file); given with `applicationId` or not at all' }),
}).refine((video) => (video.applicationId === undefined) === (video.privateKeyFile === undefined), {
  message: 'applicationId and privateKeyFile go together',
  path: ['applicationId'],
}).refine((video) => video.tokenFormat !== 'vonage' || video.applicationId !== undefined, {
  message: 'the vonage token format needs applicationId and privateKeyFile',
  path: ['tokenFormat'],
});

export type VideoConfig = z.output<typeof videoConfigSchema>;

export const videoConfiguration = {
  section: videoConfigSchema.optional().meta({ title: 'Video tokens', description: 'Present, it turns on video tokens and `POST /video/sessions`.' }),
  policyMetadata: { [VIDEO_RIGHTS.roles]: VIDEO_ROLES },
} satisfies MinterConfiguration;
