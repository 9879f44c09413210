import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, ReplyError, type ChainableCommander } from 'ioredis';

import { type Clock, epochSeconds, offsetFromMachine } from '../time/clock.js';
import { asIndex, assertOneGroup, carriesIndex, type IndexedFields, storeKeys } from './keys.js';
import type { KeptLease, LeaseReservation, LeaseReservationOutcome, StoredLease } from './lease-store.js';
import { LEASE_SCRIPTS } from './redis-lease-scripts.js';
import { enrolArguments, enrolmentOutcome, ROSTER_SCRIPTS, rosterEntryOf } from './redis-rosters.js';
import {
  type CountedInsert, type CountedInsertOutcome, type Enrolment, type EnrolmentOutcome, type ModelPayload, type RosterEntry, type Store, type StoreHealth,
  StoreUnavailableError, type Successor,
} from './store.js';

export interface RedisStoreOptions {
  /** The server, or with `cluster` a seed node of the cluster; unused with `sentinel`. */
  url?: string;
  keyPrefix: string;
  /** What the store stamps by (a consumed record's second, a counted member's end); Redis expires keys by its own. */
  clock: Clock;
  /** With `cluster`, further seed nodes beside `url`'s, tried in turn; `url`'s user, password and TLS apply to them. */
  clusterNodes?: { host: string; port: number }[];
  /**
   * Treat `url` as a seed node of a Redis Cluster. Each record then lives in the slot of its own
   * key, so stagepass's keys spread over every master; only the keys of one atomic step share a
   * hash tag (see `inGroup`).
   */
  cluster?: boolean;
  /** Find the master through Redis Sentinel, which follows it across failovers. */
  sentinel?: SentinelOptions;
  /**
   * Milliseconds a store call may take before it fails, however long its commands waited to be
   * sent. Commands are never queued while Redis is unreachable either: a request fails fast
   * rather than piling up, and ioredis reconnects by itself.
   */
  commandTimeout?: number;
  /**
   * Connection errors: reported, not thrown, since ioredis reconnects by itself; `source` names the
   * node (a cluster's) or is absent (one server or its sentinels).
   */
  onConnectionError?: (error: Error, source?: string) => void;
  /** Commands that failed; the caller gets the error as well. */
  onCommandError?: (error: Error) => void;
}

export interface SentinelOptions {
  sentinels: { host: string; port: number }[];
  /** The master's name as the sentinels know it. */
  name: string;
  password?: string;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

/**
 * Replies that mean "not now" rather than "wrong command": the server is loading, failing over,
 * busy, or full (OOM: at maxmemory with noeviction it refuses writes until memory is freed), or
 * (MOVED, ASK) a cluster's slots are moving and ioredis ran out of redirections.
 */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|MOVED|ASK|OOM)\b/;

/** Written by the health check: Redis answers reads when full, and only a write tells whether it takes them. */
const HEALTH_PROBE_KEY = 'health-probe';

const CLUSTER_SLOTS = 16_384;

/** Names the node whose clock `clockOffset` reads; nothing is stored under it. */
const CLOCK_KEY = 'clock';

type RedisClient = Redis | Cluster;

/** Model records are hashes: the JSON payload, and `consumed` set apart so consuming is one HSETNX. */
const PAYLOAD = 'payload';
const CONSUMED = 'consumed';
/** On a record consumed by a rotation: the id of the record that replaced it. */
const SUCCESSOR = 'successor';

/**
 * Lua: adds a member to a set that lives as long as its longest-lived member, `ttl` seconds (nil:
 * until deleted). A new set takes the member's lifetime; GT extends an older one's, and leaves one
 * kept until deleted (Redis counts no expiry as an infinite one) as it is.
 */
const addMemberLua = (key: string, member: string) => `
local fresh = redis.call('EXISTS', ${key}) == 0
redis.call('SADD', ${key}, ${member})
if not ttl then redis.call('PERSIST', ${key})
elseif fresh then redis.call('EXPIRE', ${key}, ttl)
else redis.call('EXPIRE', ${key}, ttl, 'GT') end`;

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
if ARGV[8] ~= '-' then${addMemberLua('KEYS[4]', 'ARGV[5]')}
end`,
  },
  /** One record alone, as `upsertModel` writes it on a cluster. ARGV: payload JSON, consumed or '', lifetime or ''. */
  writeRecord: {
    numberOfKeys: 1,
    lua: `#!lua
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '${PAYLOAD}', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], '${CONSUMED}', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[3]) end`,
  },
  /** Adds a member to a set (see `addMemberLua`). ARGV: member, lifetime or ''. */
  addMember: {
    numberOfKeys: 1,
    lua: `#!lua
