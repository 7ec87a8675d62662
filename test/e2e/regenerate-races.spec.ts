import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SessionModule, type SessionStore } from '../../src/index.js';
import { concurrencyStores } from '../support/concurrency-stores.js';
import { FixtureController, VisitCountingGuard } from '../support/fixtures.js';
import { GatedStore } from '../support/gated-store.js';
import { Browser, sessionCookieLine } from '../support/http-client.js';
import { PLATFORMS, startApp, type Platform, type RunningApp } from '../support/platforms.js';
import { SECRET } from '../support/session-app.js';
import { storeKeyOf } from '../support/store-keys.js';

const stores = await concurrencyStores();
const cases = stores.flatMap((store) =>
  PLATFORMS.map((platform) => [store.name, platform, store] as const),
);

/** The create of a regenerate's new id. */
const createOfNewId = (_id: string, write: { mode: string }) => write.mode === 'create';

describe.each(cases)('regenerate races, %s store on %s', (_name, platform: Platform, factory) => {
  let app: RunningApp;
  let inner: SessionStore;
  let store: GatedStore;
  beforeAll(async () => {
    inner = await factory.create();
    store = new GatedStore(inner);
    app = await startApp(platform, {
      imports: [SessionModule.forRoot({ secret: SECRET, store })],
      controllers: [FixtureController],
      providers: [VisitCountingGuard],
    });
  });
  afterAll(async () => {
    await app.close();
    await factory.cleanup();
  });

  async function loggedIn(): Promise<{ browser: Browser; oldId: string }> {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    await browser.post('/bag/user', { value: 'ada' });
    return { browser, oldId: storeKeyOf(app, browser.cookie) };
  }

  it('a logout during an in-flight regenerate is final: the regenerate gets 409 and no cookie', async () => {
    const { browser, oldId } = await loggedIn();
    const gate = store.pauseNext('set', { matches: createOfNewId });
    const cookie = browser.cookie;
    const slow = browser.post('/login', { user: 'mallory' });
    await gate.reached;
    const newId = gate.args![0];
    const logout = await new Browser(app.url).post('/logout', undefined, { cookie });
    expect(logout.status).toBe(200);
    gate.release();
    const reply = await slow;
    expect(reply.status).toBe(409);
    expect(reply.body.error).toBe('SessionInterrupted');
    expect(sessionCookieLine(reply)).toBeUndefined();
    expect(await inner.get(oldId)).toBeNull();
    expect(await inner.get(newId)).toBeNull();
  });

  it('a write acknowledged on the old id during a regenerate is not lost: the regenerate gets 409', async () => {
    const { browser, oldId } = await loggedIn();
    const gate = store.pauseNext('set', { matches: createOfNewId });
    const cookie = browser.cookie;
    const slow = browser.post('/login', { user: 'ada' });
    await gate.reached;
    const newId = gate.args![0];
    const other = new Browser(app.url);
    other.cookie = cookie;
    expect((await other.post('/bag/cartnote', { value: 'gift wrap' })).status).toBe(200);
    gate.release();
    expect((await slow).status).toBe(409);
    expect(await inner.get(newId)).toBeNull();
    // The acknowledged write lives on in the session that was not moved.
    const stored = await inner.get(oldId);
    expect(stored && JSON.parse(stored.data.cartnote)).toBe('gift wrap');
  });

  it('two concurrent regenerates never fork the session: one wins, the other gets 409', async () => {
    const { browser, oldId } = await loggedIn();
    const gate = store.pauseNext('set', { matches: createOfNewId });
    const cookie = browser.cookie;
    const first = new Browser(app.url);
    first.cookie = cookie;
    const second = new Browser(app.url);
    second.cookie = cookie;
    const slow = first.post('/login', { user: 'ada' });
    await gate.reached;
    const losingId = gate.args![0];
    const winner = await second.post('/login', { user: 'ada' });
    expect(winner.status).toBe(200);
    gate.release();
    expect((await slow).status).toBe(409);
    const winningId = storeKeyOf(app, second.cookie);
    expect(await inner.get(oldId)).toBeNull();
    expect(await inner.get(losingId)).toBeNull();
    expect(await inner.get(winningId)).not.toBeNull();
    expect((await second.get('/cart')).body.items).toHaveLength(1);
  });

  it('an undisturbed regenerate moves the data to the new id and kills the old one', async () => {
    const { browser, oldId } = await loggedIn();
    const reply = await browser.post('/login', { user: 'ada' });
    expect(reply.status).toBe(200);
    expect(storeKeyOf(app, browser.cookie)).not.toBe(oldId);
    expect(await inner.get(oldId)).toBeNull();
    expect((await browser.get('/cart')).body.items).toHaveLength(1);
  });
});
