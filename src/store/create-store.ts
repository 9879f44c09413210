import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../time/clock.js';
import type { Store } from './store.js';

/** Where the store is: the configuration's Redis settings, none of them for the memory store. */
export interface StoreSettings {
  redisUrl?: string | undefined;
  redisSentinels?: { host: string; port: number }[] | undefined;
  redisSentinelName?: string | undefined;
  redisSentinelPassword?: string | undefined;
  redisKeyPrefix: string;
  redisCluster: boolean;
  redisClusterNodes?: { host: string; port: number }[] | undefined;
  redisCommandTimeoutMs: number;
}

/**
 * Redis when the configuration names one, memory otherwise. Either stamps what it writes by
 * `clock`; the memory store expires by it too, Redis by its own. Every Redis error is counted;
 * connection errors are logged too (a failed command is logged by the request that met it).
 */
export async function createStore(
  config: StoreSettings,
  logger: Logger,
  countRedisError: () => void,
  clock: Clock,
): Promise<Store> {
  const sentinel = config.redisSentinels && {
    sentinels: config.redisSentinels, name: config.redisSentinelName!, password: config.redisSentinelPassword,
  };
  if (config.redisUrl === undefined && sentinel === undefined) return new MemoryStore(clock);
  const store = new RedisStore({
    url: config.redisUrl,
    sentinel,
    keyPrefix: config.redisKeyPrefix,
    clock,
    cluster: config.redisCluster,
    clusterNodes: config.redisClusterNodes,
    commandTimeout: config.redisCommandTimeoutMs,
    onConnectionError: onceInAWhile(CONNECTION_ERROR_LOG_INTERVAL_MS, (error, repeated) => {
      logger.error('redis connection error', { error: error.message, ...(repeated > 0 ? { repeatedSinceLastLogged: repeated } : {}) });
    }, countRedisError),
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
  await warnOfEviction(store, logger);
  return store;
}

/**
 * A node that stays down is retried by ioredis several times a second, each retry an error: each
 * source's errors are logged once in this interval, with how many went unlogged in between.
 */
const CONNECTION_ERROR_LOG_INTERVAL_MS = 30_000;

/** Calls `log` for a source's first error and then at most once per `intervalMs`; `count`, for every error. */
function onceInAWhile(intervalMs: number, log: (error: Error, repeated: number) => void, count: () => void) {
  const bySource = new Map<string, { loggedAt: number; unlogged: number }>();
  return (error: Error, source = '') => {
    count();
    const now = performance.now();
    const seen = bySource.get(source);
    if (seen && now - seen.loggedAt < intervalMs) {
      seen.unlogged += 1;
      return;
    }
    log(error, seen?.unlogged ?? 0);
    bySource.set(source, { loggedAt: now, unlogged: 0 });
  };
}

/**
 * Refresh tokens, license limits and lockouts are state, not a cache: a Redis that evicts when
 * full loses them silently, where with noeviction it refuses writes and stagepass answers 503.
 */
async function warnOfEviction(store: RedisStore, logger: Logger): Promise<void> {
  const evicting = (await store.evictionPolicies()).filter((policy) => policy !== 'noeviction');
  if (evicting.length === 0) return;
  logger.warn('redis may evict stagepass state when full', {
    maxmemoryPolicy: [...new Set(evicting)].join(', '),
    advice: 'run Redis with maxmemory-policy noeviction: evicted refresh tokens, license limits and lockouts are lost without notice',
  });
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
