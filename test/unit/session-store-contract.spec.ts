import { describe, expect, it } from '@jest/globals';
import * as core from '../../src/index.js';
import {
  MemorySessionStore,
  SESSION_MODULE_OPTIONS,
  SessionModule,
  SessionStore,
  type SessionModuleAsyncOptions,
  type SessionOptionsFactory,
  type SessionStore as SessionStoreType,
  type StoredSession,
} from '../../src/index.js';

/** A store written from scratch: `implements` compiles because the class has no private state. */
class ImplementedStore implements SessionStoreType {
  get(): Promise<StoredSession | null> {
    return Promise.resolve(null);
  }
  set() {
    return Promise.resolve({ status: 'ok' as const });
  }
  destroy() {
    return Promise.resolve();
  }
  destroyIfUnchanged() {
    return Promise.resolve('missing' as const);
  }
  touch() {
    return Promise.resolve();
  }
  acquireLock() {
    return Promise.resolve('token');
  }
  releaseLock() {
    return Promise.resolve();
  }
  close() {
    return Promise.resolve();
  }
}

describe('the store contract and the public surface', () => {
  it('lets a class implement SessionStore instead of extending it', async () => {
    const store: SessionStoreType = new ImplementedStore();
    expect(await store.acquireLock('id', { ttlMs: 1_000, waitMs: 0 })).toBe('token');
  });

  it('keeps the default in-process locks per store, outside the class', async () => {
    const [a, b] = [new MemorySessionStore(), new MemorySessionStore()];
    const held = { ttlMs: 10_000, waitMs: 0 };
    const token = await a.acquireLock('id', held);
    expect(token).toEqual(expect.any(String));
    expect(await a.acquireLock('id', held)).toBeNull();
    expect(await b.acquireLock('id', held)).toEqual(expect.any(String)); // its own locks
    await a.releaseLock('id', token!);
    expect(await a.acquireLock('id', held)).toEqual(expect.any(String));
    await a.close();
    await b.close();
  });

  it('is the one SessionStore of the process (the key both builds share)', () => {
    const shared = (globalThis as Record<symbol, Map<string, unknown>>)[
      Symbol.for('nestjs-typed-session/process-wide@1')
    ];
    expect(shared.get('SessionStore')).toBe(SessionStore);
    expect(new MemorySessionStore()).toBeInstanceOf(SessionStore);
  });

  it('exports the async options and the options-factory interface for forRootAsync', () => {
    class Options implements SessionOptionsFactory {
      createSessionOptions() {
        return { secret: 'a-secret-that-is-at-least-32-characters' };
      }
    }
    const asyncOptions: SessionModuleAsyncOptions = { useClass: Options, isGlobal: false };
    const dynamic = SessionModule.forRootAsync(asyncOptions);
    expect(dynamic.module).toBe(SessionModule);
    expect(dynamic.global).toBe(false);
  });

  it('names the options token readably', () => {
    expect(String(SESSION_MODULE_OPTIONS)).toBe(
      'Symbol(nestjs-typed-session:SESSION_MODULE_OPTIONS)',
    );
  });

  it('exports no type-carrier values that throw when read, and no store drivers', () => {
    for (const name of ['SESSION_OPTIONS_TYPE', 'SESSION_ASYNC_OPTIONS_TYPE']) {
      expect(name in core).toBe(false);
    }
    for (const name of [
      'RedisSessionStore',
      'PostgresSessionStore',
      'ExpressSessionStoreAdapter',
    ]) {
      expect(name in core).toBe(false);
    }
  });
});
