import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createSessionCookie, readSession, sessionStoreKey } from '../../src/testing/index.js';
import { Browser, sessionCookieLine } from '../support/http-client.js';
import { PLATFORMS } from '../support/platforms.js';
import { startSessionApp, type SessionApp } from '../support/session-app.js';

const cart = { items: [{ sku: 'apple', quantity: 2 }] };

describe.each(PLATFORMS)('nestjs-typed-session/testing helpers on %s', (platform) => {
  let running: SessionApp;
  let browser: Browser;

  beforeEach(async () => {
    running = await startSessionApp(platform, { idleTimeout: 60_000 });
    browser = new Browser(running.url);
  });
  afterEach(() => running.close());

  it('createSessionCookie stores a session a request then sees', async () => {
    const cookie = await createSessionCookie(running.app, { cart });
    expect(cookie).toMatch(/^sid=[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{43}$/);
    const reply = await browser.get('/cart', { cookie: cookie.slice('sid='.length) });
    expect(reply.body.items).toEqual(cart.items);
    expect(sessionCookieLine(reply)).toBeUndefined(); // an existing session: no new cookie
  });

  it('readSession reads back what requests wrote, from a Set-Cookie line or a Cookie header', async () => {
    const reply = await browser.post('/cart', { sku: 'pear', quantity: 1 });
    const setCookie = sessionCookieLine(reply)!;
    const stored = await readSession(running.app, [setCookie]);
    expect(stored).toEqual({
      cart: { items: [{ sku: 'pear', quantity: 1 }], updatedAt: '2026-01-02T03:04:05.000Z' },
    });
    expect(await readSession(running.app, `other=1; sid=${browser.cookie}`)).toEqual(stored);
  });

  it('readSession answers null for no cookie, a forged one, and an expired session', async () => {
    const cookie = await createSessionCookie(running.app, { cart });
    expect(await readSession(running.app, undefined)).toBeNull();
    expect(await readSession(running.app, `${cookie.slice(0, -1)}x`)).toBeNull();
    running.clock.advance(60_000);
    expect(await readSession(running.app, cookie)).toBeNull();
  });

  it('sessionStoreKey names the record the store holds, from a cookie, a Set-Cookie line or a bare id', async () => {
    const reply = await browser.post('/cart', { sku: 'pear', quantity: 1 });
    const id = browser.cookie!.split('.')[0];
    const key = sessionStoreKey(running.app, `sid=${browser.cookie}`)!;
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessionStoreKey(running.app, [sessionCookieLine(reply)!])).toBe(key);
    expect(sessionStoreKey(running.app, browser.cookie)).toBe(key);
    expect(sessionStoreKey(running.app, id)).toBe(key);
    expect(await running.store.inner.get(key)).not.toBeNull();
    expect(await running.store.inner.get(id)).toBeNull(); // hashed keys: the id is not a key
    expect(sessionStoreKey(running.app, `sid=${browser.cookie!.slice(0, -1)}x`)).toBeNull();
  });

  it('createSessionCookie stores the session under its store key, as the app does', async () => {
    const cookie = await createSessionCookie(running.app, { cart });
    const id = cookie.slice('sid='.length).split('.')[0];
    expect(await running.store.inner.get(id)).toBeNull();
    const record = await running.store.inner.get(sessionStoreKey(running.app, cookie)!);
    expect(JSON.parse(record!.data.cart)).toEqual(cart);
  });

  it('createSessionCookie refuses a value that is not JSON', async () => {
    await expect(createSessionCookie(running.app, { bad: undefined as never })).rejects.toThrow(
      '"bad" is not JSON',
    );
  });
});
