import { Cluster, Redis, ReplyError, type ChainableCommander } from 'ioredis';

import { asIndex, type IndexedFields, storeKeys } from './keys.js';
import {
  epochSeconds, type CountedInsert, type CountedInsertOutcome, type ModelPayload, type Rotation, type Store, type Successor, type StoreHealth, StoreUnavailableError,
} from './store.js';

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
   * Milliseconds a store call may take before it fails, however long its commands waited to be
   * sent. Commands are never queued while Redis is unreachable either: a request fails fast
   * rather than piling up, and ioredis reconnects by itself.
   */
  commandTimeout?: number;
  /** Connection errors: reported, not thrown, since ioredis reconnects by itself. */
  onConnectionError?: (error: Error) => void;
  /** Commands that failed; the caller gets the error as well. */
  onCommandError?: (error: Error) => void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

/**
 * Replies that mean "not now" rather than "wrong command": the server is loading, failing over,
 * busy, or full (OOM: at maxmemory with noeviction it refuses writes until memory is freed).
 */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|OOM)\b/;

/** Written by the health check: whether Redis takes writes, which it refuses when full. */
const HEALTH_PROBE_KEY = 'health-probe';

type RedisClient = Redis | Cluster;

/** Model records are hashes: the JSON payload, and `consumed` set apart so consuming is one HSETNX. */
const PAYLOAD = 'payload';
const CONSUMED = 'consumed';
/** On a record consumed by a rotation: the id of the record that replaced it. */
const SUCCESSOR = 'successor';

/** The body of the upsertModel script, which rotateModel runs too after its own check. */
const UPSERT_MODEL = `
local ttl = tonumber(ARGV[3])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '${PAYLOAD}', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], '${CONSUMED}', ARGV[2]) end
if ttl then redis.call('EXPIRE', KEYS[1], ttl) end
for i = 2, 3 do
  if ARGV[4 + i] ~= '-' then
    if ttl then redis.call('SET', KEYS[i], ARGV[4], 'EX', ttl) else redis.call('SET', KEYS[i], ARGV[4]) end
  end
end
if ARGV[8] ~= '-' then
  redis.call('SADD', KEYS[4], ARGV[5])
  if ttl then
    redis.call('EXPIRE', KEYS[4], ttl, 'NX')
    redis.call('EXPIRE', KEYS[4], ttl, 'GT')
  else
    redis.call('PERSIST', KEYS[4])
  end
end`;

/**
 * Scripts run as one command each: atomic like MULTI, and one round trip and one reply to decode
 * where a MULTI costs five. ioredis sends them by SHA and loads them where the server lacks them.
 * Each declares itself a writer (`#!lua`, Redis 7): a full Redis then refuses it whole with OOM
 * before it starts, where an undeclared script that began with a DEL would go on writing.
 */
const SCRIPTS = {
  /**
   * Replaces a model record and writes its indices. KEYS: record, uid index, user code index,
   * grant set. ARGV: payload JSON, consumed epoch second or '', lifetime in seconds or '', the
   * record's id, the record's key as the grant set lists it, then '+' or '-' for each index: whether
   * the payload has it.
   */
  upsertModel: {
    numberOfKeys: 4,
    lua: `#!lua
${UPSERT_MODEL}`,
  },
  /**
   * upsertModel's KEYS and ARGV for the successor, then KEYS[5] the consumed record, ARGV[9] the
   * epoch second: consumes it and saves its successor only if it exists and is not consumed yet.
   */
  rotateModel: {
    numberOfKeys: 5,
    lua: `#!lua
if redis.call('HEXISTS', KEYS[5], '${PAYLOAD}') == 0 then return 0 end
if redis.call('HSETNX', KEYS[5], '${CONSUMED}', ARGV[9]) == 0 then return 0 end
redis.call('HSET', KEYS[5], '${SUCCESSOR}', ARGV[4])
${UPSERT_MODEL}
return 1`,
  },
  /**
   * Marks a record consumed only if it exists and is not consumed yet, in one step: HSETNX alone
   * would create a stray hash (without expiry) for a missing record.
   */
  consumeModel: {
    numberOfKeys: 1,
    lua: `#!lua
if redis.call('HEXISTS', KEYS[1], '${PAYLOAD}') == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], '${CONSUMED}', ARGV[1])`,
  },
  /** Counters sit on the token endpoint's hot path; the lifetime is set with the first increment only, so a counter is a fixed window. */
  incrementValue: {
    numberOfKeys: 1,
    lua: `#!lua
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count`,
  },
  /**
   * KEYS: claim, counted set (a sorted set scored by expiry, epoch milliseconds), record, listing
   * set. ARGV: claim value, claim lifetime, limit, member, now and the member's expiry (epoch
   * milliseconds), record value, lifetime in seconds.
   */
  insertCounted: {
    numberOfKeys: 4,
    lua: `#!lua
local held = redis.call('GET', KEYS[1])
if held then return {'claimed', held} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return {'limit_reached'} end
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[4])
redis.call('SET', KEYS[3], ARGV[7], 'EX', ARGV[8])
redis.call('SADD', KEYS[4], ARGV[4])
for _, set in ipairs({KEYS[2], KEYS[4]}) do
  redis.call('EXPIRE', set, ARGV[8], 'NX')
  redis.call('EXPIRE', set, ARGV[8], 'GT')
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return {'inserted'}`,
  },
} as const;

