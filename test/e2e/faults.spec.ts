import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Browser } from '../support/http-client.js';
import { PLATFORMS } from '../support/platforms.js';
import { startSessionApp, type SessionApp } from '../support/session-app.js';
import { storeKeyOf } from '../support/store-keys.js';

describe.each(PLATFORMS)('invalid data on %s', (platform) => {
  let app: SessionApp;
  beforeAll(async () => {
    app = await startSessionApp(platform, { maxSize: 2_000 });
  });
  afterAll(() => app.close());

  it('a change that fails validation → 500 naming the fields, and the stored data unchanged', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'good', quantity: 1 });
    const id = storeKeyOf(app, browser.cookie);
    const before = await app.store.inner.get(id);
    const reply = await browser.post('/cart', { sku: 'bad', quantity: 0 });
    expect(reply.status).toBe(500);
    expect(reply.body.error).toBe('SessionValidationError');
    expect(reply.body.message).toContain('cart.items.1.quantity');
    expect(reply.body.fields[0].field).toBe('cart.items.1.quantity');
    expect(await app.store.inner.get(id)).toEqual(before);
  });

  it('a change through the untyped bag is validated against the schema bound to its key', async () => {
    const browser = new Browser(app.url);
    const reply = await browser.post('/bag/cart', { value: { items: 'not a list' } });
    expect(reply.status).toBe(500);
    expect(reply.body.message).toContain('cart.items');
    expect(browser.cookie).toBeUndefined(); // nothing was written, so no session was started
  });

  it('stored data that fails the schema is reset to defaults with a logged warning', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const browser = new Browser(app.url);
      await browser.post('/cart', { sku: 'a', quantity: 1 });
      const id = storeKeyOf(app, browser.cookie);
      // An old deploy (or a hand edit) left data the current schema rejects.
      await app.store.inner.set(id, {
        mode: 'update',
        metadata: (await app.store.inner.get(id))!.metadata,
        set: { cart: '{"items":[{"sku":42,"quantity":-1}]}' },
        remove: [],
      });
      const reply = await browser.get('/cart');
      expect(reply.status).toBe(200);
      expect(reply.body.items).toEqual([]);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('cart.items.0.sku'));
      // The reset is written back, so the bad data does not linger.
      expect(JSON.parse((await app.store.inner.get(id))!.data.cart)).toEqual({ items: [] });
    } finally {
      warn.mockRestore();
    }
  });

  it('a session over the size limit → a clear error naming the limit, nothing written', async () => {
    const browser = new Browser(app.url);
    await browser.post('/bag/small', { value: 'ok' });
    const id = storeKeyOf(app, browser.cookie);
    const reply = await browser.post('/bag/big', { value: 'x'.repeat(3_000) });
    expect(reply.status).toBe(413);
    expect(reply.body.message).toContain('2000-byte limit');
    expect(Object.keys((await app.store.inner.get(id))!.data)).toEqual(['small']);
  });
});

describe.each(PLATFORMS)('store faults on %s', (platform) => {
  let app: SessionApp;
  let errors: ReturnType<typeof jest.spyOn>;
  beforeAll(async () => {
    app = await startSessionApp(platform, { retryAfterSeconds: 7 });
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(async () => {
    errors.mockRestore();
    await app.close();
  });
  afterEach(() => app.store.failing.clear());

  it('a store that throws on read → 503 with Retry-After for session routes, 200 for others', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    app.store.failing.add('get');
    const reply = await browser.get('/cart');
    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toBe('7');
    expect((await browser.get('/untouched')).status).toBe(200);
    app.store.failing.clear();
    expect((await browser.get('/cart')).body.items).toHaveLength(1); // the process is alive
  });

  it('a store write that fails with an unknown outcome → 503 saying the change may not have been saved', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    app.store.failing.add('set');
    const reply = await browser.post('/cart', { sku: 'b', quantity: 1 });
    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toBe('7');
    expect(reply.body.message).toContain('may not have been saved');
    app.store.failing.clear();
    expect((await browser.get('/cart')).body.items).toHaveLength(1);
  });

  it('a write that landed but whose answer was lost → 503 "may not have been saved", and it was', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    app.store.failingAfter.add('set');
    const reply = await browser.post('/cart', { sku: 'b', quantity: 1 });
    app.store.failingAfter.clear();
    expect(reply.status).toBe(503);
    expect(reply.body.message).toContain('may not have been saved');
    expect((await browser.get('/cart')).body.items).toHaveLength(2);
  });

  it('a store that refused the write (nothing applied) → 503 saying the change was not saved', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    app.store.refusing.add('set');
    const reply = await browser.post('/cart', { sku: 'b', quantity: 1 });
    expect(reply.status).toBe(503);
    expect(reply.body.message).toContain('was not saved');
    expect(reply.body.message).not.toContain('may not');
    app.store.refusing.clear();
    expect((await browser.get('/cart')).body.items).toHaveLength(1);
  });

  it('a store that throws on touch → a logged warning and the response goes on', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const browser = new Browser(app.url);
      await browser.post('/cart', { sku: 'a', quantity: 1 });
      app.store.failing.add('touch');
      app.clock.advance(5 * 60_000);
      expect((await browser.get('/cart')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('touch failed'));
    } finally {
      warn.mockRestore();
    }
  });

  it('a store that throws on destroy → 503, and the process stays up', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    app.store.failing.add('destroy');
    expect((await browser.post('/logout')).status).toBe(503);
    app.store.failing.clear();
    expect((await browser.get('/cart')).body.items).toHaveLength(1);
  });
});