local ttl = tonumber(ARGV[2])${addMemberLua('KEYS[1]', 'ARGV[1]')}`,
  },
  /**
   * Marks a record consumed only if it exists and is not consumed yet, in one step: HSETNX alone
   * would create a stray hash (without expiry) for a missing record. ARGV: the epoch second, and
   * the id of the successor a rotation replaced it with, or ''.
   */
  consumeModel: {
    numberOfKeys: 1,
    lua: `#!lua
if redis.call('HEXISTS', KEYS[1], '${PAYLOAD}') == 0 then return 0 end
if redis.call('HSETNX', KEYS[1], '${CONSUMED}', ARGV[1]) == 0 then return 0 end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], '${SUCCESSOR}', ARGV[2]) end
return 1`,
  },
  /** Counters sit on the token endpoint's hot path; the lifetime is set with the first increment only, so a counter is a fixed window. */
  incrementValue: {
    numberOfKeys: 1,
    lua: `#!lua
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count`,
  },
  /** Compare and set. ARGV: '1' when a value is expected and then that value, '1' when one is to be written and then it, its lifetime or ''. */
  replaceValue: {
    numberOfKeys: 1,
    lua: `#!lua
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
if ARGV[3] ~= '1' then
  redis.call('DEL', KEYS[1])
elseif ARGV[5] == '' then
  redis.call('SET', KEYS[1], ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[5])
end
return 1`,
  },
  /**
   * KEYS (one hash tag): claim, counted set (a sorted set scored by expiry, epoch milliseconds),
   * record. ARGV: claim value, claim lifetime, limit, member, now and the member's expiry (epoch
   * milliseconds), record value, lifetime in seconds.
   */
  // KEYS[4], a second counted set, is counted only when ARGV[9] (its limit) is not 0.
  insertCounted: {
    numberOfKeys: 4,
    lua: `#!lua
local held = redis.call('GET', KEYS[1])
if held then return {'claimed', held} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return {'limit_reached', 'countedIn'} end
local second = tonumber(ARGV[9]) > 0
if second then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[5])
  if redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[9]) then return {'limit_reached', 'alsoCountedIn'} end
end
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[4])
redis.call('SET', KEYS[3], ARGV[7], 'EX', ARGV[8])
redis.call('EXPIRE', KEYS[2], ARGV[8], 'NX')
redis.call('EXPIRE', KEYS[2], ARGV[8], 'GT')
if second then
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[4])
  redis.call('EXPIRE', KEYS[4], ARGV[8], 'NX')
  redis.call('EXPIRE', KEYS[4], ARGV[8], 'GT')
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return {'inserted'}`,
  },
  /**
   * The server's clock as TIME answers it (seconds, microseconds). KEYS: one fixed key, never
   * written: on a cluster it names the node whose clock every instance reads.
   */
  time: {
    numberOfKeys: 1,
    lua: `#!lua flags=no-writes
