import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { SessionEvents, SessionModule, SessionStore, type SessionEvent } from '../../src/index.js';
import { MemorySessionStore } from '../../src/stores/memory/memory-session-store.js';
import { PostgresSessionStore } from '../../src/stores/postgres/postgres-session-store.js';
import { TestClock } from '../../src/testing/test-clock.js';
import { FixtureController } from '../support/fixtures.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS, startApp, type Platform, type RunningApp } from '../support/platforms.js';
import { DATABASE_URL, describeWithServer } from '../support/servers.js';
import { SECRET } from '../support/session-app.js';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import {
  describeWithRedisBinaries,
  makeTempDir,
  removeDir,
  sparePort,
  startRedisServer,
  type RedisProcess,
} from '../redis/support/redis-processes.js';
import { dropTables, testPool, uniqueName } from '../postgres/postgres-test-db.js';

/** Receives `session.expired` through @nestjs/event-emitter, as an application would. */
@Injectable()
class ExpiryListener {
  static seen: SessionEvent[] = [];
  @OnEvent('session.created') created(event: SessionEvent) {
    ExpiryListener.seen.push(event);
  }
  @OnEvent('session.expired') expired(event: SessionEvent) {
    ExpiryListener.seen.push(event);
  }
}

const IDLE = 60_000;

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * An application whose store sweeps on its own: a session nobody comes back for is announced as
 * expired, to `@OnEvent('session.expired')` and to `SessionEvents` subscribers alike, with the tag
 * its `session.created` carried and never the id in the cookie.
 */
interface StoreUnderTest {
  name: string;
  describe: typeof describe;
  create: (clock: TestClock) => SessionStore;
  /** Make the store notice what expired (after the clock moved past it); nothing for Redis. */
  reap: (store: SessionStore) => Promise<unknown>;
  /** The idle timeout: short for a store whose own TTL runs in real time. */
  idle: number;
  cause: 'idle' | 'unknown';
  /** Awaited once the app is up (Redis: until its subscription is). */
  ready?: (store: SessionStore) => Promise<unknown>;
  cleanUp?: () => Promise<void>;
}

function describeStoreExpiry(under: StoreUnderTest) {
  const { name, create: makeStore, reap, idle: IDLE, cleanUp = async () => undefined } = under;
  const describeIt = under.describe;
  describeIt.each(PLATFORMS)(
    `session.expired raised by the ${name} store on %s`,
    (platform: Platform) => {
      let app: RunningApp;
      let clock: TestClock;
      let store: SessionStore;
      let subscribed: SessionEvent[];
      beforeAll(async () => {
        clock = new TestClock();
        store = makeStore(clock);
        app = await startApp(platform, {
          imports: [
            EventEmitterModule.forRoot(),
            SessionModule.forRoot({ secret: SECRET, clock: clock.now, idleTimeout: IDLE, store }),
          ],
          controllers: [FixtureController],
          providers: [ExpiryListener],
        });
        await under.ready?.(store);
        subscribed = [];
        app.app.get(SessionEvents).subscribe((event) => subscribed.push(event));
      });
      afterAll(async () => {
        await app.close();
        await cleanUp();
      });

      it('reaches @OnEvent and SessionEvents with the tag of its session.created, the cause and who saw it', async () => {
        ExpiryListener.seen = [];
        subscribed.length = 0;
        const browser = new Browser(app.url);
        expect((await browser.post('/cart', { sku: 'a', quantity: 1 })).status).toBe(201);
        const id = browser.cookie!.split('.')[0]!;
        clock.advance(IDLE + 2_000); // past the idle timeout and the memory store's 1 s buckets
        if (under.cause === 'unknown') clock.set(Date.now()); // Redis: real time counts
        await reap(store);
        await until(
          () => ExpiryListener.seen.length === 2 && subscribed.length === 2,
          'session.expired at both listeners',
        );
        const [created, expired] = ExpiryListener.seen;
        expect(created!.type).toBe('session.created');
        expect(expired).toEqual({
          type: 'session.expired',
          tag: created!.tag,
          at: expect.any(Number),
          cause: under.cause,
          detectedBy: 'store',
        });
        expect(subscribed).toEqual(ExpiryListener.seen);
        expect(JSON.stringify(subscribed)).not.toContain(id);
        // And the browser that comes back gets a fresh session.
        expect((await browser.get('/cart')).body.items).toEqual([]);
      });
    },
  );
}

