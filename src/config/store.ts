import { z } from 'zod';

import type { StoreSettings } from '../store/create-store.js';
import { redisNode } from './rules.js';

/**
 * Where the state lives: Redis (one server, a master watched by Sentinels, or a Cluster), or memory
 * when none is named. Top-level settings, checked against the shape the store takes.
 */
export const storeSettingsSchema = z.strictObject({
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional().meta({
    description: 'the Redis server (`redis://` or `rediss://`, with a user and password when it asks for them)',
    absent: 'the in-memory store, unless `redisSentinels` name one',
  }),
  redisSentinels: z.array(redisNode).min(1).optional().meta({
    description: 'Redis Sentinels that know the master (one master with replicas), instead of `redisUrl` (not both)',
  }),
  redisSentinelName: z.string().min(1).optional().meta({ description: 'the master\'s name as the sentinels know it; required with `redisSentinels`' }),
  redisSentinelPassword: z.string().min(1).optional().meta({ description: 'the password the sentinels ask for' }),
  redisKeyPrefix: z.string().default('stagepass:').meta({ description: 'the prefix of every key stagepass writes in Redis; without `{` or `}` on a Redis Cluster' }),
  redisCluster: z.boolean().default(false).meta({ description: 'treat `redisUrl` as a seed node of a Redis Cluster (not with `redisSentinels`)' }),
  redisClusterNodes: z.array(redisNode).min(1).optional().meta({
    description: 'further seed nodes of the cluster beside `redisUrl`\'s, tried in turn at start, so that one node down does not stop an instance from starting '
      + '(`redisUrl`\'s user, password and TLS apply to them); needs `redisCluster` and `redisUrl`',
  }),
  redisCommandTimeoutMs: z.int().min(10).max(60_000).default(2000).meta({
    description: 'milliseconds a store call may wait on Redis, counted from when it is made (commands queued behind others included), before the request fails with 503',
  }),
}) satisfies z.ZodType<StoreSettings>;

/** The rules between the store's settings, and cluster mode's need of Redis. */
export function checkStoreSettings(
  config: z.output<typeof storeSettingsSchema> & { cluster: boolean },
  issue: (path: string[], message: string) => void,
): void {
  const usesRedis = config.redisUrl !== undefined || config.redisSentinels !== undefined;
  if (config.cluster && !usesRedis) issue(['cluster'], 'cluster mode needs redisUrl: workers share their state through Redis');
  if (config.redisUrl !== undefined && config.redisSentinels !== undefined) issue(['redisSentinels'], 'give either redisUrl or redisSentinels, not both');
  if (config.redisSentinels !== undefined && config.redisSentinelName === undefined) {
    issue(['redisSentinelName'], 'redisSentinels needs redisSentinelName, the master\'s name as the sentinels know it');
  }
  if (config.redisSentinels !== undefined && config.redisCluster) issue(['redisCluster'], 'a Redis Cluster is reached through redisUrl, not redisSentinels');
  if (config.redisClusterNodes !== undefined && !(config.redisCluster && config.redisUrl !== undefined)) {
    issue(['redisClusterNodes'], 'names further seed nodes of a Redis Cluster: it needs redisCluster and redisUrl');
  }
  if (config.redisCluster && /[{}]/.test(config.redisKeyPrefix)) {
    // A hash tag in the prefix would put every key in one slot of the cluster.
    issue(['redisKeyPrefix'], 'must not contain { or } with redisCluster: every key would land in one slot');
  }
}
