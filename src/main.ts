import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';

import { ConfigError, DEFAULT_CONFIG_PATH } from './config/load.js';
import { type Config, loadConfigFile } from './app/config.js';
import type { Logger } from './observability/logger.js';
import { createStagepass, listen } from './app/app.js';
import { banner, samplesInUse } from './app/banner.js';
import { runClusterPrimary } from './app/cluster-primary.js';
import { shutDownGracefully } from './app/graceful-shutdown.js';
import { createLogger } from './observability/logger.js';
import { listenForMetrics } from './app/metrics-routes.js';
import { clusterMetrics, offerMetricsToClusterPrimary, ownMetrics } from './observability/metrics.js';

const configPath = process.env.STAGEPASS_CONFIG ?? DEFAULT_CONFIG_PATH;

try {
  const config = loadConfigFile(configPath, { PORT: process.env.PORT, ISSUER: process.env.ISSUER, REDIS_URL: process.env.REDIS_URL });
  const logger = createLogger({ level: config.logLevel });
  if (config.cluster && cluster.isPrimary) {
    const aggregated = clusterMetrics();
    await runClusterPrimary(availableParallelism(), logger);
    const { metrics } = config;
    if (metrics.enabled && metrics.port !== undefined) await listenForMetrics(aggregated, { ...metrics, port: metrics.port, host: config.host });
    process.stdout.write(banner(config, await samplesInUse(config)));
  } else {
    await serve(config, logger);
    // In cluster mode the primary speaks for the workers.
    if (cluster.isPrimary) process.stdout.write(banner(config, await samplesInUse(config)));
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
  else if (metrics.enabled && metrics.port !== undefined) servers.push(await listenForMetrics(ownMetrics(stagepass.metrics), { ...metrics, port: metrics.port, host: config.host }));
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
