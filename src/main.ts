import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';

import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from './config/load.js';
import { SAMPLE_CREDENTIALS } from './config/sample-credentials.js';
import type { Config } from './config/schema.js';
import { enabledMinters } from './grants/index.js';
import type { Logger } from './observability/logger.js';
import { createStagepass, listen, offersAdminApi } from './server/app.js';
import { runClusterPrimary } from './server/cluster-primary.js';
import { upstreamRedirectPath } from './server/upstream-sign-in-routes.js';
import { shutDownGracefully } from './server/graceful-shutdown.js';
import { createLogger } from './server/logger.js';
import { clusterMetrics, listenForMetrics, offerMetricsToClusterPrimary, ownMetrics } from './server/metrics.js';

const configPath = process.env.STAGEPASS_CONFIG ?? DEFAULT_CONFIG_PATH;

try {
  const config = loadConfigFile(configPath, { PORT: process.env.PORT, ISSUER: process.env.ISSUER, REDIS_URL: process.env.REDIS_URL });
  const logger = createLogger({ level: config.logLevel });
  if (config.cluster && cluster.isPrimary) {
    const aggregated = clusterMetrics();
    await runClusterPrimary(availableParallelism(), logger);
    const { metrics } = config;
    if (metrics.enabled && metrics.port !== undefined) await listenForMetrics(aggregated, { ...metrics, port: metrics.port });
    process.stdout.write(banner(config, usesSampleCredentials(config)));
  } else {
    await serve(config, logger);
    // In cluster mode the primary speaks for the workers.
    if (cluster.isPrimary) process.stdout.write(banner(config, usesSampleCredentials(config)));
  }
} catch (error) {
  const message = error instanceof ConfigError || (error as Error).message.startsWith('invalid config')
    ? (error as Error).message
    : `stagepass failed to start: ${(error as Error).stack ?? String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function serve(config: Config, logger: Logger): Promise<void> {
  const stagepass = await createStagepass(config, { logger });
  const servers = [await listen(stagepass)];
  const { metrics } = config;
  // A worker's metrics port is the primary's, which serves all workers' metrics together.
  if (cluster.isWorker) offerMetricsToClusterPrimary(stagepass.metrics);
  else if (metrics.enabled && metrics.port !== undefined) servers.push(await listenForMetrics(ownMetrics(stagepass.metrics), { ...metrics, port: metrics.port }));
  let stopping = false;
  // In cluster mode a worker may get SIGINT from the terminal and SIGTERM from the primary.
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await shutDownGracefully(stagepass, servers);
    await logger.close();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/** The sample clients' secrets are public: whoever runs with them is only trying stagepass out. */
function usesSampleCredentials(config: Config): boolean {
  const { confidentialClient } = SAMPLE_CREDENTIALS;
  return config.clients.some((c) => c.client_id === confidentialClient.clientId && c.client_secret === confidentialClient.clientSecret);
}

function banner(config: Config, withSamples: boolean): string {
  const lines = [
    `stagepass is listening on port ${config.port}`,
    `  issuer:    ${config.issuer}`,
    `  discovery: ${config.issuer}/.well-known/openid-configuration`,
    `  store:     ${config.redisUrl || config.redisSentinels ? 'redis' : 'in-memory (state is lost on restart)'}`,
    `  clients:   ${config.clients.map((c) => c.client_id).join(', ') || '(none)'}`,
    `  minters:   ${enabledMinters(config, { adminApi: offersAdminApi(config) }).map(({ plugin }) => plugin.name).join(', ') || '(none configured)'}`,
    // The operator registers each redirect URI with its upstream provider.
    ...config.upstreamProviders.map(({ id, name }) => `  upstream:  ${name} (${id}), redirect URI ${config.issuer}${upstreamRedirectPath(id)}`),
  ];
  if (withSamples) {
    const { confidentialClient, publicClient, account } = SAMPLE_CREDENTIALS;
    lines.push(
      '',
      'Sample credentials (public: for trying stagepass only, never in production):',
      `  confidential client: ${confidentialClient.clientId} / ${confidentialClient.clientSecret}`,
      `  public client:       ${publicClient.clientId} (device flow, native app with PKCE)`,
      `  account:             ${account.username} / ${account.password}`,
      '',
      'Try the device flow:',
      `  curl -s -d client_id=${publicClient.clientId} -d scope='openid offline_access' ${config.issuer}/device/auth`,
      `  then open verification_uri_complete in a browser and sign in as ${account.username}.`,
    );
    const sample = { issuer: config.issuer, clientId: confidentialClient.clientId, clientSecret: confidentialClient.clientSecret };
    for (const { plugin, section } of enabledMinters(config, { adminApi: offersAdminApi(config) })) {
      const example = plugin.example?.(section as never, sample);
      if (example) lines.push('', ...example);
    }
  }
  return `${lines.join('\n')}\n`;
}
