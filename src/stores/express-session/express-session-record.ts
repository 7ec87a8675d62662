import type { SessionMetadata, StoredSession } from '../../store/session-record.js';
import { CorruptSessionRecordError } from '../../store/session-store-error.js';
import type { SessionOwner } from '../../store/session-owner.js';

/** The part of an express-session session object that stores read their TTL from. */
export interface ExpressSessionCookieLike {
  expires?: Date | string | null;
  originalMaxAge?: number | null;
  maxAge?: number;
}

/** The least an express-session store is handed or answers: a session with a cookie. */
export interface ExpressSessionLike {
  cookie: ExpressSessionCookieLike;
}

/** Where the record lives inside the session object, away from fields stores add (`_id`...). */
const FIELD = 'typedSession';
/** Raised if the stored shape ever changes, so old records can be told apart. */
const FORMAT = 1;

/** A session record dressed as an express-session session. */
export interface RecordSessionObject extends ExpressSessionLike {
  cookie: { expires: Date; originalMaxAge: number; maxAge: number };
  [FIELD]: { format: typeof FORMAT } & StoredSession;
}

/**
 * The record as a session object. Stores compute their TTL from `cookie.expires` (most) or
 * `cookie.maxAge` (a few) against their own wall clock, so both say "`remainingMs` from now" in
 * wall-clock terms; with an injected clock the record's expiry and the store's TTL still agree
 * on how long the session has left.
 */
export function toSessionObject(record: StoredSession, remainingMs: number): RecordSessionObject {
  return {
    cookie: {
      expires: new Date(Date.now() + remainingMs),
      originalMaxAge: remainingMs,
      maxAge: remainingMs,
    },
    [FIELD]: {
      format: FORMAT,
      metadata: record.metadata,
      data: record.data,
      revisions: record.revisions,
      ...(record.owner ? { owner: record.owner } : {}),
    },
  };
}

/**
 * The record inside a session object a store answered; `null` for no session, or for a session
 * some other app wrote under the same key (it has no record of ours). A value that carries our
 * record but does not decode (an unknown format, metadata that is not finite numbers, data that
 * is not an object of texts), or that is not a session object at all, throws
 * `CorruptSessionRecordError`. Copied, so nothing a caller does reaches an object the store may
 * still hold.
 */
export function fromSessionObject(value: unknown): StoredSession | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) throw new CorruptSessionRecordError('the stored value is not an object');
  if (!Object.hasOwn(value, FIELD)) return null;
  const record = value[FIELD];
  if (!isObject(record) || record.format !== FORMAT) {
    throw new CorruptSessionRecordError('the record is of an unknown format');
  }
  const { metadata, data, revisions, owner } = record;
  if (!isMetadata(metadata)) throw new CorruptSessionRecordError('metadata is not times');
  if (!isRecordOf(data, 'string')) {
    throw new CorruptSessionRecordError('data is not an object of JSON texts');
  }
  if (!isRecordOf(revisions, 'number')) {
    throw new CorruptSessionRecordError('revisions is not an object of numbers');
  }
  const session: StoredSession = {
    metadata: {
      createdAt: metadata.createdAt,
      lastSeenAt: metadata.lastSeenAt,
      idleExpiresAt: metadata.idleExpiresAt,
      absoluteExpiresAt: metadata.absoluteExpiresAt,
    },
    data: { ...data },
    revisions: { ...revisions },
  };
  if (owner !== undefined) {
    if (!isObject(owner) || typeof owner.userId !== 'string' || !isObject(owner.info)) {
      throw new CorruptSessionRecordError('the user binding is not a user id and info');
    }
    session.owner = {
      userId: owner.userId,
      info: structuredClone(owner.info) as SessionOwner['info'],
    };
  }
  return session;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isMetadata(value: unknown): value is SessionMetadata {
  return (
    isObject(value) &&
    isTime(value.createdAt) &&
    isTime(value.lastSeenAt) &&
    isTime(value.idleExpiresAt) &&
    (value.absoluteExpiresAt === null || isTime(value.absoluteExpiresAt))
  );
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isRecordOf<T extends 'string' | 'number'>(
  value: unknown,
  type: T,
): value is Record<string, T extends 'string' ? string : number> {
  return isObject(value) && Object.values(value).every((entry) => typeof entry === type);
}
