import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Browser, sessionCookieLine } from '../support/http-client.js';
import { PLATFORMS } from '../support/platforms.js';
import { startSessionApp, type SessionApp } from '../support/session-app.js';
import { storeKeyOf } from '../support/store-keys.js';

const MINUTE = 60_000;

describe.each(PLATFORMS)('expiry on %s', (platform) => {
  let app: SessionApp;
  beforeAll(async () => {
    app = await startSessionApp(platform, {
      idleTimeout: 20 * MINUTE,
      absoluteTimeout: 60 * MINUTE,
      touchAfter: 2 * MINUTE,
    });
  });
  afterAll(() => app.close());

  it('an idle session expires and its data never comes back', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    app.clock.advance(20 * MINUTE + 1);
    expect((await browser.get('/cart')).body.items).toEqual([]);
    // Even writing again starts a new session rather than reviving the old one.
    const oldCookie = browser.cookie;
    await browser.post('/cart', { sku: 'b', quantity: 1 });
    expect(browser.cookie).not.toBe(oldCookie);
    expect((await browser.get('/cart')).body.items.map((i: { sku: string }) => i.sku)).toEqual([
      'b',
    ]);
  });

  it('an expired session is gone even from a store that still holds it', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    const id = storeKeyOf(app, browser.cookie);
    app.clock.advance(20 * MINUTE + 1);
    // Sidestep the store's own expiry check: the module must still refuse the record.
    const stale = {
      metadata: {
        createdAt: 0,
        lastSeenAt: 0,
        idleExpiresAt: app.clock.now() - 1,
        absoluteExpiresAt: null,
      },
      data: { cart: '{"items":[{"sku":"zombie","quantity":1}]}' },
      revisions: {},
    };
    const original = app.store.inner.get.bind(app.store.inner);
    app.store.inner.get = async (sid: string) => (sid === id ? stale : original(sid));
    try {
      expect((await browser.get('/cart')).body.items).toEqual([]);
    } finally {
      app.store.inner.get = original;
    }
  });

  it('routes that do not use the session do not refresh its expiry (as in ASP.NET Core)', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'gone', quantity: 1 });
    app.store.reset();
    for (let i = 0; i < 3; i++) {
      app.clock.advance(6 * MINUTE);
      expect((await browser.get('/untouched')).status).toBe(200);
    }
    expect(app.store.calls.get + app.store.calls.touch + app.store.calls.set).toBe(0);
    app.clock.advance(3 * MINUTE); // 21 minutes after the last use of the session
    expect((await browser.get('/cart')).body.items).toEqual([]);
  });

  it('read-only traffic does not write on every request: the expiry is refreshed after touchAfter', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    app.store.reset();
    await browser.get('/cart');
    await browser.get('/cart');
    expect(app.store.calls.touch + app.store.calls.set).toBe(0);
    app.clock.advance(2 * MINUTE);
    await browser.get('/cart');
    expect(app.store.calls.touch).toBe(1);
    expect(app.store.calls.set).toBe(0);
  });

  it('the absolute timeout ends even an active session', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    for (let i = 0; i < 6; i++) {
      app.clock.advance(10 * MINUTE);
      await browser.post('/bag/tick', { value: i });
    }
    // 60 minutes after creation, despite a write every 10 minutes.
    expect((await browser.get('/cart')).body.items).toEqual([]);
  });
});

describe.each(PLATFORMS)('regenerate and destroy on %s', (platform) => {
  let app: SessionApp;
  beforeAll(async () => {
    app = await startSessionApp(platform);
  });
  afterAll(() => app.close());

  it('regenerate keeps the data under a new id, and the old cookie no longer works', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    const oldCookie = browser.cookie!;
    const reply = await browser.post('/login', { user: 'ada' });
    expect(reply.body.after).not.toBe(reply.body.before);
    expect(sessionCookieLine(reply)).toBeDefined();
    expect(browser.cookie).not.toBe(oldCookie);
    expect((await browser.get('/cart')).body.items).toHaveLength(1);
    expect((await browser.get('/bag/user')).body.value).toBe('ada');
    const stolen = await browser.get('/cart', { cookie: oldCookie });
    expect(stolen.body.items).toEqual([]);
    expect(await app.store.inner.get(storeKeyOf(app, oldCookie))).toBeNull();
  });

  it('destroy deletes the data and clears the cookie with an expired Set-Cookie', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    const cookie = browser.cookie!;
    const reply = await browser.post('/logout');
    const line = sessionCookieLine(reply)!;
    expect(line).toMatch(/^sid=;/);
    expect(line).toContain('Max-Age=0');
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(browser.cookie).toBeUndefined();
    expect((await browser.get('/cart', { cookie })).body.items).toEqual([]);
    expect(await app.store.inner.get(storeKeyOf(app, cookie))).toBeNull();
  });
});

describe.each(PLATFORMS)('bad cookies on %s', (platform) => {
  let app: SessionApp;
  let victimCookie: string;
  beforeAll(async () => {
    app = await startSessionApp(platform);
    const victim = new Browser(app.url);
    await victim.post('/cart', { sku: 'secret', quantity: 1 });
    victimCookie = victim.cookie!;
  });
  afterAll(() => app.close());

  const forged = () => `${victimCookie.split('.')[0]}.${'A'.repeat(43)}`;
  const cases: Array<[string, () => string]> = [
    ['forged signature', forged],
    ['truncated', () => victimCookie.slice(0, -5)],
    ['empty', () => ''],
    ['10 kB', () => 'x'.repeat(10_240)],
    ['unsigned id', () => victimCookie.split('.')[0]],
    ['signed with an unknown secret', () => `${'B'.repeat(32)}.${'C'.repeat(43)}`],
  ];
  it.each(cases)('%s cookie → a fresh session and no store read', async (_name, cookie) => {
    app.store.reset();
    const reply = await new Browser(app.url).get('/cart', { cookie: cookie() });
    expect(reply.status).toBe(200);
    expect(reply.body.items).toEqual([]);
    expect(app.store.calls.get).toBe(0);
  });
});

describe.each(PLATFORMS)('expiry with everyRoute: true on %s', (platform) => {
  let app: SessionApp;
  beforeAll(async () => {
    app = await startSessionApp(platform, {
      idleTimeout: 20 * MINUTE,
      absoluteTimeout: 60 * MINUTE,
      touchAfter: 2 * MINUTE,
      everyRoute: true,
    });
  });
  afterAll(() => app.close());

  it('activity on routes that never touch the session keeps it alive past one idle timeout', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'kept', quantity: 1 });
    app.store.reset();
    for (let i = 0; i < 4; i++) {
      app.clock.advance(10 * MINUTE);
      expect((await browser.get('/untouched')).status).toBe(200);
    }
    expect(app.store.calls.get).toBe(0); // blind touches only, no reads
    expect(app.store.calls.touch).toBeGreaterThanOrEqual(4);
    app.clock.advance(10 * MINUTE); // 50 minutes after the write, 10 after the last activity
    expect((await browser.get('/cart')).body.items).toHaveLength(1);
  });
});
