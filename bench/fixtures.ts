import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { hashPassword } from '../src/accounts/password.js';
import { IVS_GRANT_TYPE } from '../src/grants/ivs/service.js';
import { JWT_BEARER_GRANT_TYPE } from '../src/grants/license/exchange-service.js';
import { LICENSE_GRANT_TYPE } from '../src/grants/license/service.js';
import { VIDEO_GRANT_TYPE } from '../src/grants/video/service.js';

export const BENCH_USER_SUB = 'bench-user';
export const BENCH_USER = { username: 'bench', password: 'bench-password-0123' };

/** The client of the client_credentials, code, refresh and introspection rounds, on both servers. */
export const BENCH_CLIENT = {
  clientId: 'bench-client',
  clientSecret: 'bench-client-secret-0123456789abcdef',
  redirectUri: 'http://127.0.0.1:9/cb',
};

/** The client of the minting rounds, allowed every stage, license and role. */
export const MINTING_CLIENT = { clientId: 'bench-minter', clientSecret: 'bench-minter-secret-0123456789abcde' };

export const STAGE_ARN = 'arn:aws:ivs:us-west-2:123456789012:stage/BenchStage01';
export const LICENSE_ARN = 'arn:aws:license-manager::123456789012:license:l-0000000000000000000000000000bench';
export const VIDEO = { apiKey: '47521351', apiSecret: 'bench-video-secret-0123456789abcdef' };

export const GRANTS = {
  ivs: IVS_GRANT_TYPE,
  license: LICENSE_GRANT_TYPE,
  video: VIDEO_GRANT_TYPE,
  jwtBearer: JWT_BEARER_GRANT_TYPE,
};

/** Writes a stagepass configuration for the benchmark into `dir` and returns its path. */
export async function writeStagepassConfig(
  dir: string,
  { redisUrl, cluster = false, redisCluster = false }: { redisUrl?: string; cluster?: boolean; redisCluster?: boolean },
): Promise<string> {
  const config = {
    ...(redisUrl ? { redisUrl } : {}),
    ...(cluster ? { cluster: true } : {}),
    ...(redisCluster ? { redisCluster: true } : {}),
    // The limiter still counts every request (its cost is measured) but never refuses one.
    limits: { tokensPerSecond: { default: 1_000_000, [GRANTS.ivs]: 1_000_000 } },
    keys: { jwksFile: join(dir, 'jwks.json'), cookieKeysFile: join(dir, 'cookie-keys.json'), encryptionKeyFile: join(dir, 'key-encryption-key.json'), keySetFile: join(dir, 'key-set.json') },
    clients: [
      {
        client_id: BENCH_CLIENT.clientId,
        client_secret: BENCH_CLIENT.clientSecret,
        grant_types: ['client_credentials', 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        redirect_uris: [BENCH_CLIENT.redirectUri],
      },
      {
        client_id: MINTING_CLIENT.clientId,
        client_secret: MINTING_CLIENT.clientSecret,
        grant_types: Object.values(GRANTS),
        response_types: [],
        redirect_uris: [],
        ivs_stage_arns: ['*'],
        ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'],
        license_arns: ['*'],
        video_roles: ['publisher', 'subscriber', 'moderator'],
      },
    ],
    accounts: [{ sub: BENCH_USER_SUB, username: BENCH_USER.username, password: await hashPassword(BENCH_USER.password), claims: {} }],
    ivs: {
      publicKeyArn: 'arn:aws:ivs:us-west-2:123456789012:public-key/BenchKey0001',
      privateKeyFile: join(dir, 'ivs.pem'),
      stages: [{ arn: STAGE_ARN, eventsUrl: 'wss://global.events.live-video.net', whipUrl: 'https://bench0001.global-bm.whip.live-video.net' }],
    },
    licenses: [{ arn: LICENSE_ARN, maxTokens: 10_000_000 }],
    video: { ...VIDEO, tokenFormat: 'jwt' },
  };
  const path = join(dir, 'stagepass.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

export function basicAuthorization(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}
