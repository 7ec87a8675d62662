import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Browser } from '../support/http-client.js';
import { PLATFORMS } from '../support/platforms.js';
import { startSessionApp, type SessionApp } from '../support/session-app.js';

/** A client that carries the session id in a header, as an API or mobile client does. */
class HeaderClient {
  id: string | undefined;
  constructor(
    private readonly baseUrl: string,
    private readonly header = 'x-session-id',
  ) {}

  async request(method: string, path: string, body?: unknown, id = this.id) {
    const headers: Record<string, string> = {};
    if (id !== undefined) headers[this.header] = id;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const sent = response.headers.get(this.header);
    if (sent !== null) this.id = sent === '' ? undefined : sent;
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
      headers: response.headers,
      setCookies: response.headers.getSetCookie(),
    };
  }
}

describe.each(PLATFORMS)('session id in a header on %s', (platform) => {
  let app: SessionApp;
  beforeAll(async () => {
    app = await startSessionApp(platform, { idFrom: ['header'], header: 'X-Session-Id' });
  });
  afterAll(() => app.close());

  it('a new session sends its signed id in the header and no cookie; the header brings it back', async () => {
    const client = new HeaderClient(app.url);
    const added = await client.request('POST', '/cart', { sku: 'h', quantity: 1 });
    expect(added.status).toBe(201);
    expect(added.setCookies).toEqual([]);
    expect(client.id).toMatch(/^[\w-]+\.[\w-]+$/);
    expect((await client.request('GET', '/cart')).body!.items).toHaveLength(1);
  });

  it('a forged or unsigned header id is a fresh session, without a store read', async () => {
    const client = new HeaderClient(app.url);
    await client.request('POST', '/cart', { sku: 'h', quantity: 1 });
    const [id] = client.id!.split('.');
    app.store.reset();
    expect((await client.request('GET', '/cart', undefined, id)).body!.items).toEqual([]);
    expect((await client.request('GET', '/cart', undefined, `${id}.forged`)).body!.items).toEqual(
      [],
    );
    expect(app.store.calls.get).toBe(0);
  });

  it('a regenerate returns the new id in the header; a logout returns an empty one', async () => {
    const client = new HeaderClient(app.url);
    await client.request('POST', '/cart', { sku: 'h', quantity: 1 });
    const before = client.id;
    await client.request('POST', '/login', { user: 'ada' });
    expect(client.id).toBeDefined();
    expect(client.id).not.toBe(before);
    expect((await client.request('GET', '/cart')).body!.items).toHaveLength(1);
    const out = await client.request('POST', '/logout');
    expect(out.headers.get('x-session-id')).toBe('');
    expect(client.id).toBeUndefined();
  });

  it('a cookie is not read when only the header is a source', async () => {
    const cookieBrowser = new Browser(app.url);
    const client = new HeaderClient(app.url);
    await client.request('POST', '/cart', { sku: 'h', quantity: 1 });
    cookieBrowser.cookie = client.id;
    expect((await cookieBrowser.get('/cart')).body.items).toEqual([]);
  });
});

describe.each(PLATFORMS)('session id in the cookie or a header on %s', (platform) => {
  let app: SessionApp;
  beforeAll(async () => {
    app = await startSessionApp(platform, { idFrom: ['cookie', 'header'] });
  });
  afterAll(() => app.close());

  it('a new session is sent in both; either brings it back', async () => {
    const browser = new Browser(app.url);
    const reply = await browser.post('/cart', { sku: 'c', quantity: 1 });
    const headerId = reply.headers.get('x-session-id');
    expect(browser.cookie).toBeDefined();
    expect(headerId).toBe(browser.cookie);
    expect((await browser.get('/cart')).body.items).toHaveLength(1);
    const client = new HeaderClient(app.url);
    client.id = headerId!;
    expect((await client.request('GET', '/cart')).body!.items).toHaveLength(1);
  });
});

describe.each(PLATFORMS)('consent to a non-essential session cookie on %s', (platform) => {
  let app: SessionApp;
  beforeAll(async () => {
    app = await startSessionApp(platform, {
      consent: (request) =>
        (request as { headers: Record<string, unknown> }).headers['x-consent'] === 'yes',
    });
  });
  afterAll(() => app.close());

  it('without consent: no cookie, nothing stored, and the handler still gets a working session', async () => {
    const browser = new Browser(app.url);
    app.store.reset();
    const reply = await browser.post('/cart', { sku: 'x', quantity: 2 });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ count: 1 });
    expect(reply.setCookies).toEqual([]);
    expect(app.store.calls.set).toBe(0);
    expect((await browser.get('/cart')).body.items).toEqual([]);
  });

  it('with consent: the cookie is set and the session stored', async () => {
    const browser = new Browser(app.url);
    const headers = { 'x-consent': 'yes' };
    await browser.post('/cart', { sku: 'x', quantity: 2 }, { headers });
    expect(browser.cookie).toBeDefined();
    expect((await browser.get('/cart', { headers })).body.items).toHaveLength(1);
  });
});
