/**
 * The Lua scripts behind the Redis store. Each runs atomically on the server, so a commit, a
 * touch and a lock release are each one round trip (EVALSHA, via ioredis `defineCommand`) and
 * nothing can interleave with them. Field names follow `redis-session-hash.ts`.
 *
 * Times come from the application (ARGV), never from the server's clock: the expiry kept in the
 * record is judged by the same clock that wrote it. Numbers are written back with
 * `string.format('%.0f')` because Lua's own number-to-string conversion may use an exponent.
 */

/** The names the scripts are defined under on a client; prefixed so as not to clash. */
export const COMMIT_COMMAND = 'typedSessionCommit';
export const TOUCH_COMMAND = 'typedSessionTouch';
export const RELEASE_LOCK_COMMAND = 'typedSessionReleaseLock';
export const DESTROY_IF_UNCHANGED_COMMAND = 'typedSessionDestroyIfUnchanged';

/** Shared: the instant the record at KEYS[1] dies, or nil when it has no metadata. */
const RECORD_EXPIRY = `
local function record_expiry(key)
  local meta = redis.call('HMGET', key, '_i', '_a')
  local idle = tonumber(meta[1])
  if not idle then return nil end
  local absolute = tonumber(meta[2])
  if absolute and absolute < idle then return absolute end
  return idle
end
`;

/**
 * KEYS[1] the session hash.
 * ARGV: mode, now, createdAt, lastSeenAt, idleExpiresAt, absoluteExpiresAt ('' = none),
 *       #set, #remove, #expect, then the set pairs (namespace, text), the removed namespaces,
 *       the expected pairs (namespace, revision).
 * Returns {'ok'}, {'missing'} or {'conflict', namespace...}.
 */
export const COMMIT_SCRIPT = `${RECORD_EXPIRY}
local key = KEYS[1]
local now = tonumber(ARGV[2])
local set_count, remove_count, expect_count = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local set_at, remove_at, expect_at = 10, 10 + 2 * set_count, 10 + 2 * set_count + remove_count

-- A record that is expired by its own expiry counts as gone, even while its TTL keeps it.
local expiry = record_expiry(key)
local live = expiry ~= nil and now < expiry
if not live and ARGV[1] == 'update' then return {'missing'} end
-- A create writes a whole new record: whatever is under the id, live or dead, is replaced.
if ARGV[1] == 'create' then live = false end

local moved = {}
for i = expect_at, expect_at + 2 * expect_count - 1, 2 do
  local current = 0
  if live then current = tonumber(redis.call('HGET', key, 'r:' .. ARGV[i])) or 0 end
  if current ~= tonumber(ARGV[i + 1]) then moved[#moved + 1] = ARGV[i] end
end
if #moved > 0 then
  table.insert(moved, 1, 'conflict')
  return moved
end

-- None of the old namespaces may come back under a new record.
if not live then redis.call('DEL', key) end

for i = set_at, set_at + 2 * set_count - 1, 2 do
  redis.call('HSET', key, 'd:' .. ARGV[i], ARGV[i + 1])
  redis.call('HINCRBY', key, 'r:' .. ARGV[i], 1)
end
for i = remove_at, remove_at + remove_count - 1 do
  if redis.call('HDEL', key, 'd:' .. ARGV[i]) == 1 then
    redis.call('HINCRBY', key, 'r:' .. ARGV[i], 1)
  end
end

redis.call('HSET', key, '_c', ARGV[3], '_l', ARGV[4], '_i', ARGV[5], '_a', ARGV[6])
local dies = tonumber(ARGV[5])
local absolute = tonumber(ARGV[6])
if absolute and absolute < dies then dies = absolute end
redis.call('PEXPIREAT', key, string.format('%.0f', dies))
return {'ok'}
`;

/**
 * KEYS[1] the session hash. ARGV: now, lastSeenAt, idleExpiresAt.
 * A blind touch: no data is read or rewritten. A missing or expired record is left alone, so a
 * touch never creates anything; the TTL moves to the earlier of the new idle expiry and the
 * absolute expiry kept in the record. Times only move forward. Returns 1 if touched, else 0.
 */
export const TOUCH_SCRIPT = `${RECORD_EXPIRY}
local key = KEYS[1]
local expiry = record_expiry(key)
if expiry == nil or tonumber(ARGV[1]) >= expiry then return 0 end
local meta = redis.call('HMGET', key, '_l', '_i', '_a')
local last_seen = math.max(tonumber(meta[1]) or 0, tonumber(ARGV[2]))
local idle = math.max(tonumber(meta[2]), tonumber(ARGV[3]))
redis.call('HSET', key, '_l', string.format('%.0f', last_seen), '_i', string.format('%.0f', idle))
local dies = idle
local absolute = tonumber(meta[3])
if absolute and absolute < dies then dies = absolute end
redis.call('PEXPIREAT', key, string.format('%.0f', dies))
return 1
`;

/**
 * KEYS[1] the session hash. ARGV: now, then pairs (namespace, revision): the snapshot.
 * Compare-and-delete on the one key, so it works on a cluster whatever slot any other id is in:
 * the hash goes only if it is live and its `r:` fields are exactly the snapshot (no namespace
 * more, none less, every number equal). Only field names are listed (HKEYS), not the values.
 * Returns 'destroyed', 'missing' or 'changed'.
 */
export const DESTROY_IF_UNCHANGED_SCRIPT = `${RECORD_EXPIRY}
local key = KEYS[1]
local expiry = record_expiry(key)
if expiry == nil or tonumber(ARGV[1]) >= expiry then return 'missing' end
local expected, expected_count = {}, 0
for i = 2, #ARGV, 2 do
  expected[ARGV[i]] = tonumber(ARGV[i + 1])
  expected_count = expected_count + 1
end
local names = {}
for _, field in ipairs(redis.call('HKEYS', key)) do
  if string.sub(field, 1, 2) == 'r:' then names[#names + 1] = field end
end
if #names ~= expected_count then return 'changed' end
if #names > 0 then
  local values = redis.call('HMGET', key, unpack(names))
  for i, field in ipairs(names) do
    local want = expected[string.sub(field, 3)]
    if want == nil or tonumber(values[i]) ~= want then return 'changed' end
  end
end
redis.call('DEL', key)
return 'destroyed'
`;

/** KEYS[1] the lock key, ARGV[1] the token: delete only if the token still holds it. */
export const RELEASE_LOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
