import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SessionModule, SessionStore } from '../../src/index.js';
import { ConcurrencyController } from '../support/concurrency-fixtures.js';
import { Browser, sessionCookieLine } from '../support/http-client.js';
import { PLATFORMS, startApp, type Platform, type RunningApp } from '../support/platforms.js';
import { concurrencyStores } from '../support/concurrency-stores.js';
import { GatedStore } from '../support/gated-store.js';
import { storeKeyOf } from '../support/store-keys.js';

const SECRET = 'concurrency-secret-concurrency-secret';
const stores = await concurrencyStores();
const cases = stores.flatMap((store) =>
  PLATFORMS.map((platform) => [store.name, platform, store] as const),
);

describe.each(cases)(
  'concurrent requests, %s store on %s',
  (_name, platform: Platform, factory) => {
    let app: RunningApp;
    let store: SessionStore;
    let gated: GatedStore;

    beforeAll(async () => {
      store = await factory.create();
      gated = new GatedStore(store);
      app = await startApp(platform, {
        imports: [SessionModule.forRoot({ secret: SECRET, store: gated })],
        controllers: [ConcurrencyController],
      });
    });
    afterAll(async () => {
      await app.close();
    });

    async function startedBrowser(): Promise<Browser> {
      const browser = new Browser(app.url);
      await browser.post('/start');
      expect(browser.cookie).toBeDefined();
      return browser;
    }

    it('100 concurrent adds to one cart under @SessionLock() keep all 100 items', async () => {
      const browser = await startedBrowser();
      const replies = await Promise.all(
        Array.from({ length: 100 }, (_, i) => browser.post('/locked/basket', { sku: `item-${i}` })),
      );
      expect(replies.every((reply) => reply.status === 200)).toBe(true);
      const { lines } = (await browser.get('/state')).body;
      expect(lines).toHaveLength(100);
      expect(new Set(lines).size).toBe(100);
    }, 60_000);

    it('without the lock the same 100 adds lose updates (what the lock is for)', async () => {
      const browser = await startedBrowser();
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => browser.post('/basket', { sku: `item-${i}` })),
      );
      expect((await browser.get('/state')).body.lines.length).toBeLessThan(100);
    }, 60_000);

    it('100 concurrent pairs, one changing basket and one settings, no lock: every change of both survives', async () => {
      // Each pair races on its own session; all 100 pairs are in flight at once.
      const browsers = await Promise.all(Array.from({ length: 100 }, startedBrowser));
      await Promise.all(
        browsers.flatMap((browser, i) => [
          browser.post('/basket', { sku: `b-${i}` }),
          browser.post('/settings', { flag: `s-${i}` }),
        ]),
      );
      const states = await Promise.all(browsers.map((browser) => browser.get('/state')));
      states.forEach((state, i) => {
        expect(state.body).toEqual({ lines: [`b-${i}`], flags: [`s-${i}`] });
      });
    }, 60_000);

    it("onConflict: 'reject' → the loser gets 409 and the winner's data is intact", async () => {
      const browser = await startedBrowser();
      const [slow, fast] = await Promise.all([
        browser.post('/ledger', { entry: 'slow', wait: 150 }),
        browser.post('/ledger', { entry: 'fast', wait: 0 }),
      ]);
      expect(fast.status).toBe(200);
      expect(slow.status).toBe(409);
      expect(slow.body.error).toBe('SessionConflict');
      expect((await browser.get('/ledger')).body.entries).toEqual(['fast']);
    });

    it('a lock holder that never releases: the lock expires after its TTL and the next request proceeds', async () => {
      const browser = await startedBrowser();
      const id = storeKeyOf(app, browser.cookie);
      const crashed = await store.acquireLock(id, { ttlMs: 400, waitMs: 0 });
      expect(crashed).not.toBeNull();
      const started = Date.now();
      const reply = await browser.post('/locked/basket', { sku: 'after-crash' });
      expect(reply.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });

    it('a request that cannot get the lock in time gets 423 and changes nothing', async () => {
      const browser = await startedBrowser();
      const id = storeKeyOf(app, browser.cookie);
      const token = await store.acquireLock(id, { ttlMs: 5_000, waitMs: 0 });
      try {
        const reply = await browser.post('/locked/slow', { wait: 0, sku: 'blocked' });
        expect(reply.status).toBe(423);
        expect(reply.body.error).toBe('SessionLocked');
      } finally {
        await store.releaseLock(id, token!);
      }
      expect((await browser.get('/state')).body.lines).toEqual([]);
    });

    it('readers never wait for a lock', async () => {
      const browser = await startedBrowser();
      const id = storeKeyOf(app, browser.cookie);
      const token = await store.acquireLock(id, { ttlMs: 10_000, waitMs: 0 });
      try {
        const started = Date.now();
        const reply = await browser.get('/locked/reader');
        expect(reply.status).toBe(200);
        expect(Date.now() - started).toBeLessThan(1_000);
      } finally {
        await store.releaseLock(id, token!);
      }
    });

    it('a destroy racing an in-flight writer: the writer gets 409 and the session is not resurrected', async () => {
      const browser = await startedBrowser();
      const cookie = browser.cookie!;
      // The writer is held just before its commit reaches the store; the logout runs then.
      const gate = gated.pauseNext('set', { matches: (_id, write) => write.mode === 'update' });
      const writer = browser.post('/slow-write', { wait: 0, sku: 'late' }, { cookie });
      await gate.reached;
      const logout = await new Browser(app.url).post('/logout', undefined, { cookie });
      expect(logout.status).toBe(200);
      gate.release();
      const late = await writer;
      expect(late.status).toBe(409);
      expect(late.body.error).toBe('SessionInterrupted');
      expect(sessionCookieLine(late)).toBeUndefined();
      expect(await store.get(storeKeyOf(app, cookie))).toBeNull();
      expect((await browser.get('/state', { cookie })).body.lines).toEqual([]);
    });

    it('a regenerate racing an in-flight writer: the old id is not brought back', async () => {
      const browser = await startedBrowser();
      const cookie = browser.cookie!;
      const gate = gated.pauseNext('set', { matches: (_id, write) => write.mode === 'update' });
      const writer = browser.post('/slow-write', { wait: 0, sku: 'late' }, { cookie });
      await gate.reached;
      const login = await new Browser(app.url).post('/login', undefined, { cookie });
      expect(login.status).toBe(200);
      gate.release();
      const late = await writer;
      expect(late.status).toBe(409);
      expect(await store.get(storeKeyOf(app, cookie))).toBeNull();
    });
  },
);
