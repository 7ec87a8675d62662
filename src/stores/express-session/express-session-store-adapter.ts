import { SessionStore } from '../../store/session-store.js';
import {
  expiresAt,
  isExpired,
  type SessionTouch,
  type SessionWrite,
  type SessionWriteResult,
  type StoredSession,
  movedNamespaces,
  sameRevisions,
} from '../../store/session-record.js';
import { callbackPromise } from './callback-promise.js';
import {
  fromSessionObject,
  toSessionObject,
  type ExpressSessionLike,
  type RecordSessionObject,
} from './express-session-record.js';
import { PerKeyQueue } from '../../store/per-key-queue.js';
import { CorruptSessionRecordError, SessionStoreError } from '../../store/session-store-error.js';

export type { ExpressSessionCookieLike, ExpressSessionLike } from './express-session-record.js';

/**
 * What the adapter needs from an express-session store (`connect-redis`, `connect-mongo`,
 * `connect-pg-simple`, `connect-dynamodb`, express-session's `MemoryStore`...): the callback
 * API. Declared here, structurally, so that express-session is not a dependency. `touch` is
 * part of that API but not used: see `ExpressSessionStoreAdapter.touch`.
 */
export interface ExpressSessionStoreLike {
  get(
    sid: string,
    callback: (error: unknown, session?: ExpressSessionLike | null) => void,
  ): unknown;
  set(sid: string, session: ExpressSessionLike, callback?: (error?: unknown) => void): unknown;
  destroy(sid: string, callback?: (error?: unknown) => void): unknown;
}

export interface ExpressSessionStoreAdapterOptions {
  /** The clock, in epoch ms, that expiry is checked against. Default `Date.now`. */
  now?: () => number;
  /**
   * How long to wait for the wrapped store to call back before the call fails (and the request
   * gets a 503), in ms. Default 5,000; 0 waits forever.
   */
  timeoutMs?: number;
}

/**
 * Any express-session store as a `SessionStore`, with whole-record writes: the record (metadata,
 * each namespace's JSON text, revisions) is kept as one session object whose `cookie.expires`
 * and `cookie.maxAge` give the store its TTL.
 *
 * A commit reads the record, applies the change and writes the whole record back. That
 * read-modify-write is **not atomic across processes**: two processes committing to the same
 * session at the same moment can lose one of the two commits, even to different namespaces, and
 * a revision check can pass in both. That is the limit of a store that only reads and writes
 * whole values; use the Redis or PostgreSQL store where that matters. Within one process the
 * adapter runs the commits, touches and destroys of a session one at a time, so concurrent
 * partial writes from one process all survive and revision checks hold.
 *
 * The same goes for `destroyIfUnchanged` (the compare-and-delete of a regenerate): a read, then
 * a destroy, serialised with this process's writes to the session but not with another
 * process's. Across processes, a regenerate can then lose a commit made to the old id at that
 * moment, or two regenerates can both succeed.
 *
 * Locks are the base class's in-process locks, right for one process only.
 */
export class ExpressSessionStoreAdapter extends SessionStore {
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly queue = new PerKeyQueue();