return redis.call('TIME')`,
  },
  ...LEASE_SCRIPTS,
  ...ROSTER_SCRIPTS,
} as const;

type ScriptArgument = string | number;
type Scripted = { [name in keyof typeof SCRIPTS]: (...args: ScriptArgument[]) => Promise<unknown> };

/**
 * Redis expires keys by its own clock; the times this store writes itself (a consumed record's
 * second, a counted member's end) are read from the clock it is given, as the memory store's are,
 * so that what compares them with that clock compares like with like.
 */
export class RedisStore implements Store {
  readonly #client: RedisClient;
  readonly #clock: Clock;
  readonly #onCommandError: (error: Error) => void;
  readonly #commandTimeout: number;

  constructor(options: RedisStoreOptions) {
    this.#client = connectionFor(options);
    this.#clock = options.clock;
    this.#commandTimeout = options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#onCommandError = options.onCommandError ?? (() => {});
    for (const [name, script] of Object.entries(SCRIPTS)) this.#client.defineCommand(name, script);
    const onConnectionError = options.onConnectionError ?? (() => {});
    this.#client.on('error', (error: Error) => onConnectionError(error));
    // A cluster reports a node it cannot reach here only, not as 'error'.
    this.#client.on('node error', (error: Error, node: string) => onConnectionError(new Error(`node ${node}: ${error.message}`, { cause: error }), node));
  }

  get #scripts(): Scripted {
    return this.#client as unknown as Scripted;
  }

  /** Connects and checks the server answers, so a wrong URL fails at start, not at first request. */
  async connect(): Promise<void> {
    await this.#client.connect();
    // Within the command timeout: a cluster's ping may go to a master that is down but not yet
    // failed over, where it would wait for ever.
    await this.#guard(() => this.#client.ping());
  }

  async upsertModel(model: string, id: string, payload: ModelPayload, expiresIn?: number): Promise<void> {
    return this.#guard(async () => {
      if (this.#client instanceof Cluster) return this.#upsertSpread(model, id, payload, expiresIn);
      const key = storeKeys.model(model, id);
      const { uid, userCode, grantId } = payload as IndexedFields;
      const uidIndex = asIndex(uid);
      const userCodeIndex = asIndex(userCode);
      const grantIndex = asIndex(grantId);
      await this.#scripts.upsertModel(
        key,
        uidIndex ? storeKeys.uid(model, uidIndex) : '',
        userCodeIndex ? storeKeys.userCode(model, userCodeIndex) : '',
        grantIndex ? storeKeys.grant(grantIndex) : '',
        JSON.stringify(payload),
        typeof payload.consumed === 'number' ? String(payload.consumed) : '',
        expiresIn === undefined ? '' : expiresIn,
        id,
        key,
        uidIndex ? '+' : '-',
        userCodeIndex ? '+' : '-',
        grantIndex ? '+' : '-',
      );
    });
  }

  /**
   * On a cluster the record and each of its indices live in slots of their own, written one by one.
   * The grant lists the record before the record exists, so that revoking the grant always finds
   * it (a listed record that was never written is harmless: it expires with the grant's set); the
   * uid and user code indices may point at a record not written yet or since replaced, which the
   * lookups check.
   */
  async #upsertSpread(model: string, id: string, payload: ModelPayload, expiresIn?: number): Promise<void> {
    const key = storeKeys.model(model, id);
    const { uid, userCode, grantId } = payload as IndexedFields;
    const lifetime = expiresIn ?? '';
    const grantIndex = asIndex(grantId);
    if (grantIndex) await this.#scripts.addMember(storeKeys.grant(grantIndex), key, lifetime);
    const consumed = typeof payload.consumed === 'number' ? String(payload.consumed) : '';
    const writes: Promise<unknown>[] = [this.#scripts.writeRecord(key, JSON.stringify(payload), consumed, lifetime)];
    const index = (indexKey: string) => writes.push(expiresIn === undefined ? this.#client.set(indexKey, id) : this.#client.set(indexKey, id, 'EX', expiresIn));
    const uidIndex = asIndex(uid);
    const userCodeIndex = asIndex(userCode);
    if (uidIndex) index(storeKeys.uid(model, uidIndex));
    if (userCodeIndex) index(storeKeys.userCode(model, userCodeIndex));
    await Promise.all(writes);
  }

  async findModel(model: string, id: string): Promise<ModelPayload | undefined> {
    return this.#guard(() => this.#readModel(model, id));
  }

  async findModelByUid(model: string, uid: string): Promise<ModelPayload | undefined> {
    return this.#guard(async () => {
      const id = await this.#client.get(storeKeys.uid(model, uid));
      const found = id === null ? undefined : await this.#readModel(model, id);
      return carriesIndex(found, 'uid', uid) ? found : undefined;
    });
  }

  async findModelByUserCode(model: string, userCode: string): Promise<ModelPayload | undefined> {
    return this.#guard(async () => {
      const id = await this.#client.get(storeKeys.userCode(model, userCode));
      const found = id === null ? undefined : await this.#readModel(model, id);
      return carriesIndex(found, 'userCode', userCode) ? found : undefined;
    });
  }

  async consumeModel(model: string, id: string, successorId?: string): Promise<boolean> {
    return this.#guard(async () => {
      return (await this.#scripts.consumeModel(storeKeys.model(model, id), String(epochSeconds(this.#clock)), successorId ?? '')) === 1;
    });
  }

  async findSuccessor(model: string, id: string): Promise<Successor | undefined> {
    return this.#guard(async () => {
      const [successor, consumed] = await this.#client.hmget(storeKeys.model(model, id), SUCCESSOR, CONSUMED);
      return successor && consumed ? { id: successor, consumedAt: Number(consumed) } : undefined;
    });
  }

  async forgetSuccessor(model: string, id: string): Promise<void> {
    await this.#guard(() => this.#client.hdel(storeKeys.model(model, id), SUCCESSOR));
  }

  async destroyModel(model: string, id: string): Promise<void> {
    return this.#guard(async () => {
      await this.#client.del(storeKeys.model(model, id));
    });
  }

  /**
   * On a cluster the grant's records are in slots of their own, deleted one by one: a revocation
   * cut off halfway leaves some, which oidc-provider refuses once their Grant is gone (the grant
   * adapter destroys it in the same step as this, before these deletes are sent).
   */
  async revokeGrant(grantId: string): Promise<void> {
    return this.#guard(async () => {
      const grantKey = storeKeys.grant(grantId);
      const members = await this.#client.smembers(grantKey);
      if (this.#client instanceof Cluster) {
        await Promise.all(members.map((key) => this.#client.del(key)));
        await this.#client.del(grantKey);
        return;
      }
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

  async setValue(key: string, value: string, expiresIn?: number): Promise<void> {
    return this.#guard(async () => {
      // A SET without EX drops any lifetime the value had: it is kept until deleted.
      if (expiresIn === undefined) await this.#client.set(storeKeys.value(key), value);
      else await this.#client.set(storeKeys.value(key), value, 'EX', expiresIn);
    });
  }

  async deleteValue(key: string): Promise<void> {
    return this.#guard(async () => {
      await this.#client.del(storeKeys.value(key));
    });
  }

  async extendValue(key: string, seconds: number): Promise<void> {
    return this.#guard(async () => {
      // GT: only a later expiry is set; a key without one counts as never expiring, an absent key is left absent.
      await this.#client.expire(storeKeys.value(key), seconds, 'GT');
    });
  }

  async addToSet(key: string, member: string, expiresIn?: number): Promise<void> {
    return this.#guard(async () => {
      await this.#scripts.addMember(storeKeys.set(key), member, expiresIn ?? '');
    });
  }

  async setMembers(key: string): Promise<string[]> {
    return this.#guard(async () => {
      return this.#client.smembers(storeKeys.set(key));
    });
  }

  async addUntilEnd(key: string, member: string, expiresIn: number): Promise<void> {
    return this.#guard(async () => {
      const now = this.#clock.now();
      const set = storeKeys.endingSet(key);
      // One key, one transaction: the set lives as long as its longest-lived member.
      await this.#client.multi()
        .zremrangebyscore(set, '-inf', now)
        .zadd(set, now + expiresIn * 1000, member)
        .expire(set, expiresIn, 'NX')
        .expire(set, expiresIn, 'GT')
        .exec();
    });
  }

  async liveMembers(key: string): Promise<string[]> {
    return this.#guard(async () => this.#client.zrangebyscore(storeKeys.endingSet(key), `(${this.#clock.now()}`, '+inf'));
  }

  async incrementValue(key: string, expiresIn: number, by = 1): Promise<number> {
    return this.#guard(async () => (await this.#scripts.incrementValue(storeKeys.value(key), expiresIn, by)) as number);
  }

  async replaceValue(key: string, expected: string | undefined, next: string | undefined, expiresIn?: number): Promise<boolean> {
    return this.#guard(async () => {
      // Setting a value that must be absent is one SET NX, without the script's read.
      if (expected === undefined && next !== undefined) return (await this.#setIfAbsent(storeKeys.value(key), next, expiresIn)) === 'OK';
      const replaced = await this.#scripts.replaceValue(
        storeKeys.value(key), expected === undefined ? '0' : '1', expected ?? '', next === undefined ? '0' : '1', next ?? '', expiresIn ?? '',
      );
      return replaced === 1;
    });
  }

  #setIfAbsent(key: string, value: string, expiresIn: number | undefined): Promise<'OK' | null> {
    return expiresIn === undefined ? this.#client.set(key, value, 'NX') : this.#client.set(key, value, 'EX', expiresIn, 'NX');
  }

  async removeFromSet(key: string, member: string): Promise<void> {
    return this.#guard(async () => {
      await this.#client.srem(storeKeys.set(key), member);
    });
  }

  async insertCounted({ claim, countedIn, limit, member, record, alsoCountedIn, expiresIn }: CountedInsert): Promise<CountedInsertOutcome> {
    assertOneGroup(claim.key, countedIn, record.key, ...(alsoCountedIn ? [alsoCountedIn.key] : []));
    return this.#guard(async () => {
      const now = this.#clock.now();
      // Without a second set, the first stands in its place (same slot) and is not counted twice.
      const [outcome, value] = (await this.#scripts.insertCounted(
        storeKeys.value(claim.key), storeKeys.counted(countedIn), storeKeys.value(record.key), storeKeys.counted(alsoCountedIn?.key ?? countedIn),
        claim.value, claim.expiresIn, limit, member, now, now + expiresIn * 1000, record.value, expiresIn, alsoCountedIn?.limit ?? 0,
      )) as [CountedInsertOutcome['outcome'], string?];
      if (outcome === 'claimed') return { outcome, value: value! };
      if (outcome === 'limit_reached') return { outcome, which: value as 'countedIn' | 'alsoCountedIn' };
      return { outcome };
    });
  }

  async removeCounted(key: string, member: string): Promise<void> {
    return this.#guard(async () => {
      await this.#client.zrem(storeKeys.counted(key), member);
    });
  }

  async reserveLease({ group, lease, units, record, until, claim }: LeaseReservation): Promise<LeaseReservationOutcome> {
    const kept: KeptLease = { record, units: Object.fromEntries(units.map(({ counter, units: taken }) => [counter, taken])) };
    return this.#guard(async () => {
      const [outcome, value, expired] = (await this.#scripts.reserveLease(
        ...leaseKeys(group), ...claimKeys(group),
        this.#clock.now(), lease, until ?? '+inf', JSON.stringify(kept), claim.name, claim.value, claim.expiresIn,
        ...units.flatMap(({ counter, units: taken, limit }) => [counter, taken, limit]),
      )) as ['reserved' | 'claimed' | 'refused', string, string[]];
      if (outcome === 'claimed') return { outcome, value, expired };
      if (outcome === 'refused') return { outcome, counter: value, expired };
      return { outcome, expired };
    });
  }

  async renewLease(group: string, lease: string, until: number, record: string): Promise<boolean> {
    const kept = await this.#keptLease(group, lease);
    if (!kept) return false;
    return this.#guard(async () => (await this.#scripts.renewLease(
      ...leaseKeys(group), this.#clock.now(), lease, until, JSON.stringify({ ...kept, record }),
    )) === 1);
  }

  async releaseLease(group: string, lease: string): Promise<string | undefined> {
    return this.#guard(async () => ((await this.#scripts.releaseLease(...leaseKeys(group), this.#clock.now(), lease)) as string | null) ?? undefined);
  }

  async findLease(group: string, lease: string): Promise<StoredLease | undefined> {
    return this.#guard(async () => {
      const [ends, kept] = leaseKeys(group);
      const [until, stored] = await Promise.all([this.#client.zscore(ends, lease), this.#client.hget(kept, lease)]);
      if (until === null || stored === null || (until !== 'inf' && Number(until) <= this.#clock.now())) return undefined;
      return { lease, record: (JSON.parse(stored) as KeptLease).record, ...(until === 'inf' ? {} : { until: Number(until) }) };
    });
  }

  async liveLeases(group: string): Promise<StoredLease[]> {
    return this.#guard(async () => {
      const [ends, kept] = leaseKeys(group);
      const scored = await this.#client.zrangebyscore(ends, `(${this.#clock.now()}`, '+inf', 'WITHSCORES');
      const ids = scored.filter((_, i) => i % 2 === 0);
      const records = ids.length === 0 ? [] : await this.#client.hmget(kept, ...ids);
      return ids.flatMap((lease, i) => {
        const stored = records[i];
        const until = scored[2 * i + 1]!;
        if (!stored) return [];
        return [{ lease, record: (JSON.parse(stored) as KeptLease).record, ...(until === 'inf' ? {} : { until: Number(until) }) }];
      });
    });
  }

  async leaseUnits(group: string): Promise<Record<string, number>> {
    return this.#guard(async () => {
      const counters = await this.#client.hgetall(leaseKeys(group)[2]);
      return Object.fromEntries(Object.entries(counters).map(([counter, units]) => [counter, Number(units)]));
    });
  }

  async endLeases(group: string): Promise<string[]> {
    return this.#guard(async () => (await this.#scripts.endLeases(...leaseKeys(group), ...claimKeys(group), this.#clock.now())) as string[]);
  }

  async expireLeases(group: string): Promise<string[]> {
    return this.#guard(async () => (await this.#scripts.expireLeases(...leaseKeys(group), this.#clock.now())) as string[]);
  }

  /** A lease's units as kept, for a renewal that replaces its record (which the script keeps whole). */
  async #keptLease(group: string, lease: string): Promise<KeptLease | undefined> {
    const stored = await this.#guard(() => this.#client.hget(leaseKeys(group)[1], lease));
    return stored === null ? undefined : JSON.parse(stored) as KeptLease;
  }

  async enrol(enrolment: Enrolment): Promise<EnrolmentOutcome> {
    return this.#guard(async () => {
      const answer = await this.#scripts.enrol(storeKeys.roster(enrolment.roster), ...enrolArguments(enrolment, this.#clock.now()));
      return enrolmentOutcome(answer as string[]);
    });
  }

  async rosterEntry(roster: string, member: string): Promise<RosterEntry | undefined> {
    return this.#guard(async () => {
      const now = this.#clock.now();
      return rosterEntryOf(member, (await this.#scripts.rosterEntry(storeKeys.roster(roster), member, now)) as [string, string, string] | null, now);
    });
  }

  async rosterPage(roster: string, limit: number, after?: string): Promise<{ entries: RosterEntry[]; more: boolean }> {
    const following = await this.#guard(async () => (await this.#scripts.rosterPage(storeKeys.roster(roster), after ?? '', limit, this.#clock.now())) as string[]);
    // A member whose end came between the two reads is skipped.
    const found = await Promise.all(following.slice(0, limit).map((member) => this.rosterEntry(roster, member)));
    return { entries: found.filter((entry) => entry !== undefined), more: following.length > limit };
  }

  async leaveRoster(roster: string, member: string, value: string): Promise<boolean> {
    return this.#guard(async () => (await this.#scripts.leaveRoster(storeKeys.roster(roster), member, value)) === 1);
  }

  async clockOffset(): Promise<number> {
    return this.#guard(() => offsetFromMachine(async () => {
      const [seconds, microseconds] = (await this.#scripts.time(storeKeys.value(CLOCK_KEY))) as [string, string];
      return Number(seconds) * 1000 + Math.floor(Number(microseconds) / 1000);
    }));
  }

  /**
   * Whether every key can be read and written now: on a cluster, whether each of the 16384 slots
   * has a master that answers (any one node answering says nothing of the slots of a dead master).
   * Then a write that expires at once, since a full Redis answers reads and refuses writes.
   */
  async health(): Promise<StoreHealth> {
    const answers = this.#client instanceof Cluster ? await this.#servesEverySlot(this.#client) : await answersPing(this.#client);
    if (!answers) return 'unreachable';
    const probes = this.#client instanceof Cluster ? this.#probeKeysPerMaster(this.#client) : [storeKeys.value(HEALTH_PROBE_KEY)];
    try {
      await Promise.all(probes.map((key) => this.#client.set(key, '1', 'PX', 1_000)));
      return 'ok';
    } catch (error) {
      return error instanceof ReplyError && /^OOM\b/.test((error as Error).message) ? 'full' : 'unreachable';
    }
  }

  /**
   * One probe key in a slot of each master, since each master fills up on its own: a key tagged
   * `{n}` lives in the slot of `n`, and the first n whose slot a master serves stands for it.
   */
  #probeKeysPerMaster(cluster: Cluster): string[] {
    const probes = new Map<string, string>();
    const masters = new Set(cluster.slots.map((owners) => owners?.[0]).filter((owner) => owner !== undefined));
    for (let tag = 0; probes.size < masters.size && tag < 100_000; tag += 1) {
      // The prefix has no braces (the configuration refuses them on a cluster), so the tag alone decides.
      const owner = cluster.slots[calculateSlot(String(tag))]?.[0];
      if (owner !== undefined && !probes.has(owner)) probes.set(owner, storeKeys.value(`${HEALTH_PROBE_KEY}:{${tag}}`));
    }
    return [...probes.values()];
  }

  /**
   * The eviction policy of the Redis (each master of a cluster) where the server says. Any policy
   * but noeviction lets Redis drop stagepass's state when memory runs out.
   */
  async evictionPolicies(): Promise<string[]> {
    const nodes = this.#client instanceof Cluster ? this.#client.nodes('master') : [this.#client];
    const infos = await Promise.all(nodes.map((node) => node.info('memory').catch(() => '')));
    return infos.flatMap((info) => /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? []);
  }

  async #servesEverySlot(cluster: Cluster): Promise<boolean> {
    const masters = new Map(cluster.nodes('master').map((node) => [`${node.options.host}:${node.options.port}`, node]));
    const owners = new Set<string>();
    for (let slot = 0; slot < CLUSTER_SLOTS; slot += 1) {
      const owner = cluster.slots[slot]?.[0];
      if (owner === undefined) return this.#refreshed(cluster);
      owners.add(owner);
    }
    const answers = await Promise.all([...owners].map((owner) => masters.has(owner) && answersPing(masters.get(owner)!)));
    return answers.every(Boolean) || this.#refreshed(cluster);
  }

  /** Not ready: the slot map may be stale after a failover, so ask the cluster for it again. */
  #refreshed(cluster: Cluster): false {
    cluster.refreshSlotsCache();
    return false;
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

