import type { Config } from '../config/schema.js';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from './store.js';

/**
 * Redis when the configuration names one, memory otherwise. Every Redis error is counted;
 * connection errors are logged too (a failed command is logged by the request that met it).
 */
export async function createStore(
  config: Pick<Config, 'redisUrl' | 'redisSentinels' | 'redisSentinelName' | 'redisSentinelPassword' | 'redisKeyPrefix' | 'redisCluster' | 'redisCommandTimeoutMs'>,
  logger: Logger,
  countRedisError: () => void = () => {},
): Promise<Store> {
  const sentinel = config.redisSentinels && {
    sentinels: config.redisSentinels, name: config.redisSentinelName!, password: config.redisSentinelPassword,
  };
  if (config.redisUrl === undefined && sentinel === undefined) return new MemoryStore();
  const store = new RedisStore({
    url: config.redisUrl,
    sentinel,
    keyPrefix: config.redisKeyPrefix,
    cluster: config.redisCluster,
    commandTimeout: config.redisCommandTimeoutMs,
    onConnectionError: (error) => {
      countRedisError();
      logger.error('redis connection error', { error: error.message });
    },
    onCommandError: countRedisError,
  });
  try {
    await store.connect();
  } catch (cause) {
    await store.close();
    const where = config.redisUrl === undefined
      ? `master ${sentinel!.name} through sentinels ${sentinel!.sentinels.map(({ host, port }) => `${host}:${port}`).join(', ')}`
      : redactPassword(config.redisUrl);
    throw new Error(`cannot reach Redis at ${where}: ${(cause as Error).message}`);
  }
  return store;
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
