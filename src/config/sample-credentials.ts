/**
 * The credentials of config/default.json, printed at start so a newcomer can try a flow at once.
 * Public by design: the default configuration is for trying stagepass, never for production.
 */
export const SAMPLE_CREDENTIALS = {
  confidentialClient: { clientId: 'sample-backend', clientSecret: 'sample-backend-secret-change-me' },
  publicClient: { clientId: 'sample-device' },
  account: { username: 'alice', password: 'stagepass-demo' },
  adminClient: { clientId: 'sample-admin', clientSecret: 'sample-admin-secret-change-me' },
} as const;