type ScriptArgument = string | number;
type Scripted = { [name in keyof typeof SCRIPTS]: (...args: ScriptArgument[]) => Promise<unknown> };

export class RedisStore implements Store {
  readonly #client: RedisClient;
  readonly #onCommandError: (error: Error) => void;
  readonly #commandTimeout: number;

  constructor(options: RedisStoreOptions) {
    const commandTimeout = options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#commandTimeout = commandTimeout;
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
    for (const [name, script] of Object.entries(SCRIPTS)) this.#client.defineCommand(name, script);
    this.#client.on('error', (error: Error) => options.onConnectionError?.(error));
  }

  get #scripts(): Scripted {
    return this.#client as unknown as Scripted;
  }

  /** Connects and checks the server answers, so a wrong URL fails at start, not at first request. */
  async connect(): Promise<void> {
    await this.#client.connect();
    await this.#client.ping();
  }

  async upsertModel(model: string, id: string, payload: ModelPayload, expiresIn?: number): Promise<void> {
    return this.#guard(async () => {
      const { keys, argv } = upsertArguments(model, id, payload, expiresIn);
      await this.#scripts.upsertModel(...keys, ...argv);
    });
  }

  async rotateModel(model: string, id: string, successor: Rotation): Promise<boolean> {
    return this.#guard(async () => {
      const { keys, argv } = upsertArguments(model, successor.id, successor.payload, successor.expiresIn);
      const rotated = await this.#scripts.rotateModel(...keys, storeKeys.model(model, id), ...argv, String(epochSeconds()));
      return rotated === 1;
    });
  }

  async findSuccessor(model: string, id: string): Promise<Successor | undefined> {
    return this.#guard(async () => {
      const [successor, consumed] = await this.#client.hmget(storeKeys.model(model, id), SUCCESSOR, CONSUMED);
      return successor && consumed ? { id: successor, consumedAt: Number(consumed) } : undefined;
    });
  }

  async findModel(model: string, id: string): Promise<ModelPayload | undefined> {
    return this.#guard(() => this.#readModel(model, id));
  }

  async findModelByUid(model: string, uid: string): Promise<ModelPayload | undefined> {
    return this.#guard(async () => {
      const id = await this.#client.get(storeKeys.uid(model, uid));
      return id === null ? undefined : this.#readModel(model, id);
    });
  }

  async findModelByUserCode(model: string, userCode: string): Promise<ModelPayload | undefined> {
    return this.#guard(async () => {
      const id = await this.#client.get(storeKeys.userCode(model, userCode));
      return id === null ? undefined : this.#readModel(model, id);
    });
  }

  async consumeModel(model: string, id: string): Promise<boolean> {
    return this.#guard(async () => {
      return (await this.#scripts.consumeModel(storeKeys.model(model, id), String(epochSeconds()))) === 1;
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

  async incrementValue(key: string, expiresIn: number, by = 1): Promise<number> {
    return this.#guard(async () => (await this.#scripts.incrementValue(storeKeys.value(key), expiresIn, by)) as number);
  }

  async removeFromSet(key: string, member: string): Promise<void> {
    return this.#guard(async () => {
      await this.#client.srem(storeKeys.set(key), member);
    });
  }

  async insertCounted({ claim, countedIn, limit, member, record, listedIn, expiresIn }: CountedInsert): Promise<CountedInsertOutcome> {
    return this.#guard(async () => {
      const now = Date.now();
      const [outcome, value] = (await this.#scripts.insertCounted(
        storeKeys.value(claim.key), storeKeys.counted(countedIn), storeKeys.value(record.key), storeKeys.set(listedIn),
        claim.value, claim.expiresIn, limit, member, now, now + expiresIn * 1000, record.value, expiresIn,
      )) as [CountedInsertOutcome['outcome'], string?];
      return outcome === 'claimed' ? { outcome, value: value! } : { outcome } as CountedInsertOutcome;
    });
  }

  async countLive(key: string): Promise<number> {
    return this.#guard(async () => this.#client.zcount(storeKeys.counted(key), `(${Date.now()}`, '+inf'));
  }

  async removeCounted(key: string, member: string): Promise<void> {
    return this.#guard(async () => {
      await this.#client.zrem(storeKeys.counted(key), member);
    });
  }

  /** A write that expires at once: Redis answers reads when full, and only a write tells. */
  async health(): Promise<StoreHealth> {
    try {
      await this.#client.set(storeKeys.value(HEALTH_PROBE_KEY), '1', 'PX', 1_000);
      return 'ok';
    } catch (error) {
      return error instanceof ReplyError && /^OOM\b/.test((error as Error).message) ? 'full' : 'unreachable';
    }
  }

  /**
   * The eviction policy of the Redis (each primary of a cluster), or undefined where the server
   * will not say. Any policy but noeviction lets Redis drop stagepass's state when memory runs out.
   */
  async evictionPolicies(): Promise<string[]> {
    const nodes = this.#client instanceof Cluster ? this.#client.nodes('master') : [this.#client];
    const infos = await Promise.all(nodes.map((node) => node.info('memory').catch(() => '')));
    return infos.flatMap((info) => /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? []);
  }

  async close(): Promise<void> {
    await this.#client.quit().catch(() => this.#client.disconnect());
  }

  async #readModel(model: string, id: string): Promise<ModelPayload | undefined> {
    const record = await this.#client.hgetall(storeKeys.model(model, id));
    const json = record[PAYLOAD];
    if (json === undefined) return undefined;
    const payload = JSON.parse(json) as ModelPayload;
    const consumed = record[CONSUMED];
    return consumed === undefined ? payload : { ...payload, consumed: Number(consumed) };
  }

  /**
   * Reports every failed command, and turns the ones worth retrying into StoreUnavailableError.
   * ioredis times a command from when it is written, and with auto-pipelining a command may first
   * wait behind a batch in flight: the deadline here holds from when the caller asks.
   */
  async #guard<T>(operation: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`redis did not answer within ${this.#commandTimeout} ms`)), this.#commandTimeout);
    });
    try {
      return await Promise.race([operation(), deadline]);
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        this.#onCommandError(error);
        throw error;
      }
      this.#onCommandError(error as Error);
      if (error instanceof ReplyError && !isTransient(error as Error)) throw error;
      throw new StoreUnavailableError(`redis is unavailable: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A MULTI that Redis discarded is as transient as the refusal of its commands that made it discard it. */
function isTransient(error: Error): boolean {
  const { previousErrors } = error as Error & { previousErrors?: Error[] };
  if (/^EXECABORT\b/.test(error.message) && previousErrors?.length) return previousErrors.every((cause) => TRANSIENT_REPLY.test(cause.message));
  return TRANSIENT_REPLY.test(error.message);
}

/** upsertModel's KEYS (record, uid index, user code index, grant set) and ARGV. */
function upsertArguments(model: string, id: string, payload: ModelPayload, expiresIn: number | undefined): { keys: string[]; argv: ScriptArgument[] } {
  const key = storeKeys.model(model, id);
  const { uid, userCode, grantId } = payload as IndexedFields;
  const uidIndex = asIndex(uid);
  const userCodeIndex = asIndex(userCode);
  const grantIndex = asIndex(grantId);
  const keys = [
    key,
    uidIndex ? storeKeys.uid(model, uidIndex) : '',
    userCodeIndex ? storeKeys.userCode(model, userCodeIndex) : '',
    grantIndex ? storeKeys.grant(grantIndex) : '',
  ];
  const argv = [
    JSON.stringify(payload),
    typeof payload.consumed === 'number' ? String(payload.consumed) : '',
    expiresIn === undefined ? '' : expiresIn,
    id,
    key,
    uidIndex ? '+' : '-',
    userCodeIndex ? '+' : '-',
    grantIndex ? '+' : '-',
  ];
  return { keys, argv };
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

async function execOrThrow(tx: ChainableCommander): Promise<unknown[]> {
  const results = await tx.exec();
  if (results === null) throw new Error('redis transaction was aborted');
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
