import type { Enrolment, EnrolmentOutcome, RosterEntry } from './rosters.js';

/**
 * A roster's keys on Redis, all under one base key of the roster's group (one slot of a cluster):
 * `live` and `records` (sorted sets of members scored by their end, epoch milliseconds by the
 * store's clock), `names` (the recorded members, all scored 0, for paging by member), `sub:<subset>` (likewise), `rec:<member>` (the record) and `subs:<member>` (the
 * JSON list of the member's subsets). Each script is given the base alone and names the others
 * from it, since which subsets it touches is read inside the step.
 */
const COMMON = `
local base = KEYS[1]
local live, records, names = base .. 'live', base .. 'records', base .. 'names'
local function setOf(subset) if subset == '' then return live end return base .. 'sub:' .. subset end
local function leave(who)
  redis.call('ZREM', live, who)
  local subs = redis.call('GET', base .. 'subs:' .. who)
  if subs then for _, subset in ipairs(cjson.decode(subs)) do redis.call('ZREM', setOf(subset), who) end end
end
local function keepFor(set, ttl)
  redis.call('EXPIRE', set, ttl, 'NX')
  redis.call('EXPIRE', set, ttl, 'GT')
end`;

export const ROSTER_SCRIPTS = {
  /**
   * ARGV: member, record, now and end (epoch milliseconds), lifetime (seconds), 'join' or 'renew',
   * the displacing subset or '', the subsets (JSON list), the limits (JSON list of [subset or '', limit]),
   * '1' and the record a renewal replaces, or '0'.
   * Answers {'enrolled', displaced…}, {'limit_reached', subset or ''}, {'not_live'}, {'changed'} or {'exists'}.
   */
  enrol: {
    numberOfKeys: 1,
    lua: `#!lua${COMMON}
local member, now, ttl = ARGV[1], ARGV[3], ARGV[5]
redis.call('ZREMRANGEBYSCORE', live, '-inf', now)
for _, ended in ipairs(redis.call('ZRANGEBYSCORE', records, '-inf', now)) do redis.call('ZREM', names, ended) end
redis.call('ZREMRANGEBYSCORE', records, '-inf', now)
if ARGV[6] == 'join' and redis.call('EXISTS', base .. 'rec:' .. member) == 1 then return {'exists'} end
if ARGV[6] == 'renew' and not redis.call('ZSCORE', live, member) then return {'not_live'} end
if ARGV[10] == '1' and redis.call('GET', base .. 'rec:' .. member) ~= ARGV[11] then return {'changed'} end
local displaced = {}
if ARGV[7] ~= '' then
  local set = setOf(ARGV[7])
  redis.call('ZREMRANGEBYSCORE', set, '-inf', now)
  for _, other in ipairs(redis.call('ZRANGE', set, 0, -1)) do
    if other ~= member and redis.call('ZSCORE', live, other) then table.insert(displaced, other) end
  end
end
local countedIn = {['']=true}
for _, subset in ipairs(cjson.decode(ARGV[8])) do countedIn[subset] = true end
for _, limit in ipairs(cjson.decode(ARGV[9])) do
  if countedIn[limit[1]] then
    local set = setOf(limit[1])
    redis.call('ZREMRANGEBYSCORE', set, '-inf', now)
    local count = redis.call('ZCARD', set)
    if redis.call('ZSCORE', set, member) then count = count - 1 end
    for _, other in ipairs(displaced) do if redis.call('ZSCORE', set, other) then count = count - 1 end end
    if count >= tonumber(limit[2]) then return {'limit_reached', limit[1]} end
  end
end
for _, other in ipairs(displaced) do leave(other) end
leave(member)
redis.call('ZADD', live, ARGV[4], member)
redis.call('ZADD', records, ARGV[4], member)
redis.call('ZADD', names, 0, member)
keepFor(live, ttl)
keepFor(records, ttl)
keepFor(names, ttl)
for _, subset in ipairs(cjson.decode(ARGV[8])) do
  redis.call('ZADD', setOf(subset), ARGV[4], member)
  keepFor(setOf(subset), ttl)
end
redis.call('SET', base .. 'rec:' .. member, ARGV[2], 'EX', ttl)
redis.call('SET', base .. 'subs:' .. member, ARGV[8], 'EX', ttl)
return {'enrolled', unpack(displaced)}`,
  },
  /** ARGV: member, record. Answers 1, or 0 when there is no record. */
  leaveRoster: {
    numberOfKeys: 1,
    lua: `#!lua${COMMON}
local member = ARGV[1]
if redis.call('EXISTS', base .. 'rec:' .. member) == 0 then return 0 end
redis.call('SET', base .. 'rec:' .. member, ARGV[2], 'KEEPTTL')
leave(member)
return 1`,
  },
  /** ARGV: member, now. Answers {record, end, live end or ''}, or nothing. */
  rosterEntry: {
    numberOfKeys: 1,
    lua: `#!lua flags=no-writes${COMMON}
local value = redis.call('GET', base .. 'rec:' .. ARGV[1])
local ends = redis.call('ZSCORE', records, ARGV[1])
if not value or not ends or tonumber(ends) <= tonumber(ARGV[2]) then return false end
return {value, ends, redis.call('ZSCORE', live, ARGV[1]) or ''}`,
  },
  /**
   * ARGV: the member to page after or '', how many, now. Up to that many members and one more,
   * by member, whose end is after now: read a page at a time, never the whole roster.
   */
  rosterPage: {
    numberOfKeys: 1,
    lua: `#!lua flags=no-writes${COMMON}
local from, wanted, now = ARGV[1] == '' and '-' or '(' .. ARGV[1], tonumber(ARGV[2]) + 1, tonumber(ARGV[3])
local found = {}
while #found < wanted do
  local batch = redis.call('ZRANGEBYLEX', names, from, '+', 'LIMIT', 0, wanted)
  if #batch == 0 then break end
  for _, member in ipairs(batch) do
    local ends = redis.call('ZSCORE', records, member)
    if ends and tonumber(ends) > now and #found < wanted then table.insert(found, member) end
    from = '(' .. member
  end
end
return found`,
  },
} as const;

/** The script's arguments for an enrolment. */
export function enrolArguments({ member, value, expiresIn, as, displacing, subsets, limits, replacing }: Enrolment, now: number): (string | number)[] {
  return [
    member, value, now, now + expiresIn * 1000, expiresIn, as, displacing ?? '',
    JSON.stringify(subsets), JSON.stringify(limits.map(({ subset, limit }) => [subset ?? '', limit])),
    ...(replacing === undefined ? ['0', ''] : ['1', replacing]),
  ];
}

export function enrolmentOutcome([outcome, ...rest]: string[]): EnrolmentOutcome {
  if (outcome === 'enrolled') return { outcome, displaced: rest };
  if (outcome === 'limit_reached') return { outcome, subset: rest[0] === '' || rest[0] === undefined ? null : rest[0] };
  return { outcome: outcome as 'not_live' | 'changed' | 'exists' };
}

export function rosterEntryOf(member: string, answer: [string, string, string] | null, now: number): RosterEntry | undefined {
  if (!answer) return undefined;
  const [value, ends, liveEnds] = answer;
  return { member, value, endsAt: Number(ends), live: liveEnds !== '' && Number(liveEnds) > now };
}
