import { ADMIN_SCOPE, configuredAdminClients } from '../admin/admin-access.js';
import { verifyPassword } from '../accounts/password.js';
import { SAMPLE_CREDENTIALS } from '../config/sample-credentials.js';
import type { Config } from './config.js';
import { enabledMinters } from '../grants/index.js';
import { offersAdminApi } from './app.js';
import { upstreamRedirectPath } from '../sign-in/upstream.js';

/** Which of the sample configuration's public credentials this configuration still holds. */
export interface SamplesInUse {
  confidentialClient: boolean;
  publicClient: boolean;
  account: boolean;
  adminClient: boolean;
}

/**
 * The sample credentials are public: whoever runs with them is only trying stagepass out, and is
 * shown them. Each is shown only where the configuration really has it, the account only with the
 * sample password.
 */
export async function samplesInUse(config: Config): Promise<SamplesInUse> {
  const { confidentialClient, publicClient, account, adminClient } = SAMPLE_CREDENTIALS;
  const sampleAccount = config.accounts.find(({ username }) => username === account.username);
  const hasSecret = ({ clientId, clientSecret }: { clientId: string; clientSecret: string }) => config.clients.some((c) => c.client_id === clientId && c.client_secret === clientSecret);
  return {
    confidentialClient: hasSecret(confidentialClient),
    publicClient: config.clients.some((c) => c.client_id === publicClient.clientId && c.token_endpoint_auth_method === 'none'),
    account: sampleAccount !== undefined && (await verifyPassword(account.password, sampleAccount.password)),
    adminClient: hasSecret(adminClient) && (configuredAdminClients(config.clients).get(adminClient.clientId) ?? []).includes(ADMIN_SCOPE),
  };
}

/** What stagepass prints once it listens: where it is, what it offers, and how to try it. */
export function banner(config: Config, samples: SamplesInUse): string {
  const minters = enabledMinters(config, { adminApi: offersAdminApi(config) });
  const lines = [
    `stagepass is listening on ${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`,
    `  issuer:    ${config.issuer}`,
    `  discovery: ${config.issuer}/.well-known/openid-configuration`,
    `  store:     ${config.redisUrl || config.redisSentinels ? 'redis' : 'in-memory (state is lost on restart)'}`,
    `  clients:   ${config.clients.map((c) => c.client_id).join(', ') || '(none)'}`,
    `  minters:   ${minters.map(({ plugin }) => plugin.name).join(', ') || '(none configured)'}`,
    // The operator registers each redirect URI with its upstream provider.
    ...config.upstreamProviders.map(({ id, name }) => `  upstream:  ${name} (${id}), redirect URI ${config.issuer}${upstreamRedirectPath(id)}`),
  ];
  if (!Object.values(samples).includes(true)) return `${lines.join('\n')}\n`;
  const { confidentialClient, publicClient, account, adminClient } = SAMPLE_CREDENTIALS;
  lines.push('', 'Sample credentials (public: for trying stagepass only, never in production):');
  if (samples.confidentialClient) lines.push(`  confidential client: ${confidentialClient.clientId} / ${confidentialClient.clientSecret}`);
  if (samples.publicClient) lines.push(`  public client:       ${publicClient.clientId} (device flow, native app with PKCE)`);
  if (samples.account) lines.push(`  account:             ${account.username} / ${account.password}`);
  if (samples.adminClient) lines.push(`  admin client:        ${adminClient.clientId} / ${adminClient.clientSecret} (client_credentials, scope ${ADMIN_SCOPE})`);
  if (samples.publicClient && samples.account) {
    lines.push(
      '',
      'Try the device flow:',
      `  curl -s -d client_id=${publicClient.clientId} -d scope='openid offline_access' ${config.issuer}/device/auth`,
      `  then open verification_uri_complete in a browser and sign in as ${account.username}.`,
    );
  }
  if (samples.confidentialClient) {
    const sample = { issuer: config.issuer, clientId: confidentialClient.clientId, clientSecret: confidentialClient.clientSecret };
    for (const { plugin, section } of minters) {
      const example = plugin.example?.(section as never, sample);
      if (example) lines.push('', ...example);
    }
  }
  return `${lines.join('\n')}\n`;
}
