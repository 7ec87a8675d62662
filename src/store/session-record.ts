import type { SessionOwner } from './session-owner.js';

/** Timestamps kept with every session, all in epoch milliseconds. */
export interface SessionMetadata {
  /** When the session was first written. */
  createdAt: number;
  /** The last request that counted as activity (as far as the store knows; see `touchAfter`). */
  lastSeenAt: number;
  /** `lastSeenAt + idleTimeout`: the session is dead from this instant unless touched again. */
  idleExpiresAt: number;
  /** `createdAt + absoluteTimeout`, or `null` when the absolute timeout is off. Never moves. */
  absoluteExpiresAt: number | null;
}

/** What a store hands back for a live session. */
export interface StoredSession {
  metadata: SessionMetadata;
  /**
   * One entry per namespace (`'cart'`, `'prefs'`, or a key of the untyped bag), each the JSON
   * text of its value. Text, not parsed values, so that a request parses only the namespaces it
   * reads, compares text to find what changed, and a store keeps or sends it without re-encoding.
   */
  data: Record<string, string>;
  /**
   * A counter per namespace, assigned by the store and raised by one by every write (set or
   * remove) of that namespace.
   * Used for optimistic concurrency (`expectRevisions`). A namespace missing here has revision 0.
   */
  revisions: Record<string, number>;
  /** The user the session is bound to, when it is (stores that keep bindings fill it in). */
  owner?: SessionOwner;
}

/**
 * One commit. A store applies all of it atomically or none of it: the namespaces in `set` are
 * replaced, those in `remove` deleted, every other namespace is left exactly as it is in the store
 * (another request may have written it meanwhile), and the metadata and the store's TTL become
 * `metadata`'s.
 */
export interface SessionWrite {
  /**
   * `'create'`: a session with a fresh id; written unconditionally, replacing any record left
   * under that id.
   * `'update'`: the session must still exist (and be unexpired): a store never brings a destroyed
   * or expired session back, it answers `{ status: 'missing' }` and writes nothing.
   */
  mode: 'create' | 'update';
  metadata: SessionMetadata;
  /** Namespace → JSON text of its new value. */
  set: Record<string, string>;
  remove: string[];
  /**
   * Optimistic check: for each namespace named here, the revision this request loaded
   * (0 = it did not exist). If the store's revision differs, nothing is written and the answer is
   * `{ status: 'conflict' }` naming the namespaces that moved.
   */
  expectRevisions?: Record<string, number>;
  /**
   * The user binding (`handle.setUser`): an owner binds the session (replacing any binding and
   * its info), `null` unbinds it, `undefined` leaves the stored binding as it is (a create has
   * none then). Written atomically with the rest of the commit; a store with a user index
   * (`listForUser`) updates it to match.
   */
  owner?: SessionOwner | null;
}

export type SessionWriteResult =
  { status: 'ok' } | { status: 'missing' } | { status: 'conflict'; namespaces: string[] };

/** What a blind touch carries: a new activity time and idle expiry, nothing else. */
export interface SessionTouch {
  lastSeenAt: number;
  idleExpiresAt: number;
}

/** Options for `SessionStore.acquireLock`. */
export interface SessionLockRequest {
  /** How long the lock may live before it is released on its own (a crashed holder). */
  ttlMs: number;
  /** How long to wait for a lock another request holds before giving up. */
  waitMs: number;
}

/** The instant a session dies: the earlier of its idle and absolute expiry. */
export function expiresAt(metadata: SessionMetadata): number {
  return metadata.absoluteExpiresAt === null
    ? metadata.idleExpiresAt
    : Math.min(metadata.idleExpiresAt, metadata.absoluteExpiresAt);
}

/** Whether a session is dead at `now` by the expiry kept in its record. */
export function isExpired(metadata: SessionMetadata, now: number): boolean {
  return now >= expiresAt(metadata);
}

/**
 * The namespaces of an optimistic check (`expectRevisions`) whose revision in the store is no
 * longer the one the request loaded; empty when the write may go ahead.
 */
export function movedNamespaces(
  current: Record<string, number>,
  expected: Record<string, number> | undefined,
): string[] {
  if (!expected) return [];
  return Object.keys(expected).filter((key) => (current[key] ?? 0) !== expected[key]);
}

/**
 * Whether two revision maps are exactly the same: the same namespaces, each with the same
 * number. The test of `SessionStore.destroyIfUnchanged`.
 */
export function sameRevisions(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}
