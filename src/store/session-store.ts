import { InProcessLocks } from './in-process-locks.js';
import { processWide } from './process-wide.js';
import type { DestroyForUserOptions, UserSessionEntry } from './user-session-entry.js';
import type { StoreExpiryListener } from './session-expiry.js';
import type {
  SessionLockRequest,
  SessionTouch,
  SessionWrite,
  SessionWriteResult,
  StoredSession,
} from './session-record.js';

/**
 * The default locks of each store, kept outside the class: a class with private members cannot
 * be implemented (`class MyStore implements SessionStore` fails with TS2720), only extended.
 */
const defaultLocks = new WeakMap<object, InProcessLocks>();

function locksOf(store: object): InProcessLocks {
  let locks = defaultLocks.get(store);
  if (!locks) {
    locks = new InProcessLocks();
    defaultLocks.set(store, locks);
  }
  return locks;
}

/**
 * Where sessions live. An abstract class so that it is both the contract and the DI token:
 * `overrideProvider(SessionStore).useValue(new MemorySessionStore())` swaps it in a test.
 *
 * Extend it to inherit the default lock methods and `close()`, or implement it
 * (`class MyStore implements SessionStore`) and write all seven methods (`onExpired` is optional).
 *
 * Every method may reject (a network store that is down); the module turns that into a 503 for
 * the request and never lets it crash the process. A store that knows how a failed call ended
 * throws `SessionStoreError` (`'not-applied'` or `'unknown'`); anything else counts as unknown.
 *
 * Revisions: a namespace's revision rises by exactly one on every set of it and every removal
 * of it that found it there, and on nothing else (a touch, a write of another namespace). A
 * removed namespace keeps its revision. `expectRevisions` and `destroyIfUnchanged` rely on it.
 */
abstract class SessionStoreContract {
  /**
   * The session, or `null` when there is none, it was destroyed, or it is expired by the
   * expiry kept in its record (`isExpired(metadata, now)`) even if the store still holds it.
   */
  abstract get(id: string): Promise<StoredSession | null>;

  /** Apply one commit atomically; see `SessionWrite`. */
  abstract set(id: string, write: SessionWrite): Promise<SessionWriteResult>;

  /** Remove the session for good. Destroying a missing session is not an error. */
  abstract destroy(id: string): Promise<void>;

  /**
   * Compare-and-delete, the second half of a regenerate: remove the session only if it is live
   * and its revisions are exactly `revisions` (the snapshot the regenerating request copied to
   * its new id: every namespace with the revision it had, and no other namespace). One atomic
   * step on this one key. Answers `'destroyed'`, `'missing'` (no live session: destroyed,
   * expired, or never stored) or `'changed'` (another request wrote it since; nothing removed).
   */
  abstract destroyIfUnchanged(
    id: string,
    revisions: Record<string, number>,
  ): Promise<'destroyed' | 'missing' | 'changed'>;

  /**
   * Extend a live session's life without rewriting its data: record the new activity time and
   * idle expiry, and move the store's TTL to the earlier of that and the absolute expiry kept in
   * the record. A touch of a missing or expired session creates nothing.
   */
  abstract touch(id: string, touch: SessionTouch): Promise<void>;

  /**
   * Take the session's lock (`@SessionLock()`), waiting up to `waitMs`. Resolves to a token to
   * release it with, or `null` when it could not be had in time. The lock frees itself after
   * `ttlMs`, so a holder that died never blocks the session for longer.
   *
   * The default is an in-process lock: correct while one process serves the session. Stores
   * shared by several processes (Redis, PostgreSQL) override both lock methods.
   */
  acquireLock(id: string, request: SessionLockRequest): Promise<string | null> {
    return locksOf(this).acquire(id, request);
  }

  /** Release a lock taken with `acquireLock`; a no-op if it expired or is held by another token. */
  releaseLock(id: string, token: string): Promise<void> {
    defaultLocks.get(this)?.release(id, token);
    return Promise.resolve();
  }

  /**
   * Optional capability, the index of sessions by user (`SessionService.listForUser`). The live
   * sessions bound to `userId` by `SessionWrite.owner`: never one destroyed, expired by its
   * record, or bound to someone else since. One round trip or query per call, whatever the number
   * of sessions. A store that has it keeps the index in step with every write, touch, destroy,
   * `destroyIfUnchanged` and expiry. Stores without it leave both methods out; `SessionService`
   * then answers with `SessionUserIndexUnsupportedError`.
   */
  listForUser?(userId: string): Promise<UserSessionEntry[]>;

  /**
   * Optional capability, with `listForUser`: destroy every session bound to `userId` (but
   * `options.except`), as `destroy` would. Answers the ids (store keys) it destroyed.
   */
  destroyForUser?(userId: string, options?: DestroyForUserOptions): Promise<string[]>;

  /**
   * Optional: call `listener` for each session the store itself finds expired and removes (the
   * memory store's sweep, PostgreSQL's cleanup, Redis's keyspace notifications), naming it by its
   * store key. Answers the function that stops the reports. The module subscribes once someone
   * listens to `session.expired`; a store without it still works, and expiry is then announced
   * only when a request finds its session expired. A store may call the listener from a timer or
   * a connection of its own; it must never call it for a destroyed session.
   */
  onExpired?(listener: StoreExpiryListener): () => void;

  /** Free what the store owns (timers, connections it opened itself). Called on module destroy. */
  close(): Promise<void> {
    defaultLocks.get(this)?.clear();
    return Promise.resolve();
  }
}

/** One class per process, whichever build (CommonJS or ESM) loads first; see `processWide`. */
export const SessionStore = processWide('SessionStore', SessionStoreContract);
export type SessionStore = SessionStoreContract;
