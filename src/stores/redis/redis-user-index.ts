import { createHash } from 'node:crypto';
import type { JsonValue } from '../../store/json-value.js';
import type { SessionMetadata } from '../../store/session-record.js';
import type { SessionOwner } from '../../store/session-owner.js';
import type { UserSessionEntry } from '../../store/user-session-entry.js';
import { CorruptSessionRecordError } from '../../store/session-store-error.js';

/**
 * The Redis store's index of sessions by user. A session's keys carry its own id as hash tag, so
 * a user's sessions lie in many cluster slots; the index is two keys of the user's own slot
 * (hash tag: a SHA-256 of the user id, so any id is safe inside the braces):
 *
 * - `${prefix}user:{h}`, a hash: `m:<session key>` → the info JSON the app attached, as given;
 *   `t:<session key>` → `created:lastSeen:idleExpires:absoluteExpires` ('' for none);
 * - `${prefix}user:{h}:exp`, a sorted set of the session keys, scored by the instant the
 *   session can live to at most: its absolute expiry, or its idle expiry when it has none.
 *
 * Every call is one script on that slot, so one round trip: it first prunes the members whose
 * score has passed (they are dead whatever happened since), and the index keys expire with
 * their last member. Listing filters out what the record's own expiry says is dead.
 */
export const USER_INDEX_COMMAND = 'typedSessionUserIndex';

/**
 * KEYS[1] the hash, KEYS[2] the sorted set. ARGV[1] the operation, ARGV[2] now, then:
 * - 'bind': session key, score, times, info JSON: add or replace the session's entry;
 * - 'refresh': session key, lastSeenAt, idleExpiresAt: move an entry's times forward (never
 *   adds one: a session destroyed meanwhile must not come back into the index);
 * - 'remove': session keys...;
 * - 'list': nothing; answers the hash's fields and values, flat.
 */
export const USER_INDEX_SCRIPT = `
local hash, zset, op, now = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local function prune()
  while true do
    local dead = redis.call('ZRANGEBYSCORE', zset, '-inf', now, 'LIMIT', 0, 500)
    if #dead == 0 then return end
    redis.call('ZREM', zset, unpack(dead))
    local fields = {}
    for _, member in ipairs(dead) do
      fields[#fields + 1] = 'm:' .. member
      fields[#fields + 1] = 't:' .. member
    end
    redis.call('HDEL', hash, unpack(fields))
  end
end
-- The index lives as long as its longest-lived member.
local function keep_until_last()
  local last = redis.call('ZRANGE', zset, -1, -1, 'WITHSCORES')
  if #last == 0 then
    redis.call('DEL', hash, zset)
    return
  end
  local at = string.format('%.0f', tonumber(last[2]))
  redis.call('PEXPIREAT', hash, at)
  redis.call('PEXPIREAT', zset, at)
end
prune()
if op == 'bind' then
  redis.call('HSET', hash, 'm:' .. ARGV[3], ARGV[6], 't:' .. ARGV[3], ARGV[5])
  redis.call('ZADD', zset, ARGV[4], ARGV[3])
  keep_until_last()
  return 1
elseif op == 'refresh' then
  local times = redis.call('HGET', hash, 't:' .. ARGV[3])
  if not times then return 0 end
  local c, l, i, a = string.match(times, '^(%d+):(%d+):(%d+):(%d*)$')
  if not c then return 0 end
  l = math.max(tonumber(l), tonumber(ARGV[4]))
  i = math.max(tonumber(i), tonumber(ARGV[5]))
  redis.call('HSET', hash, 't:' .. ARGV[3], c .. ':' .. string.format('%.0f', l) .. ':' ..
    string.format('%.0f', i) .. ':' .. a)
  if a == '' then
    redis.call('ZADD', zset, string.format('%.0f', i), ARGV[3])
    keep_until_last()
  end
  return 1
elseif op == 'remove' then
  for n = 3, #ARGV do
    redis.call('ZREM', zset, ARGV[n])
    redis.call('HDEL', hash, 'm:' .. ARGV[n], 't:' .. ARGV[n])
  end
  keep_until_last()
  return 1
elseif op == 'list' then
  return redis.call('HGETALL', hash)
end
return redis.error_reply('unknown user index operation ' .. op)
`;

/** The two keys of a user's index, in the user's own slot. */
export function userIndexKeys(prefix: string, userId: string): [string, string] {
  const tag = createHash('sha256').update(userId).digest('base64url');
  const hash = `${prefix}user:{${tag}}`;
  return [hash, `${hash}:exp`];
}

/** The score of a session in its user's index: the latest instant it can be alive. */
export function indexScore(metadata: SessionMetadata): number {
  return metadata.absoluteExpiresAt ?? metadata.idleExpiresAt;
}

/** The times field of an index entry. */
export function indexTimes(metadata: SessionMetadata): string {
  const { createdAt, lastSeenAt, idleExpiresAt, absoluteExpiresAt } = metadata;
  return `${createdAt}:${lastSeenAt}:${idleExpiresAt}:${absoluteExpiresAt ?? ''}`;
}

/** The entries in a 'list' reply (the index hash, flat); malformed ones are skipped. */
export function readUserIndex(flat: string[]): UserSessionEntry[] {
  const infos = new Map<string, string>();
  const times = new Map<string, string>();
  for (let n = 0; n + 1 < flat.length; n += 2) {
    const field = flat[n];
    if (field.startsWith('m:')) infos.set(field.slice(2), flat[n + 1]);
    else if (field.startsWith('t:')) times.set(field.slice(2), flat[n + 1]);
  }
  const entries: UserSessionEntry[] = [];
  for (const [id, text] of times) {
    const parts = /^(\d+):(\d+):(\d+):(\d*)$/.exec(text);
    const infoText = infos.get(id);
    if (!parts || infoText === undefined) continue;
    let info: Record<string, JsonValue>;
    try {
      info = JSON.parse(infoText) as Record<string, JsonValue>;
    } catch {
      continue;
    }
    entries.push({
      id,
      metadata: {
        createdAt: Number(parts[1]),
        lastSeenAt: Number(parts[2]),
        idleExpiresAt: Number(parts[3]),
        absoluteExpiresAt: parts[4] === '' ? null : Number(parts[4]),
      },
      info,
    });
  }
  return entries;
}

/** The owner kept in a session hash's `_u` field ('' or absent: unbound). */
export function readOwner(text: string | undefined | null): SessionOwner | undefined {
  if (text === undefined || text === null || text === '') return undefined;
  let owner: unknown;
  try {
    owner = JSON.parse(text);
  } catch {
    throw new CorruptSessionRecordError('the owner field is not JSON');
  }
  const { userId, info } = (owner ?? {}) as Partial<SessionOwner>;
  if (typeof userId !== 'string' || typeof info !== 'object' || info === null) {
    throw new CorruptSessionRecordError('the owner field is not a user binding');
  }
  return { userId, info };
}

/** The user id in a `_u` field, or undefined (unbound, or unreadable: no index to keep). */
export function ownerUserId(text: string | undefined | null): string | undefined {
  try {
    return readOwner(text)?.userId;
  } catch {
    return undefined;
  }
}