/** A group's checkout claims and their ends. */
function claimKeys(group: string): [string, string] {
  return [storeKeys.lease(group, 'claims'), storeKeys.lease(group, 'claim-ends')];
}

/** A group's lease ends, kept leases and counters. */
function leaseKeys(group: string): [string, string, string] {
  return [storeKeys.lease(group, 'lease-ends'), storeKeys.lease(group, 'leases'), storeKeys.lease(group, 'lease-units')];
}

/** A MULTI that Redis discarded is as transient as the refusals of its commands that made it discard it. */
function isTransient(error: Error): boolean {
  const { previousErrors } = error as Error & { previousErrors?: Error[] };
  if (/^EXECABORT\b/.test(error.message) && previousErrors?.length) return previousErrors.every((cause) => TRANSIENT_REPLY.test(cause.message));
  return TRANSIENT_REPLY.test(error.message);
}

function connectionFor(options: RedisStoreOptions): RedisClient {
  const commandTimeout = options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const perServer = { connectTimeout: 5_000, commandTimeout, maxRetriesPerRequest: 1 };
  // Never queued while Redis is unreachable (a request fails fast rather than piling up); commands
  // issued in the same tick by concurrent requests go out in one write.
  const common = { lazyConnect: true, enableOfflineQueue: false, enableAutoPipelining: true, keyPrefix: options.keyPrefix };
  if (options.sentinel) {
    const { sentinels, name, password } = options.sentinel;
    return new Redis({ ...common, ...perServer, sentinels, name, sentinelPassword: password });
  }
  if (options.url === undefined) throw new Error('a Redis store needs a url or sentinels');
  if (!options.cluster) return new Redis(options.url, { ...common, ...perServer });
  const seed = new URL(options.url);
  return new Cluster([{ host: seed.hostname, port: Number(seed.port || 6379) }, ...(options.clusterNodes ?? [])], {
    ...common,
    redisOptions: {
      ...perServer,
      username: decodeURIComponent(seed.username) || undefined,
      password: decodeURIComponent(seed.password) || undefined,
      tls: seed.protocol === 'rediss:' ? {} : undefined,
    },
  });
}

async function answersPing(client: Redis | Cluster): Promise<boolean> {
  try {
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
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
