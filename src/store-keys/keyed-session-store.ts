import type { DestroyForUserOptions, UserSessionEntry } from '../store/user-session-entry.js';
import type {
  SessionLockRequest,
  SessionTouch,
  SessionWrite,
  SessionWriteResult,
  StoredSession,
} from '../store/session-record.js';
import { SessionStore } from '../store/session-store.js';
import type { PlainKeyMove } from './plain-key-move.js';
import type { StoreKey } from './store-key.js';

/** DI token of the store as the session engine uses it: ids in, store keys out. */
export const KEYED_SESSION_STORE = Symbol.for('nestjs-typed-session:KEYED_SESSION_STORE');

/**
 * The app's store seen through session ids: every call's id becomes its store key (`StoreKey`)
 * before the store sees it, so every store, the express-session adapter included, holds hashed
 * keys without knowing it. The `SessionStore` token stays the app's own store, keyed by store
 * keys; the loader and committer use this one.
 */
export class KeyedSessionStore extends SessionStore {
  constructor(
    readonly inner: SessionStore,
    readonly key: StoreKey,
    private readonly plainKeys: PlainKeyMove | null = null,
  ) {
    super();
  }

  /** The key the store holds the session of `id` under. */
  keyOf(id: string): string {
    return this.key.of(id);
  }

  /** The store's own promise when there is no plain key to fall back to: no extra step. */
  get(id: string): Promise<StoredSession | null> {
    const key = this.key.of(id);
    const reading = this.inner.get(key);
    const plainKeys = this.plainKeys;
    if (!plainKeys) return reading;
    return reading.then((record) => record ?? plainKeys.move(id, key));
  }

  set(id: string, write: SessionWrite): Promise<SessionWriteResult> {
    return this.inner.set(this.key.of(id), write);
  }

  destroy(id: string): Promise<void> {
    return this.inner.destroy(this.key.of(id));
  }

  destroyIfUnchanged(
    id: string,
    revisions: Record<string, number>,
  ): Promise<'destroyed' | 'missing' | 'changed'> {
    return this.inner.destroyIfUnchanged(this.key.of(id), revisions);
  }

  touch(id: string, touch: SessionTouch): Promise<void> {
    return this.inner.touch(this.key.of(id), touch);
  }

  override acquireLock(id: string, request: SessionLockRequest): Promise<string | null> {
    return this.inner.acquireLock(this.key.of(id), request);
  }

  override releaseLock(id: string, token: string): Promise<void> {
    return this.inner.releaseLock(this.key.of(id), token);
  }

  /**
   * The store's user index, seen from here: a listed entry's `id` is the store key (a hash
   * cannot be turned back into an id), and `except` is turned into one like every other id. Not
   * the contract's `listForUser`/`destroyForUser`, which answer with the ids they were given.
   */
  listUserSessions(userId: string): Promise<UserSessionEntry[]> {
    if (typeof this.inner.listForUser !== 'function') {
      return Promise.reject(new TypeError('the store has no user index'));
    }
    return this.inner.listForUser(userId);
  }

  destroyUserSessions(userId: string, options: DestroyForUserOptions = {}): Promise<string[]> {
    if (typeof this.inner.destroyForUser !== 'function') {
      return Promise.reject(new TypeError('the store has no user index'));
    }
    const except = options.except === undefined ? {} : { except: this.key.of(options.except) };
    return this.inner.destroyForUser(userId, except);
  }

  /** The app's store is closed by the module, once; this view owns nothing. */
  override close(): Promise<void> {
    return Promise.resolve();
  }
}