describeStoreExpiry({
  name: 'memory',
  describe,
  create: (clock) => new MemorySessionStore({ now: clock.now }),
  reap: (store) => (store as MemorySessionStore).sweep(),
  idle: IDLE,
  cause: 'idle',
});

const table = uniqueName('e2e_expiry');
describeStoreExpiry({
  name: 'PostgreSQL',
  describe: await describeWithServer('postgres'),
  idle: IDLE,
  cause: 'idle',
  create: (clock) =>
    new PostgresSessionStore({
      connectionString: DATABASE_URL,
      table: `${table}_${Math.random().toString(36).slice(2, 6)}`,
      now: clock.now,
      cleanupIntervalMs: 25, // its own timer does the reaping
    }),
  reap: async () => undefined,
  cleanUp: async () => {
    const pool = testPool();
    try {
      const { rows } = await pool.query<{ name: string }>(
        `SELECT tablename AS name FROM pg_tables WHERE tablename LIKE $1`,
        [`${table}%`],
      );
      for (const { name } of rows) if (!name.endsWith('_locks')) await dropTables(pool, name);
    } finally {
      await pool.end();
    }
  },
});

// A private server with expiry notifications on (the shared one must not be reconfigured).
const describeRedis = describeWithRedisBinaries('Redis expiry events end to end');
let redisDir = '';
let redis: RedisProcess | undefined;
beforeAll(async () => {
  if (describeRedis !== describe) return;
  redisDir = makeTempDir('e2e-expiry');
  redis = await startRedisServer(await sparePort(), redisDir, ['--notify-keyspace-events', 'Ex']);
}, 30_000);
afterAll(async () => {
  await redis?.stop();
  if (redisDir) removeDir(redisDir);
});
describeStoreExpiry({
  name: 'Redis',
  describe: describeRedis,
  // Redis's own TTL (real time) expires the key: the module's clock stays where it is.
  create: () => new RedisSessionStore({ url: `redis://127.0.0.1:${redis!.port}` }),
  reap: async () => undefined,
  idle: 500,
  cause: 'unknown',
  ready: async (store) => {
    expect((await (store as RedisSessionStore).expiryEvents()).subscribed).toBe(true);
  },
});

describe.each(PLATFORMS)('the store is watched only while someone listens, on %s', (platform) => {
  it('subscribes to the store on the first SessionEvents subscriber, not before', async () => {
    const store = new MemorySessionStore();
    const onExpired = jest.spyOn(store, 'onExpired');
    const app = await startApp(platform, {
      imports: [SessionModule.forRoot({ secret: SECRET, store })],
      controllers: [FixtureController],
    });
    try {
      expect(onExpired).not.toHaveBeenCalled();
      app.app.get(SessionEvents).subscribe(() => undefined);
      app.app.get(SessionEvents).subscribe(() => undefined);
      expect(onExpired).toHaveBeenCalledTimes(1);
    } finally {
      await app.close();
    }
  });

  it('subscribes at start-up when the application has @nestjs/event-emitter', async () => {
    const store = new MemorySessionStore();
    const onExpired = jest.spyOn(store, 'onExpired');
    const app = await startApp(platform, {
      imports: [EventEmitterModule.forRoot(), SessionModule.forRoot({ secret: SECRET, store })],
      controllers: [FixtureController],
    });
    try {
      expect(onExpired).toHaveBeenCalledTimes(1);
    } finally {
      await app.close();
    }
  });

  it('boots and serves, with a listener, over a store that has no onExpired', async () => {
    class PlainStore extends MemorySessionStore {}
    const store = new PlainStore();
    Object.defineProperty(store, 'onExpired', { value: undefined });
    const app = await startApp(platform, {
      imports: [SessionModule.forRoot({ secret: SECRET, store })],
      controllers: [FixtureController],
    });
    try {
      app.app.get(SessionEvents).subscribe(() => undefined);
      const browser = new Browser(app.url);
      expect((await browser.post('/cart', { sku: 'a', quantity: 1 })).status).toBe(201);
    } finally {
      await app.close();
    }
  });
});
