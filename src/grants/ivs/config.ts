import { z } from 'zod';

import type { MinterConfiguration } from '../common/minter-configuration.js';
import { stageAdmissionFields } from './admission.js';
import { IVS_CAPABILITIES } from './participant-token.js';
import { IVS_RIGHTS } from './policy.js';
import { STAGE_ARN_SHAPE } from './request.js';

/** The shape of the ARN IVS gives an imported public key. */
export const PUBLIC_KEY_ARN_SHAPE = /^arn:aws:ivs:[a-z0-9-]+:[0-9]+:public-key\/[a-zA-Z0-9-]+$/;

/** The longest keep-out a disconnection may set: 30 days. */
export const MAX_KEEP_OUT_SECONDS = 30 * 86_400;

/** IVS allows 50 CreateParticipantToken calls per second per account; each client is held to the same. */
export const IVS_TOKENS_PER_SECOND = 50;

/** What a stage is besides its ARN: where its tokens send participants, and whom it admits. */
export const stageFields = {
  eventsUrl: z.url({ protocol: /^wss?$/ }).meta({ description: 'the stage\'s events URL (`ws://` or `wss://`), put in its tokens' }),
  whipUrl: z.url({ protocol: /^https?$/ }).meta({ description: 'the stage\'s WHIP URL (`http://` or `https://`), put in its tokens' }),
  ...stageAdmissionFields,
};

/** The `ivs` section: the key participant tokens are signed with and the configured stages. */
export const ivsConfigSchema = z.strictObject({
  publicKeyArn: z.string().regex(PUBLIC_KEY_ARN_SHAPE, 'must be an IVS public key ARN (arn:aws:ivs:<region>:<account>:public-key/<id>)').meta({
    description: 'the ARN IVS gave the public key at ImportPublicKey (`arn:aws:ivs:<region>:<account>:public-key/<id>`); the `kid` of every participant token',
  }),
  privateKeyFile: z.string().min(1).meta({
    description: 'the P-384 private key (PEM) that signs participant tokens; created when missing, so that a development server can mint at once',
  }),
  stages: z.array(z.strictObject({
    arn: z.string().max(128).regex(STAGE_ARN_SHAPE, 'must be an IVS stage ARN (arn:aws:ivs:<region>:<account>:stage/<id>)').meta({
      description: 'the stage\'s ARN (`arn:aws:ivs:<region>:<account>:stage/<id>`)',
    }),
    ...stageFields,
  })).default([]).meta({ description: 'the configured stages tokens may name, beside those created through the IVS API' }),
  forward: z.strictObject({
    region: z.string().regex(/^[a-z]{2,4}(?:-[a-z]{2,10}){1,3}-\d{1,2}$/, 'must be an AWS region (us-west-2)').meta({ description: 'the region of the IVS stages' }),
    accessKeyId: z.string().min(16).max(128).meta({ description: 'the access key of an IAM identity allowed ivs:DisconnectParticipant' }),
    secretAccessKey: z.string().min(1).meta({ description: 'its secret' }),
    sessionToken: z.string().min(1).optional().meta({ description: 'for temporary credentials' }),
    endpoint: z.url({ protocol: /^https?$/ }).optional().meta({ description: 'IVS real-time\'s endpoint; the region\'s own unless given' }),
  }).optional().meta({
    description: 'Present, every disconnection is also sent to IVS\'s own DisconnectParticipant, so that the media session ends at once; retried with backoff, a failure logged and counted, never undoing the local decision',
  }),
  keepOutSeconds: z.int().min(0).max(MAX_KEEP_OUT_SECONDS).default(3600).meta({
    description: 'how long a disconnected participant\'s person gets no token for that stage, unless the disconnection says otherwise; 0: not kept out',
  }),
});

export type IvsConfig = z.output<typeof ivsConfigSchema>;

export const ivsConfiguration = {
  section: ivsConfigSchema.optional().meta({
    title: 'IVS participant tokens',
    description: 'Present, it turns on IVS participant tokens, `GET /ivs/public-key` and the IVS real-time API. '
      + `Each client may mint ${IVS_TOKENS_PER_SECOND} participant tokens a second, as IVS allows, unless \`limits.tokensPerSecond\` names their grant type.`,
  }),
  policyMetadata: { [IVS_RIGHTS.stageArns]: null, [IVS_RIGHTS.capabilities]: IVS_CAPABILITIES, [IVS_RIGHTS.moderatedStageArns]: null },
} satisfies MinterConfiguration;
