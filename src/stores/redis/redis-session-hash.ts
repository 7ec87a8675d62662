import type { SessionMetadata, StoredSession } from '../../store/session-record.js';
import { CorruptSessionRecordError } from '../../store/session-store-error.js';
import type { RedisSessionSerializer } from './redis-session-serializer.js';
import { readOwner } from './redis-user-index.js';

/**
 * The layout of one session in Redis: a hash at `${prefix}{${id}}` holding
 *
 * - `d:<namespace>`: the namespace's (encoded) JSON text, one field per namespace;
 * - `r:<namespace>`: its revision, kept after the namespace is removed so that a namespace
 *   removed and written again never shows an old revision (no ABA in `expectRevisions`);
 * - `_c`, `_l`, `_i`, `_a`: created-at, last-seen, idle expiry, absolute expiry (`''` for none);
 * - `_u`: the user binding's JSON (`{ userId, info }`), when bound (see `redis-user-index.ts`).
 *
 * The prefixes keep any namespace name (`'_i'`, `'r:x'`, unicode) from colliding with another
 * field. The `{id}` hash tag puts the hash and the lock key in one cluster slot.
 */
export const DATA_FIELD = 'd:';
export const REVISION_FIELD = 'r:';
export const CREATED_AT_FIELD = '_c';
export const LAST_SEEN_AT_FIELD = '_l';
export const IDLE_EXPIRES_AT_FIELD = '_i';
export const ABSOLUTE_EXPIRES_AT_FIELD = '_a';
export const OWNER_FIELD = '_u';

export function sessionKey(prefix: string, id: string): string {
  return `${prefix}{${id}}`;
}

export function lockKey(prefix: string, id: string): string {
  return `${sessionKey(prefix, id)}:lock`;
}

/**
 * The session in an `HGETALL` reply, or `null` for an empty reply (no such key). A hash that is
 * there but cannot be read as a session (a metadata field or a revision that is not a number, no
 * idle expiry, a value the serializer cannot decode) throws `CorruptSessionRecordError`: never a
 * `NaN` expiry, which would make a session that never expires.
 */
export function readSessionHash(
  fields: Record<string, string>,
  serializer: RedisSessionSerializer,
): StoredSession | null {
  if (Object.keys(fields).length === 0) return null;
  const metadata = readMetadata(fields);
  const data: Record<string, string> = {};
  const revisions: Record<string, number> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (field.startsWith(DATA_FIELD)) {
      data[field.slice(DATA_FIELD.length)] = decode(serializer, value);
    } else if (field.startsWith(REVISION_FIELD)) {
      const revision = Number(value);
      if (!Number.isSafeInteger(revision) || revision < 0) {
        throw new CorruptSessionRecordError('a revision field is not a whole number');
      }
      revisions[field.slice(REVISION_FIELD.length)] = revision;
    }
  }
  const session: StoredSession = { metadata, data, revisions };
  const owner = readOwner(fields[OWNER_FIELD]);
  if (owner) session.owner = owner;
  return session;
}

function readMetadata(fields: Record<string, string>): SessionMetadata {
  const absolute = fields[ABSOLUTE_EXPIRES_AT_FIELD];
  return {
    createdAt: time(fields, CREATED_AT_FIELD),
    lastSeenAt: time(fields, LAST_SEEN_AT_FIELD),
    idleExpiresAt: time(fields, IDLE_EXPIRES_AT_FIELD),
    absoluteExpiresAt:
      absolute === undefined || absolute === '' ? null : time(fields, ABSOLUTE_EXPIRES_AT_FIELD),
  };
}

/** A metadata field as epoch ms; `Number('')` and `Number(' ')` are 0, so text is checked too. */
function time(fields: Record<string, string>, field: string): number {
  const text = fields[field];
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value)) {
    throw new CorruptSessionRecordError(`metadata field ${field} is not a time`);
  }
  return value;
}

function decode(serializer: RedisSessionSerializer, stored: string): string {
  try {
    return serializer.decode(stored);
  } catch (error) {
    throw new CorruptSessionRecordError(`a namespace value does not decode (${String(error)})`);
  }
}
