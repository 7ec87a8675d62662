import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Browser, sessionCookieLine } from '../support/http-client.js';
import { PLATFORMS } from '../support/platforms.js';
import { startSessionApp, type SessionApp } from '../support/session-app.js';

describe.each(PLATFORMS)('session cookie on %s', (platform) => {
  let app: SessionApp;
  beforeAll(async () => {
    app = await startSessionApp(platform);
  });
  afterAll(() => app.close());

  it('reading an empty session sets no cookie and writes nothing', async () => {
    const browser = new Browser(app.url);
    const reply = await browser.get('/cart');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ items: [], updatedAt: null });
    expect(reply.setCookies).toEqual([]);
    expect(reply.headers.get('cache-control')).toBeNull();
  });

  it('writing sets exactly one session cookie with the default attributes and no-store', async () => {
    const browser = new Browser(app.url);
    const reply = await browser.post('/cart', { sku: 'a', quantity: 1 });
    expect(reply.status).toBe(201);
    expect(reply.setCookies).toHaveLength(1);
    const line = sessionCookieLine(reply)!;
    expect(line).toMatch(
      /^sid=[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    expect(reply.headers.get('cache-control')).toBe('no-store');
  });

  it('a second write with the cookie sets no new cookie', async () => {
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    const reply = await browser.post('/cart', { sku: 'b', quantity: 2 });
    expect(reply.body).toEqual({ count: 2 });
    expect(reply.setCookies).toEqual([]);
  });
});

describe.each(PLATFORMS)('cookie attributes on %s', (platform) => {
  let app: SessionApp;
  beforeAll(async () => {
    app = await startSessionApp(platform, {
      cookie: {
        name: 'app.sid',
        path: '/',
        domain: 'example.test',
        sameSite: 'strict',
        maxAge: 3_600_000,
        partitioned: true,
        secure: true,
      },
    });
  });
  afterAll(() => app.close());

  it('sends name, Domain, Max-Age, SameSite, Partitioned as configured', async () => {
    const browser = new Browser(app.url, 'app.sid');
    const reply = await browser.post('/cart', { sku: 'a', quantity: 1 });
    const line = sessionCookieLine(reply, 'app.sid')!;
    expect(line).toContain('Domain=example.test');
    expect(line).toContain('Max-Age=3600');
    expect(line).toContain('SameSite=Strict');
    expect(line).toContain('Partitioned');
    expect(line).toContain('Secure');
    expect(line).toContain('HttpOnly');
  });
});

describe.each(PLATFORMS)('the Secure attribute on %s', (platform) => {
  const cases: Array<[boolean | 'auto', boolean, boolean]> = [
    // policy, Secure over plain HTTP, Secure over HTTPS behind a trusted proxy
    [true, true, true],
    [false, false, false],
    ['auto', false, true],
  ];
  it.each(cases)(
    'secure: %s → plain HTTP %s, HTTPS behind a proxy %s',
    async (secure, overHttp, overProxy) => {
      const app = await startSessionApp(platform, { cookie: { secure } });
      try {
        const plain = await new Browser(app.url).post('/cart', { sku: 'a', quantity: 1 });
        expect(/; Secure/.test(sessionCookieLine(plain)!)).toBe(overHttp);
        const proxied = await new Browser(app.url).post(
          '/cart',
          { sku: 'a', quantity: 1 },
          { headers: { 'x-forwarded-proto': 'https' } },
        );
        expect(/; Secure/.test(sessionCookieLine(proxied)!)).toBe(overProxy);
      } finally {
        await app.close();
      }
    },
  );
});
