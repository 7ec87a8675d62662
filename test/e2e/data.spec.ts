import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Browser } from '../support/http-client.js';
import { PLATFORMS } from '../support/platforms.js';
import { startSessionApp, type SessionApp } from '../support/session-app.js';
import { storeKeyOf } from '../support/store-keys.js';

describe.each(PLATFORMS)('session data on %s', (platform) => {
  let app: SessionApp;
  beforeAll(async () => {
    app = await startSessionApp(platform);
  });
  afterAll(() => app.close());

  it('a typed value written is read on the next request, nested classes and dates included', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'apple', quantity: 3 });
    const reply = await browser.get('/cart');
    expect(reply.body).toEqual({
      items: [{ sku: 'apple', quantity: 3 }],
      updatedAt: '2026-01-02T03:04:05.000Z',
    });
  });

  it('the untyped bag and the typed schema see the same data', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'pear', quantity: 1 });
    const bag = await browser.get('/bag/cart');
    expect(bag.body.value.items).toEqual([{ sku: 'pear', quantity: 1 }]);
    expect((await browser.get('/bag')).body.keys).toEqual(['cart']);
  });

  it('every JSON type round-trips through the bag', async () => {
    const browser = new Browser(app.url);
    const value = { s: 'ünïcødé ✓', n: 1.5, b: true, z: null, a: [1, 'two', { three: 3 }] };
    await browser.post('/bag/things', { value });
    expect((await browser.get('/bag/things')).body.value).toEqual(value);
  });

  it('keys are case-sensitive', async () => {
    const browser = new Browser(app.url);
    await browser.post('/bag/Name', { value: 'upper' });
    await browser.post('/bag/name', { value: 'lower' });
    expect((await browser.get('/bag/Name')).body.value).toBe('upper');
    expect((await browser.get('/bag/name')).body.value).toBe('lower');
    expect((await browser.get('/bag')).body.keys).toEqual(['Name', 'name']);
  });

  it('remove sticks', async () => {
    const browser = new Browser(app.url);
    await browser.post('/bag/a', { value: 1 });
    await browser.post('/bag/b', { value: 2 });
    await browser.delete('/bag/a');
    expect((await browser.get('/bag/a')).body.value).toBeNull();
    expect((await browser.get('/bag')).body.keys).toEqual(['b']);
  });

  it('clear empties every key, typed namespaces included, and sticks', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    await browser.post('/bag/x', { value: 'y' });
    await browser.post('/bag-clear');
    expect((await browser.get('/bag')).body.keys).toEqual([]);
    expect((await browser.get('/cart')).body.items).toEqual([]);
  });

  it('a write followed by a redirect: the very next request sees the write', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'first', quantity: 1 });
    const redirect = await browser.post('/cart/add-and-redirect', { sku: 'second', quantity: 1 });
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get('location')).toBe('/cart');
    const next = await browser.get(redirect.headers.get('location')!);
    expect(next.body.items.map((item: { sku: string }) => item.sku)).toEqual(['first', 'second']);
  });

  it('two schemas in one handler both work and only the changed one is written', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    const before = app.store.calls.set;
    const reply = await browser.post('/cart-and-prefs', { theme: 'dark' });
    expect(reply.body).toEqual({ items: 1, theme: 'dark' });
    expect(app.store.calls.set).toBe(before + 1);
    expect((await browser.get('/prefs')).body).toEqual({ theme: 'dark' });
    const record = await app.store.inner.get(idOf(app, browser));
    expect(Object.keys(record!.data).sort()).toEqual(['cart', 'prefs']);
  });

  it('a read-only route never writes, even when the handler mutates its instance', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    const writes = app.store.calls.set;
    expect((await browser.get('/reader')).body).toEqual({ count: 2 });
    expect(app.store.calls.set).toBe(writes);
    expect((await browser.get('/cart')).body.items).toHaveLength(1);
  });

  it('an HttpException below 500 still commits; a 5xx commits nothing', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'kept', quantity: 1 });
    expect((await browser.post('/cart/fail-400', { sku: 'counted', quantity: 1 })).status).toBe(
      400,
    );
    expect((await browser.post('/cart/fail-500', { sku: 'lost', quantity: 1 })).status).toBe(500);
    const skus = (await browser.get('/cart')).body.items.map((item: { sku: string }) => item.sku);
    expect(skus).toEqual(['kept', 'counted']);
  });

  it('a guard reaches the same session through SessionService, and its change is committed', async () => {
    const browser = new Browser(app.url);
    expect((await browser.get('/guarded')).body).toEqual({ visits: 1 });
    expect((await browser.get('/guarded')).body).toEqual({ visits: 2 });
  });

  it('a route that never uses the session reads nothing from the store', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    app.store.reset();
    expect((await browser.get('/untouched')).status).toBe(200);
    expect(app.store.calls.get).toBe(0);
    expect(app.store.calls.set).toBe(0);
  });
});

function idOf(app: SessionApp, browser: Browser): string {
  return storeKeyOf(app, browser.cookie);
}
