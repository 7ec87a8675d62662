import { describe, expect, it, jest } from '@jest/globals';
import session from 'express-session';
import type { RedisStore } from 'connect-redis';
import { callbackPromise } from '../../src/stores/express-session/callback-promise.js';
import {
  ExpressSessionStoreAdapter,
  type ExpressSessionLike,
  type ExpressSessionStoreLike,
} from '../../src/stores/express-session/express-session-store-adapter.js';
import { PerKeyQueue } from '../../src/store/per-key-queue.js';
import { CorruptSessionRecordError } from '../../src/store/session-store-error.js';
import type { SessionMetadata, SessionWrite } from '../../src/store/session-record.js';

const HOUR = 3_600_000;

// The structural interface accepts the real stores as they are (checked by the compiler).
const acceptsMemoryStore: ExpressSessionStoreLike = new session.MemoryStore();
const acceptsRedisStore = (store: RedisStore): ExpressSessionStoreLike => store;
void acceptsMemoryStore;
void acceptsRedisStore;

function metadata(now: number, idleMs = HOUR): SessionMetadata {
  return { createdAt: now, lastSeenAt: now, idleExpiresAt: now + idleMs, absoluteExpiresAt: null };
}

/** A callback store over a Map that answers after a random delay, like one across a network. */
class SlowStore implements ExpressSessionStoreLike {
  readonly sessions = new Map<string, string>();
  readonly touch = jest.fn();

  get(sid: string, callback: (error: unknown, session?: ExpressSessionLike | null) => void) {
    const text = this.sessions.get(sid);
    later(() => callback(null, text === undefined ? null : JSON.parse(text)));
  }

  set(sid: string, session: ExpressSessionLike, callback?: (error?: unknown) => void) {
    const text = JSON.stringify(session);
    later(() => {
      this.sessions.set(sid, text);
      callback?.();
    });
  }

  destroy(sid: string, callback?: (error?: unknown) => void) {
    later(() => {
      this.sessions.delete(sid);
      callback?.();
    });
  }
}

function later(fn: () => void): void {
  setTimeout(fn, Math.random() * 5);
}

