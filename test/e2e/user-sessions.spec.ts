import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import session from 'express-session';
import {
  MemorySessionStore,
  SessionModule,
  SessionEvents,
  SessionService,
  SessionStore,
  type SessionEvent,
  SessionUserIndexUnsupportedError,
} from '../../src/index.js';
import { PostgresSessionStore } from '../../src/stores/postgres/index.js';
import { RedisSessionStore } from '../../src/stores/redis/index.js';
import { ExpressSessionStoreAdapter } from '../../src/stores/express-session/index.js';
import { TestClock } from '../../src/testing/test-clock.js';
import { AccountController } from '../support/account-fixtures.js';
import { GatedStore } from '../support/gated-store.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS, startApp, type Platform, type RunningApp } from '../support/platforms.js';
import { DATABASE_URL, REDIS_URL, serverAvailable } from '../support/servers.js';
import { SECRET } from '../support/session-app.js';
import { deleteKeys } from '../redis/support/redis-keys.js';

const IDLE = 60_000;

/** A store on the module's clock, and how to clean up after it. */
interface ClockedStore {
  name: string;
  create(clock: TestClock): SessionStore;
  cleanup(): Promise<void>;
}

const stores: ClockedStore[] = [
  {
    name: 'memory',
    create: (clock) => new MemorySessionStore({ now: clock.now }),
    cleanup: async () => undefined,
  },
];
if (await serverAvailable('redis')) {
  const prefix = `e2e-users:${randomUUID()}:`;
  stores.push({
    name: 'redis',
    create: (clock) => new RedisSessionStore({ url: REDIS_URL, prefix, now: clock.now }),
    cleanup: async () => {
      const client = new Redis(REDIS_URL);
      await deleteKeys(client, prefix).finally(() => client.disconnect());
    },
  });
}
if (await serverAvailable('postgres')) {
  const table = `e2e_users_${process.pid}_${Date.now().toString(36)}`;
  stores.push({
    name: 'postgres',
    create: (clock) =>
      new PostgresSessionStore({
        connectionString: DATABASE_URL,
        table,
        cleanupIntervalMs: 0,
        now: clock.now,
      }),
    cleanup: async () => {
      const pool = new pg.Pool({ connectionString: DATABASE_URL });
      await pool
        .query(`DROP TABLE IF EXISTS "${table}", "${table}_locks"`)
        .finally(() => pool.end());
    },
  });
}

const cases = PLATFORMS.flatMap((platform) =>
  stores.map((store) => [platform, store.name, store] as const),
);

