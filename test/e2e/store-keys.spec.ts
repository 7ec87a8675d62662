import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  SessionModule,
  type SessionModuleOptions,
  type SessionStore,
  type SessionWrite,
} from '../../src/index.js';
import {
  KEYED_SESSION_STORE,
  type KeyedSessionStore,
} from '../../src/store-keys/keyed-session-store.js';
import { FixtureController } from '../support/fixtures.js';
import { GatedStore } from '../support/gated-store.js';
import { Browser, type Reply } from '../support/http-client.js';
import { PLATFORMS, startApp, type Platform, type RunningApp } from '../support/platforms.js';
import { SECRET } from '../support/session-app.js';
import { dumpableStores, type DumpableStore } from '../support/store-dumps.js';
import { storeKeyOf } from '../support/store-keys.js';

/** A GatedStore that also counts the copies a move makes (every 'create' write). */
class CountingStore extends GatedStore {
  creates: string[] = [];

  override set(id: string, write: SessionWrite) {
    if (write.mode === 'create') this.creates.push(id);
    return super.set(id, write);
  }
}

interface App extends RunningApp {
  store: SessionStore;
}

/** Every session id a response handed out in a cookie. */
function idsHandedOut(reply: Reply): string[] {
  return reply.setCookies
    .filter((line) => line.startsWith('sid=') && !line.startsWith('sid=;'))
    .map((line) => line.slice('sid='.length).split(';')[0].split('.')[0]);
}

const places = await dumpableStores();
const cases = places.flatMap((place) =>
  PLATFORMS.map((platform) => [place.name.replace(/Place$/, ''), platform, place] as const),
);

