import {
  MemorySessionStore,
  SessionStore,
  SessionStoreError,
  type SessionLockRequest,
  type SessionTouch,
  type SessionWrite,
  type SessionWriteResult,
  type StoredSession,
} from '../../src/index.js';

type Operation = 'get' | 'set' | 'destroy' | 'destroyIfUnchanged' | 'touch' | 'acquireLock';

/**
 * A store for tests: a real `MemorySessionStore` underneath, every call counted, and any
 * operation made to fail on demand: before the store sees it (`failing`, `refusing`) or after it
 * applied it (`failingAfter`).
 */
export class ProbeStore extends SessionStore {
  readonly inner: MemorySessionStore;
  readonly calls: Record<Operation, number> = {
    get: 0,
    set: 0,
    destroy: 0,
    destroyIfUnchanged: 0,
    touch: 0,
    acquireLock: 0,
  };
  /** Operations that throw a plain error: an outcome the module cannot know (a timeout). */
  readonly failing = new Set<Operation>();
  /** Operations that throw `SessionStoreError` with outcome `'not-applied'`: nothing changed. */
  readonly refusing = new Set<Operation>();
  /**
   * Operations applied by the real store and then failed with `SessionStoreError` `'unknown'`:
   * a timeout after the write reached the server.
   */
  readonly failingAfter = new Set<Operation>();

  constructor(now: () => number = Date.now) {
    super();
    this.inner = new MemorySessionStore({ now });
  }

  reset(): void {
    for (const key of Object.keys(this.calls) as Operation[]) this.calls[key] = 0;
  }

  private attempt(operation: Operation): void {
    this.calls[operation]++;
    if (this.failing.has(operation))
      throw new Error(`store ${operation} failed (simulated outage)`);
    if (this.refusing.has(operation)) {
      throw new SessionStoreError(`store ${operation} refused (simulated)`, 'not-applied');
    }
  }

  /** Runs the operation on the real store, then fails it as a timeout would if so asked. */
  private async applied<T>(operation: Operation, result: Promise<T>): Promise<T> {
    const value = await result;
    if (this.failingAfter.has(operation)) {
      throw new SessionStoreError(`store ${operation} timed out (simulated, applied)`, 'unknown');
    }
    return value;
  }

  async get(id: string): Promise<StoredSession | null> {
    this.attempt('get');
    return this.inner.get(id);
  }

  async set(id: string, write: SessionWrite): Promise<SessionWriteResult> {
    this.attempt('set');
    return this.applied('set', this.inner.set(id, write));
  }

  async destroy(id: string): Promise<void> {
    this.attempt('destroy');
    return this.applied('destroy', this.inner.destroy(id));
  }

  async destroyIfUnchanged(
    id: string,
    revisions: Record<string, number>,
  ): Promise<'destroyed' | 'missing' | 'changed'> {
    this.attempt('destroyIfUnchanged');
    return this.applied('destroyIfUnchanged', this.inner.destroyIfUnchanged(id, revisions));
  }

  async touch(id: string, touch: SessionTouch): Promise<void> {
    this.attempt('touch');
    return this.applied('touch', this.inner.touch(id, touch));
  }

  override async acquireLock(id: string, request: SessionLockRequest): Promise<string | null> {
    this.attempt('acquireLock');
    return this.inner.acquireLock(id, request);
  }

  override releaseLock(id: string, token: string): Promise<void> {
    return this.inner.releaseLock(id, token);
  }

  override async close(): Promise<void> {
    await this.inner.close();
    await super.close();
  }
}