describe.each(cases)(
  'sessions of a user on %s, %s store',
  (platform: Platform, _name: string, factory: ClockedStore) => {
    let app: RunningApp;
    let clock: TestClock;
    let store: GatedStore;
    beforeAll(async () => {
      clock = new TestClock();
      store = new GatedStore(factory.create(clock));
      app = await startApp(
        platform,
        {
          imports: [SessionModule.forRoot({ secret: SECRET, clock: clock.now, idleTimeout: IDLE })],
          controllers: [AccountController],
        },
        (builder) => builder.overrideProvider(SessionStore).useValue(store),
      );
    });
    afterAll(async () => {
      await app.close();
      await factory.cleanup();
    });

    const login = async (user: string, device: string) => {
      const browser = new Browser(app.url);
      const reply = await browser.post(
        '/account/login',
        { user, device },
        {
          headers: { 'user-agent': `agent of ${device}` },
        },
      );
      expect(reply.status).toBe(200);
      return browser;
    };

    it('three clients log in as one user; one logs out the others, who get a fresh empty session; it keeps its own', async () => {
      const user = `ada-${randomUUID()}`;
      const [laptop, phone, tablet] = [
        await login(user, 'laptop'),
        await login(user, 'phone'),
        await login(user, 'tablet'),
      ];
      const listed = await laptop.get('/account/sessions');
      expect(listed.status).toBe(200);
      expect(listed.body).toHaveLength(3);
      expect(listed.body.map((s: { info: { device: string } }) => s.info.device).sort()).toEqual([
        'laptop',
        'phone',
        'tablet',
      ]);
      const current = listed.body.filter((s: { current: boolean }) => s.current);
      expect(current).toHaveLength(1);
      expect(current[0].info).toEqual({ device: 'laptop', agent: 'agent of laptop' });
      // Tags only: no id that went out in a cookie appears in the list.
      for (const browser of [laptop, phone, tablet]) {
        expect(JSON.stringify(listed.body)).not.toContain(browser.cookie!.split('.')[0]);
      }

      const out = await laptop.post('/account/logout-others');
      expect(out.body).toEqual({ destroyed: 2 });
      for (const browser of [phone, tablet]) {
        const me = await browser.get('/account/me');
        expect(me.status).toBe(200);
        expect(me.body).toEqual({ userId: null, info: {}, greeting: null, isNew: true });
      }
      const mine = await laptop.get('/account/me');
      expect(mine.body).toEqual({
        userId: user,
        info: { device: 'laptop', agent: 'agent of laptop' },
        greeting: `hello ${user}`,
        isNew: false,
      });
      const after = await laptop.get('/account/sessions');
      expect(after.body).toHaveLength(1);
      expect(after.body[0].current).toBe(true);
    });

    it("logging out everywhere ends every session of the user, the caller's too, and no one else's", async () => {
      const [user, other] = [`bo-${randomUUID()}`, `cy-${randomUUID()}`];
      const mine = [await login(user, 'a'), await login(user, 'b'), await login(user, 'c')];
      const theirs = await login(other, 'x');
      const out = await mine[0].post('/account/logout-everywhere');
      expect(out.body).toEqual({ destroyed: 3 });
      expect(mine[0].cookie).toBeUndefined(); // cleared by the response
      for (const browser of mine.slice(1)) {
        expect((await browser.get('/account/me')).body).toMatchObject({
          userId: null,
          isNew: true,
        });
      }
      expect((await theirs.get('/account/me')).body).toMatchObject({ userId: other, isNew: false });
      const service = app.app.get(SessionService);
      expect(await service.listForUser(user)).toEqual([]);
    });

    it('lists only live sessions (an idle-expired one never), with created and last-seen times', async () => {
      const user = `di-${randomUUID()}`;
      const start = clock.now();
      const old = await login(user, 'old');
      clock.advance(IDLE + 1);
      const fresh = await login(user, 'fresh');
      const listed = await fresh.get('/account/sessions');
      expect(listed.body).toHaveLength(1);
      expect(listed.body[0]).toMatchObject({
        info: { device: 'fresh' },
        current: true,
        createdAt: start + IDLE + 1,
        lastSeenAt: start + IDLE + 1,
        expiresAt: start + 2 * IDLE + 1,
      });
      expect(listed.body[0].tag).toMatch(/^[\w-]{10}$/);
      expect((await old.get('/account/me')).body).toMatchObject({ userId: null, isNew: true });
    });

    it('a regenerate moves the binding to the new id: one session listed, the current one', async () => {
      const user = `ed-${randomUUID()}`;
      const browser = await login(user, 'desk');
      const before = (await browser.get('/account/sessions')).body[0].tag;
      await browser.post('/account/rotate');
      const after = (await browser.get('/account/sessions')).body;
      expect(after).toHaveLength(1);
      expect(after[0].tag).not.toBe(before);
      expect(after[0]).toMatchObject({ current: true, info: { device: 'desk' } });
      expect((await browser.get('/account/me')).body).toMatchObject({ userId: user });
    });

    it.each(['before', 'after'] as const)(
      'a regenerate racing "log out other devices" (its copy held %s the write) ends with no session left',
      async (at) => {
        const user = `fi-${randomUUID()}`;
        const [keeper, racer] = [await login(user, 'keeper'), await login(user, 'racer')];
        const gate = store.pauseNext('set', { matches: (_, write) => write.mode === 'create', at });
        const rotating = racer.post('/account/rotate');
        await gate.reached;
        expect((await keeper.post('/account/logout-others')).status).toBe(200);
        gate.release();
        expect((await rotating).status).toBe(409); // the move found its old id gone
        expect((await racer.get('/account/me')).body).toMatchObject({ userId: null, isNew: true });
        const listed = (await keeper.get('/account/sessions')).body;
        expect(listed).toHaveLength(1);
        expect(listed[0]).toMatchObject({ current: true, info: { device: 'keeper' } });
      },
    );

    it('announces each session it ends as session.destroyed, by the tag the list showed', async () => {
      const user = `gu-${randomUUID()}`;
      const [keeper, other] = [await login(user, 'keeper'), await login(user, 'other')];
      const listed = (await keeper.get('/account/sessions')).body as Array<{
        tag: string;
        current: boolean;
      }>;
      const otherTag = listed.find((row) => !row.current)!.tag;
      const seen: SessionEvent[] = [];
      const unsubscribe = app.app.get(SessionEvents).subscribe((event) => seen.push(event));
      try {
        await keeper.post('/account/logout-others');
        await new Promise((resolve) => setTimeout(resolve, 20)); // delivered after the request
        expect(seen.map((event) => [event.type, event.tag])).toEqual([
          ['session.destroyed', otherTag],
        ]);
        expect(JSON.stringify(seen)).not.toContain(other.cookie!.split('.')[0]);
      } finally {
        unsubscribe();
      }
    });

    it('refuses a bad user id with a clear error and binds nothing', async () => {
      const service = app.app.get(SessionService);
      await expect(service.listForUser('')).rejects.toThrow(/userId must be a non-empty string/);
      await expect(service.destroyForUser('x'.repeat(257))).rejects.toThrow(/longer than 256/);
      const browser = new Browser(app.url);
      const reply = await browser.post('/account/login', { user: '', device: 'd' });
      expect(reply.status).toBe(500);
      expect(browser.cookie).toBeUndefined();
    });
  },
);

describe.each(PLATFORMS)('sessions of a user on %s, a store without a user index', (platform) => {
  it('SessionService answers SessionUserIndexUnsupportedError naming the store; bindings still work', async () => {
    const store = new ExpressSessionStoreAdapter(new session.MemoryStore());
    const app = await startApp(
      platform,
      {
        imports: [SessionModule.forRoot({ secret: SECRET })],
        controllers: [AccountController],
      },
      (builder) => builder.overrideProvider(SessionStore).useValue(store),
    );
    try {
      const service = app.app.get(SessionService);
      await expect(service.listForUser('u')).rejects.toThrow(SessionUserIndexUnsupportedError);
      await expect(service.destroyForUser('u')).rejects.toThrow(
        /ExpressSessionStoreAdapter keeps no index of sessions by user/,
      );
      const browser = new Browser(app.url);
      await browser.post('/account/login', { user: 'fay', device: 'd' });
      expect((await browser.get('/account/me')).body).toMatchObject({ userId: 'fay' });
      expect((await browser.get('/account/sessions')).status).toBe(500);
    } finally {
      await app.close();
    }
  });
});
