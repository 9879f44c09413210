import { join } from 'node:path';

import { basicAuth, postForm } from './relying-party.js';
import { CLIENTS } from './stagepass.js';

export const IVS_GRANT = 'urn:stagepass:grant-type:ivs-participant-token';
export const LICENSE_GRANT = 'urn:stagepass:grant-type:license-token';
export const VIDEO_GRANT = 'urn:stagepass:grant-type:video-token';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export const STAGES = {
  main: { arn: 'arn:aws:ivs:us-west-2:123456789012:stage/MainStage01', eventsUrl: 'wss://global.events.live-video.net', whipUrl: 'https://a1b2c3d4e5f6.global-bm.whip.live-video.net' },
  backstage: { arn: 'arn:aws:ivs:us-west-2:123456789012:stage/Backstage02', eventsUrl: 'wss://global.events.live-video.net', whipUrl: 'https://f6e5d4c3b2a1.global-bm.whip.live-video.net' },
};
export const PUBLIC_KEY_ARN = 'arn:aws:ivs:us-west-2:123456789012:public-key/TestKey0001';

export const ivsConfig = (keysDir: string) => ({
  publicKeyArn: PUBLIC_KEY_ARN,
  privateKeyFile: join(keysDir, 'ivs-participant-key.pem'),
  stages: Object.values(STAGES),
});

/** Minting clients, each with exactly the policy its tests need. */
export const MINTING_CLIENTS = {
  stageBackend: {
    client_id: 'stage-backend',
    client_secret: 'stage-backend-secret-0123456789',
    grant_types: [IVS_GRANT, 'client_credentials'],
    response_types: [],
    redirect_uris: [],
    ivs_stage_arns: [STAGES.main.arn],
    ivs_capabilities: ['PUBLISH', 'SUBSCRIBE'],
  },
  viewerBackend: {
    client_id: 'viewer-backend',
    client_secret: 'viewer-backend-secret-0123456789',
    grant_types: [IVS_GRANT],
    response_types: [],
    redirect_uris: [],
    ivs_stage_arns: ['*'],
    ivs_capabilities: ['SUBSCRIBE'],
  },
  unconfigured: {
    client_id: 'no-policy',
    client_secret: 'no-policy-secret-0123456789abcdef',
    grant_types: [IVS_GRANT],
    response_types: [],
    redirect_uris: [],
  },
};

/** The public native app, allowed to mint on behalf of its signed-in user. */
export const mintingNativeClient = (grantTypes: string[], policy: Record<string, string[]>) => ({
  ...CLIENTS.native,
  grant_types: [...CLIENTS.native.grant_types, ...grantTypes],
  ...policy,
});

type Credentials = { client_id: string; client_secret?: string };

/** Calls the token endpoint as the given client (client_secret_basic, or none for public clients). */
export function mint(issuer: string, client: Credentials, grantType: string, params: Record<string, string | string[]>) {
  return client.client_secret
    ? postForm(`${issuer}/token`, { grant_type: grantType, ...params }, basicAuth(client.client_id, client.client_secret))
    : postForm(`${issuer}/token`, { grant_type: grantType, client_id: client.client_id, ...params });
}

export const LICENSES = {
  small: 'arn:aws:license-manager::123456789012:license:l-0123456789abcdef0123456789abcdef',
  large: 'arn:aws:license-manager::123456789012:license:l-fedcba9876543210fedcba9876543210',
  unconfigured: 'arn:aws:license-manager::123456789012:license:l-00000000000000000000000000000000',
};
export const ROLE = 'arn:aws:iam::123456789012:role/LicenseConsumer';

export const LICENSE_CLIENTS = {
  backend: {
    client_id: 'license-backend',
    client_secret: 'license-backend-secret-0123456789',
    grant_types: [LICENSE_GRANT, JWT_BEARER_GRANT],
    response_types: [],
    redirect_uris: [],
    license_arns: [LICENSES.small],
  },
  other: {
    client_id: 'license-other',
    client_secret: 'license-other-secret-0123456789ab',
    grant_types: [LICENSE_GRANT, JWT_BEARER_GRANT],
    response_types: [],
    redirect_uris: [],
    license_arns: ['*'],
  },
};

/** A confidential app that mints license tokens for the people signed in at it, and exchanges them. */
export const LICENSING_APP = {
  ...CLIENTS.confidential,
  grant_types: [...CLIENTS.confidential.grant_types, LICENSE_GRANT, JWT_BEARER_GRANT],
  license_arns: ['*'],
};

export const VIDEO_PROJECT = { apiKey: '47521351', apiSecret: '0123456789abcdef0123456789abcdef01234567' };
export const VIDEO_APPLICATION_ID = '4f1a9c2e-7b3d-4e5f-8a6b-9c0d1e2f3a4b';

export const VIDEO_CLIENTS = {
  backend: {
    client_id: 'video-backend',
    client_secret: 'video-backend-secret-0123456789ab',
    grant_types: [VIDEO_GRANT],
    response_types: [],
    redirect_uris: [],
    video_roles: ['publisher', 'subscriber', 'moderator'],
  },
  viewer: {
    client_id: 'video-viewer',
    client_secret: 'video-viewer-secret-0123456789abc',
    grant_types: [VIDEO_GRANT],
    response_types: [],
    redirect_uris: [],
    video_roles: ['subscriber'],
  },
  unconfigured: {
    client_id: 'video-no-policy',
    client_secret: 'video-no-policy-secret-0123456789',
    grant_types: [VIDEO_GRANT],
    response_types: [],
    redirect_uris: [],
  },
};
