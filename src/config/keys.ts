import { z } from 'zod';

const MIN_PROMOTE_AFTER_SECONDS = 120;

const keyFile = (path: string, description: string) => z.string().min(1).default(path).meta({ description });

export const keysSchema = z.strictObject({
  jwksFile: keyFile('.data/jwks.json', 'the private JWKS that seeds the key set when a store is first set up (one ES256 and one RS256 key, created when missing); '
    + 'after that the store\'s key set is the one used. ES256 keys sign ID tokens for clients that ask for them and the minters\' own tokens, RS256 ones ID tokens only'),
  cookieKeysFile: keyFile('.data/cookie-keys.json', 'the secrets that sign cookies and CSRF tokens; created when missing'),
  keySetFile: keyFile('.data/key-set.json', 'on the memory store only: where the key set is kept (private keys encrypted as in the store), '
    + 'written at each rotation, so that a restart comes back to the rotated keys'),
  encryptionKeyFile: keyFile('.data/key-encryption-key.json', 'the AES-256 key (an `oct` JWK) the private signing keys are encrypted under (AES-256-GCM) in the store; '
    + 'created when missing. Every instance sharing the store needs the same file: one with another refuses to start, and never writes to the store'),
  storeGenerationFile: keyFile('.data/store-generation.json', 'on Redis only: where the instance remembers which generation of the store it served, '
    + 'so that it refuses a store that lost stagepass\'s state rather than starting afresh on it; written at the first start. '
    + 'Keep it with the other key files, on storage that outlives the instance'),
  // Every instance reads the key set every half second (a read may wait redisCommandTimeoutMs), and
  // a key due to sign within a minute is taken for one that may sign already somewhere: below two
  // minutes, a new key could sign on one instance before another publishes it.
  promoteAfterSeconds: z.int()
    .min(MIN_PROMOTE_AFTER_SECONDS, `must be at least ${MIN_PROMOTE_AFTER_SECONDS}: every instance must publish a new key before any signs with it`)
    .max(86_400).default(3600)
    .meta({ description: 'seconds a rotated-in key is published as `next` in `/jwks` before it signs, so that every instance and cached JWKS learn it first' }),
}).prefault({}).meta({
  title: 'Key files',
  description: 'Where the keys are kept. Generated key files are written with mode 0600 in a directory of mode 0700.',
});
