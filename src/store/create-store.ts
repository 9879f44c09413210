import type { Config } from '../config/schema.js';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import type { Logger } from '../server/logger.js';
import type { Store } from './store.js';

/** Redis when the configuration names one, memory otherwise. */
export async function createStore(
  config: Pick<Config, 'redisUrl' | 'redisKeyPrefix' | 'redisCluster'>,
  logger: Logger,
): Promise<Store> {
  if (config.redisUrl === undefined) return new MemoryStore();
  const store = new RedisStore({
    url: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    cluster: config.redisCluster,
    onConnectionError: (error) => logger.error('redis connection error', { error: error.message }),
  });
  try {
    await store.connect();
  } catch (cause) {
    await store.close();
    throw new Error(`cannot reach Redis at ${redactPassword(config.redisUrl)}: ${(cause as Error).message}`);
  }
  return store;
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
