import {
  MemorySessionStore,
  type SessionLockRequest,
  type SessionStore,
  type SessionTouch,
  type SessionWrite,
} from 'nestjs-typed-session';

/** A store written from scratch (implements, not extends), recording every call it serves. */
export class RecordingStore implements SessionStore {
  readonly calls: string[] = [];
  private readonly inner = new MemorySessionStore();

  get(id: string) {
    this.calls.push('get');
    return this.inner.get(id);
  }
  set(id: string, write: SessionWrite) {
    this.calls.push(`set:${write.mode}`);
    return this.inner.set(id, write);
  }
  destroy(id: string) {
    this.calls.push('destroy');
    return this.inner.destroy(id);
  }
  destroyIfUnchanged(id: string, revisions: Record<string, number>) {
    this.calls.push('destroyIfUnchanged');
    return this.inner.destroyIfUnchanged(id, revisions);
  }
  touch(id: string, touch: SessionTouch) {
    this.calls.push('touch');
    return this.inner.touch(id, touch);
  }
  acquireLock(id: string, request: SessionLockRequest) {
    return this.inner.acquireLock(id, request);
  }
  releaseLock(id: string, token: string) {
    return this.inner.releaseLock(id, token);
  }
  close() {
    return this.inner.close();
  }
}
