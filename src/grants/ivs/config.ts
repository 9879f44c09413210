import { z } from 'zod';

import { STAGE_ARN_SHAPE } from './request.js';

/** The shape of the ARN IVS gives an imported public key. */
export const PUBLIC_KEY_ARN_SHAPE = /^arn:aws:ivs:[a-z0-9-]+:[0-9]+:public-key\/[a-zA-Z0-9-]+$/;

/** The `ivs` section: the key participant tokens are signed with and the configured stages. */
export const ivsConfigSchema = z.strictObject({
  /** The ARN IVS gave the public key at ImportPublicKey; it is the `kid` of every participant token. */
  publicKeyArn: z.string().regex(PUBLIC_KEY_ARN_SHAPE, 'must be an IVS public key ARN (arn:aws:ivs:<region>:<account>:public-key/<id>)'),
  /** P-384 private key (PEM); created when missing so a development server can mint at once. */
  privateKeyFile: z.string().min(1),
  stages: z.array(z.strictObject({
    arn: z.string().max(128).regex(STAGE_ARN_SHAPE, 'must be an IVS stage ARN (arn:aws:ivs:<region>:<account>:stage/<id>)'),
    eventsUrl: z.url({ protocol: /^wss?$/ }),
    whipUrl: z.url({ protocol: /^https?$/ }),
  })).default([]),
});

export type IvsConfig = z.output<typeof ivsConfigSchema>;