  constructor(
    private readonly store: ExpressSessionStoreLike,
    options: ExpressSessionStoreAdapterOptions = {},
  ) {
    super();
    this.now = options.now ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** Rejects with `CorruptSessionRecordError` for a record of ours that does not decode. */
  get(id: string): Promise<StoredSession | null> {
    return this.read(id);
  }

  set(id: string, write: SessionWrite): Promise<SessionWriteResult> {
    return this.queue.run(id, async () => {
      // A fresh id has nothing to read: written whole (over anything dead left under it).
      const current =
        write.mode === 'create' ? { data: {}, revisions: {} } : await this.readWritable(id);
      if (!current) return { status: 'missing' };
      const moved = movedNamespaces(current.revisions, write.expectRevisions);
      if (moved.length > 0) return { status: 'conflict', namespaces: moved };
      const data = { ...current.data };
      const revisions = { ...current.revisions };
      for (const [key, text] of Object.entries(write.set)) {
        data[key] = text;
        revisions[key] = (revisions[key] ?? 0) + 1;
      }
      for (const key of write.remove) {
        if (!Object.hasOwn(data, key)) continue;
        delete data[key];
        revisions[key] = (revisions[key] ?? 0) + 1;
      }
      const record: StoredSession = { metadata: { ...write.metadata }, data, revisions };
      // The binding is kept with the record (no index: express-session stores cannot list).
      const owner = write.owner === undefined ? (current as StoredSession).owner : write.owner;
      if (owner) record.owner = owner;
      await this.write(id, record);
      return { status: 'ok' };
    });
  }

  destroy(id: string): Promise<void> {
    return this.queue.run(id, () => this.change((callback) => this.store.destroy(id, callback)));
  }

  /**
   * A read, then the store's `destroy` if the record is live and its revisions are the
   * snapshot's. Atomic only within this process (run in the session's queue with the adapter's
   * own writes): the wrapped store offers no compare-and-delete, so a commit from another
   * process between the read and the destroy is lost with the session.
   */
  destroyIfUnchanged(
    id: string,
    revisions: Record<string, number>,
  ): Promise<'destroyed' | 'missing' | 'changed'> {
    return this.queue.run(id, async () => {
      const current = await this.readWritable(id);
      if (!current) return 'missing';
      if (!sameRevisions(current.revisions, revisions)) return 'changed';
      await this.change((callback) => this.store.destroy(id, callback));
      return 'destroyed';
    });
  }

  /**
   * A read and a whole-record write. Not the store's own `touch`: that only moves the store's
   * TTL (and, in some stores, the cookie), never the expiry kept in the record, which would then
   * declare the session dead at its old idle expiry.
   */
  touch(id: string, touch: SessionTouch): Promise<void> {
    return this.queue.run(id, async () => {
      const current = await this.readWritable(id);
      if (!current) return;
      const { metadata } = current;
      await this.write(id, {
        ...current,
        metadata: {
          ...metadata,
          lastSeenAt: Math.max(metadata.lastSeenAt, touch.lastSeenAt),
          idleExpiresAt: Math.max(metadata.idleExpiresAt, touch.idleExpiresAt),
        },
      });
    });
  }

  /** The record, or `null` if the store has none or it is expired by the record's own expiry. */
  private async read(id: string): Promise<StoredSession | null> {
    const session = await callbackPromise<ExpressSessionLike | null>(
      (callback) => this.store.get(id, callback),
      this.timeoutMs,
    );
    const record = fromSessionObject(session);
    if (!record || isExpired(record.metadata, this.now())) return null;
    return record;
  }

  /**
   * The record a write builds on. A corrupt one counts as no live session, as in the Redis
   * store's scripts: an update answers missing and a touch does nothing, so it cannot be kept
   * alive; only a create (a fresh id) writes over it.
   */
  private async readWritable(id: string): Promise<StoredSession | null> {
    try {
      return await this.read(id);
    } catch (error) {
      if (error instanceof CorruptSessionRecordError) return null;
      // The write was never sent: the read before it failed.
      throw new SessionStoreError(
        `ExpressSessionStoreAdapter: reading the session failed: ${messageOf(error)}`,
        'not-applied',
        { cause: error },
      );
    }
  }

  private async write(id: string, record: StoredSession): Promise<void> {
    const session: RecordSessionObject = toSessionObject(
      record,
      expiresAt(record.metadata) - this.now(),
    );
    await this.change((callback) => this.store.set(id, session, callback));
  }

  /**
   * One changing call of the wrapped store. Whether a store that failed or did not answer in
   * time changed anything, only it knows: its failures are `'unknown'`.
   */
  private async change(start: (callback: (error?: unknown) => void) => unknown): Promise<void> {
    try {
      await callbackPromise(start, this.timeoutMs);
    } catch (error) {
      throw new SessionStoreError(
        `ExpressSessionStoreAdapter: the store failed: ${messageOf(error)}`,
        'unknown',
        { cause: error },
      );
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