describe.each(cases)('hashed store keys, %s store on %s', (_name, platform: Platform, place) => {
  let data: DumpableStore;
  const apps: App[] = [];

  /** An app on the shared data with these options, beside the ones already running. */
  async function start(
    options: Partial<SessionModuleOptions> = {},
    wrap: (store: SessionStore) => SessionStore = (store) => store,
  ): Promise<App> {
    const store = wrap(await data.create());
    const running = await startApp(platform, {
      imports: [SessionModule.forRoot({ secret: SECRET, store, ...options })],
      controllers: [FixtureController],
    });
    const app = { ...running, store };
    apps.push(app);
    return app;
  }

  beforeAll(() => {
    data = place();
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });
  afterAll(() => data.cleanup());

  it('no id that went out in a cookie appears anywhere in the store: keys, values, locks', async () => {
    const app = await start();
    const handedOut = new Set<string>();
    const live: Browser[] = [];
    for (let n = 0; n < 6; n++) {
      const browser = new Browser(app.url);
      const replies = [
        await browser.post('/cart', { sku: `sku-${n}`, quantity: 1 }),
        await browser.post('/bag/note', { value: `note ${n}` }),
      ];
      if (n % 2 === 0) replies.push(await browser.post('/login', { user: `user-${n}` }));
      if (n === 5) replies.push(await browser.post('/logout'));
      else live.push(browser);
      for (const reply of replies) for (const id of idsHandedOut(reply)) handedOut.add(id);
    }
    // A lock held right now is in the dump too.
    const engine = app.app.get<KeyedSessionStore>(KEYED_SESSION_STORE);
    const lockedId = live[0].cookie!.split('.')[0];
    const token = await engine.acquireLock(lockedId, { ttlMs: 60_000, waitMs: 0 });
    expect(token).not.toBeNull();

    const dump = await data.dump();
    expect(handedOut.size).toBe(6 + 3); // six sessions, three of them regenerated
    for (const id of handedOut) expect(dump).not.toContain(id);
    // The dump does hold the sessions, under their hashed keys: the test looks where they are.
    for (const browser of live) expect(dump).toContain(storeKeyOf(app, browser.cookie));
    await engine.releaseLock(lockedId, token!);
    // And the sessions work.
    for (const browser of live) expect((await browser.get('/cart')).body.items).toHaveLength(1);
  });

  it('an existing deployment switches: plain keys, then both forms for one idle timeout, then hashed only', async () => {
    // Before: the deployment stores sessions under their plain ids.
    const before = await start({ storeKeys: 'plain' });
    const [moved, written, forgotten] = [0, 1, 2].map(() => new Browser(before.url));
    await moved.post('/cart', { sku: 'moved', quantity: 1 });
    await written.post('/cart', { sku: 'written', quantity: 1 });
    await forgotten.post('/cart', { sku: 'forgotten', quantity: 1 });
    const plainId = (browser: Browser) => browser.cookie!.split('.')[0];
    expect(await before.store.get(plainId(moved))).not.toBeNull();

    // The switch, as a rolling deploy: the new version reads both forms while the old one runs.
    const during = await start({ storeKeys: { migrateFrom: 'plain' } });
    const movedKey = storeKeyOf(during, moved.cookie);
    expect(movedKey).not.toBe(plainId(moved));
    expect(await during.store.get(movedKey)).toBeNull();
    const onNew = new Browser(during.url);
    onNew.cookie = moved.cookie;
    expect((await onNew.get('/cart')).body.items).toEqual([
      expect.objectContaining({ sku: 'moved' }),
    ]);
    expect(await during.store.get(plainId(moved))).toBeNull();
    expect(await during.store.get(movedKey)).not.toBeNull();
    expect((await onNew.post('/cart', { sku: 'after', quantity: 1 })).status).toBe(201);
    // The old version, still running, writes under the plain id; the new one moves it later.
    expect((await written.post('/cart', { sku: 'old-version', quantity: 1 })).status).toBe(201);
    const writtenOnNew = new Browser(during.url);
    writtenOnNew.cookie = written.cookie;
    expect((await writtenOnNew.get('/cart')).body.items).toHaveLength(2);

    // After the idle timeout the option goes: hashed keys only.
    const after = await start();
    const [movedAfter, forgottenAfter] = [moved, forgotten].map((browser) => {
      const next = new Browser(after.url);
      next.cookie = browser.cookie;
      return next;
    });
    expect((await movedAfter.get('/cart')).body.items).toHaveLength(2);
    // A session never read during the window is not found any more (it expires in the store).
    expect((await forgottenAfter.get('/cart')).body.items).toEqual([]);
    const dump = await data.dump();
    expect(dump).not.toContain(plainId(moved));
    expect(dump).not.toContain(plainId(written));
  });

  describe('moving a plain-keyed session, raced', () => {
    async function plainSession(): Promise<{ old: App; cookie: string }> {
      const old = await start({ storeKeys: 'plain' });
      const browser = new Browser(old.url);
      await browser.post('/cart', { sku: 'first', quantity: 1 });
      return { old, cookie: browser.cookie! };
    }

    function on(app: App, cookie: string): Browser {
      const browser = new Browser(app.url);
      browser.cookie = cookie;
      return browser;
    }

    it('two requests that both find it under its plain id: one copy, both writes kept', async () => {
      const { cookie } = await plainSession();
      let gated!: CountingStore;
      const app = await start({ storeKeys: { migrateFrom: 'plain' } }, (store) => {
        gated = new CountingStore(store);
        return gated;
      });
      const copy = gated.pauseNext('set', { matches: (_id, write) => write.mode === 'create' });
      const first = on(app, cookie).post('/bag/x', { value: 1 });
      await copy.reached;
      // The second request misses the hashed key too, and waits for the first one's move.
      const lock = gated.pauseNext('acquireLock');
      const second = on(app, cookie).post('/bag/y', { value: 2 });
      await lock.reached;
      lock.release();
      copy.release();
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(200);
      expect(gated.creates).toEqual([storeKeyOf(app, cookie)]);
      const bag = (await on(app, cookie).get('/bag')).body;
      expect(bag.keys).toEqual(['cart', 'x', 'y']);
    });

    it('a write by an instance on plain keys between the copy and the delete is kept: the move starts again', async () => {
      const { old, cookie } = await plainSession();
      let gated!: GatedStore;
      const app = await start({ storeKeys: { migrateFrom: 'plain' } }, (store) => {
        gated = new GatedStore(store);
        return gated;
      });
      const remove = gated.pauseNext('destroyIfUnchanged');
      const reading = on(app, cookie).get('/cart');
      await remove.reached;
      expect((await on(old, cookie).post('/cart', { sku: 'meanwhile', quantity: 1 })).status).toBe(
        201,
      );
      remove.release();
      const items = (await reading).body.items.map((item: { sku: string }) => item.sku);
      expect(items).toEqual(['first', 'meanwhile']);
      expect(await app.store.get(cookie.split('.')[0])).toBeNull();
      expect((await app.store.get(storeKeyOf(app, cookie)))!.data.cart).toContain('meanwhile');
    });

    it('a logout by an instance on plain keys between the copy and the delete is final', async () => {
      const { old, cookie } = await plainSession();
      let gated!: GatedStore;
      const app = await start({ storeKeys: { migrateFrom: 'plain' } }, (store) => {
        gated = new GatedStore(store);
        return gated;
      });
      const remove = gated.pauseNext('destroyIfUnchanged');
      const reading = on(app, cookie).get('/cart');
      await remove.reached;
      expect((await on(old, cookie).post('/logout')).status).toBe(200);
      remove.release();
      expect((await reading).body.items).toEqual([]);
      expect(await app.store.get(storeKeyOf(app, cookie))).toBeNull();
      expect((await on(app, cookie).get('/cart')).body.items).toEqual([]);
    });
  });
});
