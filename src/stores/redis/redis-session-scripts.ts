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
export const DESTROY_COMMAND = 'typedSessionDestroy';

/**
 * Shared: the instant a record dies from its stored idle and absolute expiry (`expiry_of`), or
 * that of the record at KEYS[1] (`record_expiry`); nil when it has no metadata.
 */
const RECORD_EXPIRY = `
local function expiry_of(idle_field, absolute_field)
  local idle = tonumber(idle_field)
  if not idle then return nil end
  local absolute = tonumber(absolute_field)
  if absolute and absolute < idle then return absolute end
  return idle
end
local function record_expiry(key)
  local meta = redis.call('HMGET', key, '_i', '_a')
  return expiry_of(meta[1], meta[2])
end
`;

/**
 * KEYS[1] the session hash.
 * ARGV: mode, now, createdAt, lastSeenAt, idleExpiresAt, absoluteExpiresAt ('' = none),
 *       #set, #remove, #expect, then the set pairs (namespace, text), the removed namespaces,
 *       the expected pairs (namespace, revision), and last the owner: '' leaves the binding as
 *       stored, '-' unbinds, else the owner's JSON (field `_u`).
 * Returns {'ok', owner before, owner after} ('' for none), {'missing'} or
 * {'conflict', namespace...}.
 */
export const COMMIT_SCRIPT = `${RECORD_EXPIRY}
local key = KEYS[1]
local now = tonumber(ARGV[2])
local set_count, remove_count, expect_count = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local set_at, remove_at, expect_at = 10, 10 + 2 * set_count, 10 + 2 * set_count + remove_count

-- One read for the record's expiry and its binding.
local meta = redis.call('HMGET', key, '_i', '_a', '_u')
local expiry = expiry_of(meta[1], meta[2])
-- A record that is expired by its own expiry counts as gone, even while its TTL keeps it.
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

-- The binding before this write (a create's dead or replaced record too): the store takes the
-- session out of that user's index when the binding changed.
local owner_before = meta[3] or ''

-- None of the old namespaces may come back under a new record.
if not live then redis.call('DEL', key) end

local owner = ARGV[#ARGV]
local owner_after = owner
if owner == '-' then
  redis.call('HDEL', key, '_u')
  owner_after = ''
elseif owner == '' then
  if live then owner_after = owner_before end
end

-- Every field in one HSET (in pieces, far below Lua's limit on unpacked arguments).
local fields = {'_c', ARGV[3], '_l', ARGV[4], '_i', ARGV[5], '_a', ARGV[6]}
if owner ~= '' and owner ~= '-' then
  fields[#fields + 1] = '_u'
  fields[#fields + 1] = owner
end
for i = set_at, set_at + 2 * set_count - 1, 2 do
  fields[#fields + 1] = 'd:' .. ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  if #fields >= 1000 then
    redis.call('HSET', key, unpack(fields))
    fields = {}
  end
end
if #fields > 0 then redis.call('HSET', key, unpack(fields)) end
for i = set_at, set_at + 2 * set_count - 1, 2 do
  redis.call('HINCRBY', key, 'r:' .. ARGV[i], 1)
end
for i = remove_at, remove_at + remove_count - 1 do
  if redis.call('HDEL', key, 'd:' .. ARGV[i]) == 1 then
    redis.call('HINCRBY', key, 'r:' .. ARGV[i], 1)
  end
end

local dies = tonumber(ARGV[5])
local absolute = tonumber(ARGV[6])
if absolute and absolute < dies then dies = absolute end
redis.call('PEXPIREAT', key, string.format('%.0f', dies))
return {'ok', owner_before, owner_after}
`;

/**
 * KEYS[1] the session hash. ARGV: now, lastSeenAt, idleExpiresAt.
 * A blind touch: no data is read or rewritten. A missing or expired record is left alone, so a
 * touch never creates anything; the TTL moves to the earlier of the new idle expiry and the
 * absolute expiry kept in the record. Times only move forward. Returns 0 if not touched, else
 * the owner's JSON (`_u`, '' when unbound) for the user index.
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
return redis.call('HGET', key, '_u') or ''
`;

/**
 * KEYS[1] the session hash. ARGV: now, then pairs (namespace, revision): the snapshot.
 * Compare-and-delete on the one key, so it works on a cluster whatever slot any other id is in:
 * the hash goes only if it is live and its `r:` fields are exactly the snapshot (no namespace
 * more, none less, every number equal). Only field names are listed (HKEYS), not the values.
 * Returns {'ok', owner JSON or ''} when it destroyed the session (the owner for the user index;
 * 'ok' first, as a commit's, so that `waitForReplicas` confirms it), {'missing'} or {'changed'}.
 */
export const DESTROY_IF_UNCHANGED_SCRIPT = `${RECORD_EXPIRY}
local key = KEYS[1]
local expiry = record_expiry(key)
if expiry == nil or tonumber(ARGV[1]) >= expiry then return {'missing'} end
local expected, expected_count = {}, 0
for i = 2, #ARGV, 2 do
  expected[ARGV[i]] = tonumber(ARGV[i + 1])
  expected_count = expected_count + 1
end
local names = {}
for _, field in ipairs(redis.call('HKEYS', key)) do
  if string.sub(field, 1, 2) == 'r:' then names[#names + 1] = field end
end
if #names ~= expected_count then return {'changed'} end
if #names > 0 then
  local values = redis.call('HMGET', key, unpack(names))
  for i, field in ipairs(names) do
    local want = expected[string.sub(field, 3)]
    if want == nil or tonumber(values[i]) ~= want then return {'changed'} end
  end
end
local owner = redis.call('HGET', key, '_u') or ''
redis.call('DEL', key)
return {'ok', owner}
`;

/**
 * KEYS[1] the session hash (its lock key is the same name with ':lock', in the same slot).
 * ARGV: now, and a user id or ''. Deletes the session and its lock; with a user id, only if the
 * session is bound to that user (`destroyForUser` never ends a session rebound to someone else
 * meanwhile). Returns {'ok', deleted (0/1), live (0/1), owner JSON or ''}: 'ok' first, so that
 * `waitForReplicas` confirms it as it did a plain DEL.
 */
export const DESTROY_SCRIPT = `${RECORD_EXPIRY}
local key = KEYS[1]
local owner = redis.call('HGET', key, '_u') or ''
if ARGV[2] ~= '' then
  if owner == '' then return {'ok', 0, 0, ''} end
  local ok, decoded = pcall(cjson.decode, owner)
  if not ok or type(decoded) ~= 'table' or decoded.userId ~= ARGV[2] then return {'ok', 0, 0, owner} end
end
local expiry = record_expiry(key)
local live = 0
if expiry ~= nil and tonumber(ARGV[1]) < expiry then live = 1 end
local deleted = redis.call('DEL', key, key .. ':lock')
if deleted > 0 then deleted = 1 end
return {'ok', deleted, live, owner}
`;

/** KEYS[1] the lock key, ARGV[1] the token: delete only if the token still holds it. */
export const RELEASE_LOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
