import { z } from 'zod';

import { VIDEO_TOKEN_FORMATS } from './request.js';

/** The `video` section: the Vonage Video / OpenTok project (and application) tokens are made for. */
export const videoConfigSchema = z.strictObject({
  apiKey: z.string().regex(/^[0-9]+$/, 'must be the numeric API key of the Vonage Video / OpenTok project'),
  apiSecret: z.string().min(16),
  /** The token format a request gets when it names none; `vonage` needs the application credentials. */
  tokenFormat: z.enum(VIDEO_TOKEN_FORMATS).default('jwt'),
  /** Vonage application credentials, for RS256 application tokens. */
  applicationId: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be the id of a Vonage application').optional(),
  privateKeyFile: z.string().min(1).optional(),
}).refine((video) => (video.applicationId === undefined) === (video.privateKeyFile === undefined), {
  message: 'applicationId and privateKeyFile go together',
  path: ['applicationId'],
}).refine((video) => video.tokenFormat !== 'vonage' || video.applicationId !== undefined, {
  message: 'the vonage token format needs applicationId and privateKeyFile',
  path: ['tokenFormat'],
});

export type VideoConfig = z.output<typeof videoConfigSchema>;
