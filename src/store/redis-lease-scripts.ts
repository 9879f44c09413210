/**
 * The Lua scripts of the Redis store's leases. KEYS, always one group's (one hash tag): the lease
 * ends (a sorted set scored by epoch milliseconds, `+inf` for a lease held until released), the
 * kept leases (a hash of lease → `{"record", "units"}`), the counters (a hash of counter → units
 * held), then the claims (a hash of claim → value) and their ends (a sorted set like the leases'),
 * kept in the group so that ending the group forgets them too. ARGV[1] is now, by the store's clock.
 */

/**
 * Ends the leases whose time has passed and gives their units back; a counter back at zero is
 * removed, so that a group keeps no field for each person who once held a lease.
 */
const EXPIRE_LUA = `
local function release(id)
  local kept = redis.call('HGET', KEYS[2], id)
  redis.call('ZREM', KEYS[1], id)
  if not kept then return nil end
  redis.call('HDEL', KEYS[2], id)
  local lease = cjson.decode(kept)
  for counter, units in pairs(lease.units) do
    if redis.call('HINCRBY', KEYS[3], counter, -units) <= 0 then redis.call('HDEL', KEYS[3], counter) end
  end
  return lease.record
end
local function expire()
  local ended = {}
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])) do
    local record = release(id)
    if record then ended[#ended + 1] = record end
  end
  return ended
end`;

export const LEASE_SCRIPTS = {
  /** ARGV: now, lease, end ('+inf': until released), kept lease JSON, claim, claim value, claim lifetime (seconds), then counter, units, limit for each counter. */
  reserveLease: {
    numberOfKeys: 5,
    lua: `#!lua${EXPIRE_LUA}
local expired = expire()
for _, claim in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', ARGV[1])) do redis.call('HDEL', KEYS[4], claim) end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', ARGV[1])
local held = redis.call('HGET', KEYS[4], ARGV[5])
if held then return {'claimed', held, expired} end
for i = 8, #ARGV, 3 do
  local now = tonumber(redis.call('HGET', KEYS[3], ARGV[i]) or '0')
  if now + tonumber(ARGV[i + 1]) > tonumber(ARGV[i + 2]) then return {'refused', ARGV[i], expired} end
end
for i = 8, #ARGV, 3 do redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1]) end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('HSET', KEYS[4], ARGV[5], ARGV[6])
redis.call('ZADD', KEYS[5], tonumber(ARGV[1]) + tonumber(ARGV[7]) * 1000, ARGV[5])
return {'reserved', '', expired}`,
  },
  /** ARGV: now, lease, new end, new kept lease JSON. */
  renewLease: {
    numberOfKeys: 3,
    lua: `#!lua
local ends = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not ends or ends == 'inf' or tonumber(ends) <= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
return 1`,
  },
  /** ARGV: now, lease. */
  releaseLease: {
    numberOfKeys: 3,
    lua: `#!lua${EXPIRE_LUA}
local ends = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not ends or (ends ~= 'inf' and tonumber(ends) <= tonumber(ARGV[1])) then return false end
return release(ARGV[2])`,
  },
  /** ARGV: now. Answers the records of the leases that were live. */
  endLeases: {
    numberOfKeys: 5,
    lua: `#!lua
local ended = {}
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
for _, id in ipairs(live) do
  local kept = redis.call('HGET', KEYS[2], id)
  if kept then ended[#ended + 1] = cjson.decode(kept).record end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
return ended`,
  },
  /** ARGV: now. */
  expireLeases: {
    numberOfKeys: 3,
    lua: `#!lua${EXPIRE_LUA}
return expire()`,
  },
} as const;