describe('callbackPromise', () => {
  it('settles with the first answer and ignores a second call of the callback', async () => {
    await expect(
      callbackPromise<number>((callback) => {
        callback(null, 1);
        callback(new Error('late'));
        callback(null, 2);
      }),
    ).resolves.toBe(1);
  });

  it('rejects when the function throws synchronously', async () => {
    await expect(
      callbackPromise(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });

  it('wraps failures that are not Errors', async () => {
    await expect(callbackPromise((callback) => callback('down'))).rejects.toThrow(
      'the store failed: down',
    );
  });

  it('rejects after timeoutMs when the store never calls back', async () => {
    const started = Date.now();
    await expect(callbackPromise(() => undefined, 50)).rejects.toThrow(
      'the store did not answer within 50 ms',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('rejects when a returned promise rejects without the callback being called', async () => {
    await expect(callbackPromise(() => Promise.reject(new Error('async boom')))).rejects.toThrow(
      'async boom',
    );
  });

  it('ignores a returned promise once the callback has answered', async () => {
    await expect(
      callbackPromise<string>((callback) => {
        callback(null, 'ok');
        return Promise.reject(new Error('ignored'));
      }),
    ).resolves.toBe('ok');
  });
});

describe('PerKeyQueue', () => {
  it('runs tasks of one key in order, even after a failure, and forgets idle keys', async () => {
    const queue = new PerKeyQueue();
    const order: string[] = [];
    const step =
      (name: string, ms: number, fail = false) =>
      () =>
        new Promise<string>((resolve, reject) =>
          setTimeout(() => {
            order.push(name);
            if (fail) reject(new Error(name));
            else resolve(name);
          }, ms),
        );
    const results = await Promise.allSettled([
      queue.run('a', step('a1', 20, true)),
      queue.run('a', step('a2', 1)),
      queue.run('b', step('b1', 5)),
    ]);
    expect(order).toEqual(['b1', 'a1', 'a2']);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    await Promise.resolve();
    expect(queue.size).toBe(0);
  });
});

describe('ExpressSessionStoreAdapter', () => {
  it('keeps every concurrent partial write of one process over a slow store', async () => {
    const adapter = new ExpressSessionStoreAdapter(new SlowStore());
    const now = Date.now();
    await adapter.set('s', { mode: 'create', metadata: metadata(now), set: {}, remove: [] });
    const names = Array.from({ length: 50 }, (_, i) => `ns${i}`);
    await Promise.all(
      names.map((name) =>
        adapter.set('s', {
          mode: 'update',
          metadata: metadata(now),
          set: { [name]: '1' },
          remove: [],
          expectRevisions: { [name]: 0 },
        }),
      ),
    );
    expect(Object.keys((await adapter.get('s'))!.data).sort()).toEqual([...names].sort());
  });

  it("runs destroyIfUnchanged after this process's write already under way, so it sees it", async () => {
    const adapter = new ExpressSessionStoreAdapter(new SlowStore());
    const now = Date.now();
    await adapter.set('s', {
      mode: 'create',
      metadata: metadata(now),
      set: { a: '1' },
      remove: [],
    });
    const snapshot = (await adapter.get('s'))!.revisions;
    // Started first, not awaited: the compare-and-delete queues behind it in this process.
    const write = adapter.set('s', {
      mode: 'update',
      metadata: metadata(now),
      set: { cartnote: '"x"' },
      remove: [],
    });
    const answer = adapter.destroyIfUnchanged('s', snapshot);
    expect(await write).toEqual({ status: 'ok' });
    expect(await answer).toBe('changed');
    expect((await adapter.get('s'))?.data).toEqual({ a: '1', cartnote: '"x"' });
  });

  it("gives the store a TTL in wall-clock time even when the adapter's clock is elsewhere", async () => {
    const store = new SlowStore();
    const then = Date.UTC(2001, 0, 1); // a clock far in the past
    const adapter = new ExpressSessionStoreAdapter(store, { now: () => then });
    await adapter.set('s', {
      mode: 'create',
      metadata: metadata(then, 60_000),
      set: {},
      remove: [],
    });
    const stored = JSON.parse(store.sessions.get('s')!);
    expect(stored.cookie.originalMaxAge).toBe(60_000);
    expect(stored.cookie.maxAge).toBe(60_000);
    const wallClockTtl = Date.parse(stored.cookie.expires) - Date.now();
    expect(wallClockTtl).toBeGreaterThan(59_000);
    expect(wallClockTtl).toBeLessThanOrEqual(60_000);
  });

  it("touches by rewriting the record's expiry, not through the store's touch", async () => {
    const store = new SlowStore();
    let now = Date.now();
    const adapter = new ExpressSessionStoreAdapter(store, { now: () => now });
    await adapter.set('s', {
      mode: 'create',
      metadata: metadata(now, 1_000),
      set: { a: '1' },
      remove: [],
    });
    await adapter.touch('s', { lastSeenAt: now + 500, idleExpiresAt: now + 1_500 });
    now += 1_200;
    const stored = await adapter.get('s');
    expect(stored?.data).toEqual({ a: '1' });
    expect(stored?.metadata.idleExpiresAt).toBe(now - 1_200 + 1_500);
    expect(store.touch).not.toHaveBeenCalled();
  });

  it('treats a session object it did not write as no session', async () => {
    const store = new SlowStore();
    store.sessions.set('s', JSON.stringify({ cookie: { expires: null }, user: 'someone' }));
    const adapter = new ExpressSessionStoreAdapter(store);
    expect(await adapter.get('s')).toBeNull();
    const update: SessionWrite = {
      mode: 'update',
      metadata: metadata(Date.now()),
      set: { a: '1' },
      remove: [],
    };
    expect(await adapter.set('s', update)).toEqual({ status: 'missing' });
  });

  it.each([
    ['a value that is not a session object', '"just text"'],
    ['a record of an unknown format', '{"cookie":{},"typedSession":{"format":99}}'],
    [
      'metadata that is not numbers',
      '{"cookie":{},"typedSession":{"format":1,"metadata":{"createdAt":"x","lastSeenAt":1,' +
        '"idleExpiresAt":"abc","absoluteExpiresAt":null},"data":{},"revisions":{}}}',
    ],
    [
      'data that is an array',
      '{"cookie":{},"typedSession":{"format":1,"metadata":{"createdAt":1,"lastSeenAt":1,' +
        '"idleExpiresAt":9e15,"absoluteExpiresAt":null},"data":["a","b"],"revisions":{}}}',
    ],
    ['a record that is null', '{"cookie":{},"typedSession":null}'],
  ])(
    'rejects get with CorruptSessionRecordError for %s, and never keeps it alive',
    async (_, text) => {
      const store = new SlowStore();
      store.sessions.set('s', text);
      const adapter = new ExpressSessionStoreAdapter(store);
      await expect(adapter.get('s')).rejects.toBeInstanceOf(CorruptSessionRecordError);
      const now = Date.now();
      const update: SessionWrite = { mode: 'update', metadata: metadata(now), set: {}, remove: [] };
      expect(await adapter.set('s', update)).toEqual({ status: 'missing' });
      await adapter.touch('s', { lastSeenAt: now, idleExpiresAt: now + HOUR });
      expect(await adapter.destroyIfUnchanged('s', {})).toBe('missing');
      expect(store.sessions.get('s')).toBe(text);
    },
  );

  it('says a write was not applied when the read before it failed, and may have been when the write failed', async () => {
    const store = new SlowStore();
    const adapter = new ExpressSessionStoreAdapter(store, { timeoutMs: 50 });
    const now = Date.now();
    await adapter.set('s', {
      mode: 'create',
      metadata: metadata(now),
      set: { a: '1' },
      remove: [],
    });
    const update: SessionWrite = { mode: 'update', metadata: metadata(now), set: {}, remove: [] };
    const answerGet = store.get.bind(store);
    store.get = (_sid, callback) => callback(new Error('read failed'));
    await expect(adapter.set('s', update)).rejects.toMatchObject({
      name: 'SessionStoreError',
      outcome: 'not-applied',
    });
    await expect(adapter.destroyIfUnchanged('s', { a: 1 })).rejects.toMatchObject({
      outcome: 'not-applied',
    });
    store.get = answerGet;
    store.set = () => undefined; // never calls back: it may still write
    await expect(adapter.set('s', update)).rejects.toMatchObject({
      name: 'SessionStoreError',
      outcome: 'unknown',
    });
    store.destroy = (_sid, callback) => callback?.(new Error('destroy failed'));
    await expect(adapter.destroyIfUnchanged('s', { a: 1 })).rejects.toMatchObject({
      outcome: 'unknown',
    });
  });

  it('rejects, without crashing, on a store that throws, calls back twice or fails', async () => {
    const now = Date.now();
    const write: SessionWrite = { mode: 'create', metadata: metadata(now), set: {}, remove: [] };
    const throwing: ExpressSessionStoreLike = {
      get: () => {
        throw new Error('get threw');
      },
      set: () => {
        throw new Error('set threw');
      },
      destroy: (_sid, callback) => callback?.('no connection'),
    };
    const adapter = new ExpressSessionStoreAdapter(throwing);
    await expect(adapter.get('s')).rejects.toThrow('get threw');
    await expect(adapter.set('s', write)).rejects.toThrow('set threw');
    await expect(adapter.destroy('s')).rejects.toThrow('no connection');
    // Later calls for the same session are not stuck behind the failures.
    await expect(adapter.touch('s', { lastSeenAt: now, idleExpiresAt: now })).rejects.toThrow();

    const twice = new SlowStore();
    const answerTwice = twice.get.bind(twice);
    twice.get = (sid, callback) => {
      answerTwice(sid, callback);
      answerTwice(sid, callback);
    };
    const chatty = new ExpressSessionStoreAdapter(twice);
    await chatty.set('s', { ...write, set: { a: '1' } });
    expect((await chatty.get('s'))?.data).toEqual({ a: '1' });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the second answers arrive: ignored
  });
});
