import { createHash } from 'node:crypto';

import { Cluster, Redis, ReplyError, type ChainableCommander } from 'ioredis';

import { asIndex, type IndexedFields, storeKeys } from './keys.js';
import { epochSeconds, type ModelPayload, type Store, StoreUnavailableError } from './store.js';

export interface RedisStoreOptions {
  url: string;
  keyPrefix: string;
  /**
   * Treat `url` as a seed node of a Redis Cluster. Every stagepass key then carries one hash tag,
   * so that multi-key updates stay atomic (MULTI needs a single slot): the cluster brings failover,
   * not sharding of stagepass's keys.
   */
  cluster: boolean;
  /**
   * Milliseconds a command may take before it fails. Commands are never queued while Redis is
   * unreachable either: a request fails fast rather than piling up, and ioredis reconnects by itself.
   */
  commandTimeout?: number;
  /** Connection errors: reported, not thrown, since ioredis reconnects by itself. */
  onConnectionError?: (error: Error) => void;
  /** Commands that failed; the caller gets the error as well. */
  onCommandError?: (error: Error) => void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

/** Replies that mean "not now" rather than "wrong command": the server is loading, failing over or busy. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY)\b/;

type RedisClient = Redis | Cluster;

/** Model records are hashes: the JSON payload, and `consumed` set apart so consuming is one HSETNX. */
const PAYLOAD = 'payload';
const CONSUMED = 'consumed';

/**
 * Marks a record consumed only if it exists and is not consumed yet, in one step: HSETNX alone
 * would create a stray hash (without expiry) for a missing record.
 */
const CONSUME_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], '${PAYLOAD}') == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], '${CONSUMED}', ARGV[1])`;

/**
 * One command rather than a MULTI of three: counters sit on the token endpoint's hot path. The
 * lifetime is set with the first increment only, so a counter is a fixed window.
 */
const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count`;
const INCREMENT_SHA = createHash('sha1').update(INCREMENT_SCRIPT).digest('hex');

export class RedisStore implements Store {
  readonly #client: RedisClient;
  readonly #onCommandError: (error: Error) => void;

