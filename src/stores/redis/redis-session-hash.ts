import type { SessionMetadata, StoredSession } from '../../store/session-record.js';
import type { RedisSessionSerializer } from './redis-session-serializer.js';

/**
 * The layout of one session in Redis: a hash at `${prefix}{${id}}` holding
 *
 * - `d:<namespace>`: the namespace's (encoded) JSON text, one field per namespace;
 * - `r:<namespace>`: its revision, kept after the namespace is removed so that a namespace
 *   removed and written again never shows an old revision (no ABA in `expectRevisions`);
 * - `_c`, `_l`, `_i`, `_a`: created-at, last-seen, idle expiry, absolute expiry (`''` for none).
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

export function sessionKey(prefix: string, id: string): string {
  return `${prefix}{${id}}`;
}

export function lockKey(prefix: string, id: string): string {
  return `${sessionKey(prefix, id)}:lock`;
}

/** The session in an `HGETALL` reply, or `null` for an empty reply or a hash without metadata. */
export function readSessionHash(
  fields: Record<string, string>,
  serializer: RedisSessionSerializer,
): StoredSession | null {
  const metadata = readMetadata(fields);
  if (!metadata) return null;
  const data: Record<string, string> = {};
  const revisions: Record<string, number> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (field.startsWith(DATA_FIELD)) {
      data[field.slice(DATA_FIELD.length)] = serializer.decode(value);
    } else if (field.startsWith(REVISION_FIELD)) {
      revisions[field.slice(REVISION_FIELD.length)] = Number(value);
    }
  }
  return { metadata, data, revisions };
}

function readMetadata(fields: Record<string, string>): SessionMetadata | null {
  const idle = fields[IDLE_EXPIRES_AT_FIELD];
  if (idle === undefined) return null;
  const absolute = fields[ABSOLUTE_EXPIRES_AT_FIELD];
  return {
    createdAt: Number(fields[CREATED_AT_FIELD]),
    lastSeenAt: Number(fields[LAST_SEEN_AT_FIELD]),
    idleExpiresAt: Number(idle),
    absoluteExpiresAt: absolute === undefined || absolute === '' ? null : Number(absolute),
  };
}