  constructor(options: RedisStoreOptions) {
    const commandTimeout = options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const common = {
      lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000, commandTimeout, enableOfflineQueue: false,
      // Commands issued in the same tick by concurrent requests go out in one write.
      enableAutoPipelining: true,
    };
    this.#onCommandError = options.onCommandError ?? (() => {});
    if (options.cluster) {
      const seed = new URL(options.url);
      this.#client = new Cluster([{ host: seed.hostname, port: Number(seed.port || 6379) }], {
        lazyConnect: true,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        keyPrefix: `{${options.keyPrefix}}`,
        redisOptions: {
          connectTimeout: common.connectTimeout,
          commandTimeout,
          maxRetriesPerRequest: common.maxRetriesPerRequest,
          username: decodeURIComponent(seed.username) || undefined,
          password: decodeURIComponent(seed.password) || undefined,
          tls: seed.protocol === 'rediss:' ? {} : undefined,
        },
      });
    } else {
      this.#client = new Redis(options.url, { ...common, keyPrefix: options.keyPrefix });
    }
    this.#client.on('error', (error: Error) => options.onConnectionError?.(error));
  }

  /** Connects and checks the server answers, so a wrong URL fails at start, not at first request. */
  async connect(): Promise<void> {
    await this.#client.connect();
    await this.#client.ping();
  }

  async upsertModel(model: string, id: string, payload: ModelPayload, expiresIn?: number): Promise<void> {
    return this.#guard(async () => {
      const key = storeKeys.model(model, id);
      const tx = this.#client.multi();
      tx.del(key);
      tx.hset(key, PAYLOAD, JSON.stringify(payload));
      if (typeof payload.consumed === 'number') tx.hset(key, CONSUMED, String(payload.consumed));
      expire(tx, key, expiresIn);
      const { uid, userCode, grantId } = payload as IndexedFields;
      const uidIndex = asIndex(uid);
      const userCodeIndex = asIndex(userCode);
      const grantIndex = asIndex(grantId);
      if (uidIndex) setWithExpiry(tx, storeKeys.uid(model, uidIndex), id, expiresIn);
      if (userCodeIndex) setWithExpiry(tx, storeKeys.userCode(model, userCodeIndex), id, expiresIn);
      if (grantIndex) addMember(tx, storeKeys.grant(grantIndex), key, expiresIn);
      await execOrThrow(tx);
    });
  }

  async findModel(model: string, id: string): Promise<ModelPayload | undefined> {
    return this.#guard(async () => {
      const record = await this.#client.hgetall(storeKeys.model(model, id));
      const json = record[PAYLOAD];
      if (json === undefined) return undefined;
      const payload = JSON.parse(json) as ModelPayload;
      const consumed = record[CONSUMED];
      return consumed === undefined ? payload : { ...payload, consumed: Number(consumed) };
    });
  }

  async findModelByUid(model: string, uid: string): Promise<ModelPayload | undefined> {
    return this.#guard(async () => {
      const id = await this.#client.get(storeKeys.uid(model, uid));
      return id === null ? undefined : this.findModel(model, id);
    });
  }

  async findModelByUserCode(model: string, userCode: string): Promise<ModelPayload | undefined> {
    return this.#guard(async () => {
      const id = await this.#client.get(storeKeys.userCode(model, userCode));
      return id === null ? undefined : this.findModel(model, id);
    });
  }

  async consumeModel(model: string, id: string): Promise<boolean> {
    return this.#guard(async () => {
      const set = await this.#client.eval(CONSUME_SCRIPT, 1, storeKeys.model(model, id), String(epochSeconds()));
      return set === 1;
    });
  }

  async destroyModel(model: string, id: string): Promise<void> {
    return this.#guard(async () => {
      await this.#client.del(storeKeys.model(model, id));
    });
  }

  async revokeGrant(grantId: string): Promise<void> {
    return this.#guard(async () => {
      const grantKey = storeKeys.grant(grantId);
      const members = await this.#client.smembers(grantKey);
      const tx = this.#client.multi();
      for (const key of members) tx.del(key);
      tx.del(grantKey);
      await execOrThrow(tx);
    });
  }

  async getValue(key: string): Promise<string | undefined> {
    return this.#guard(async () => {
      return (await this.#client.get(storeKeys.value(key))) ?? undefined;
    });
  }

  async setValue(key: string, value: string, expiresIn: number): Promise<void> {
    return this.#guard(async () => {
      await this.#client.set(storeKeys.value(key), value, 'EX', expiresIn);
    });
  }

  async setValueIfAbsent(key: string, value: string, expiresIn: number): Promise<string> {
    return this.#guard(async () => {
      const previous = await this.#client.set(storeKeys.value(key), value, 'EX', expiresIn, 'NX', 'GET');
      return previous ?? value;
    });
  }

  async deleteValue(key: string): Promise<void> {
    return this.#guard(async () => {
      await this.#client.del(storeKeys.value(key));
    });
  }

  async addToSet(key: string, member: string, expiresIn: number): Promise<void> {
    return this.#guard(async () => {
      const tx = this.#client.multi();
      addMember(tx, storeKeys.set(key), member, expiresIn);
      await execOrThrow(tx);
    });
  }

  async setMembers(key: string): Promise<string[]> {
    return this.#guard(async () => {
      return this.#client.smembers(storeKeys.set(key));
    });
  }

  async incrementValue(key: string, expiresIn: number): Promise<number> {
    return this.#guard(async () => (await this.#client.evalsha(INCREMENT_SHA, 1, storeKeys.value(key), expiresIn).catch((error: Error) => {
      if (!error.message.startsWith('NOSCRIPT')) throw error;
      return this.#client.eval(INCREMENT_SCRIPT, 1, storeKeys.value(key), expiresIn);
    })) as number);
  }

  async removeFromSet(key: string, member: string): Promise<void> {
    return this.#guard(async () => {
      await this.#client.srem(storeKeys.set(key), member);
    });
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.#client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.#client.quit().catch(() => this.#client.disconnect());
  }

  /** Reports every failed command, and turns the ones worth retrying into StoreUnavailableError. */
  async #guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      this.#onCommandError(error as Error);
      if (error instanceof ReplyError && !TRANSIENT_REPLY.test((error as Error).message)) throw error;
      throw new StoreUnavailableError(`redis is unavailable: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** A set lives as long as its longest-lived member: NX sets a first expiry, GT extends it. */
function addMember(tx: ChainableCommander, setKey: string, member: string, expiresIn: number | undefined): void {
  tx.sadd(setKey, member);
  if (expiresIn === undefined) {
    tx.persist(setKey);
  } else {
    tx.expire(setKey, expiresIn, 'NX');
    tx.expire(setKey, expiresIn, 'GT');
  }
}

function expire(tx: ChainableCommander, key: string, expiresIn: number | undefined): void {
  if (expiresIn !== undefined) tx.expire(key, expiresIn);
}

function setWithExpiry(tx: ChainableCommander, key: string, value: string, expiresIn: number | undefined): void {
  if (expiresIn === undefined) tx.set(key, value);
  else tx.set(key, value, 'EX', expiresIn);
}

async function execOrThrow(tx: ChainableCommander): Promise<unknown[]> {
  const results = await tx.exec();
  if (results === null) throw new Error('redis transaction was aborted');
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
