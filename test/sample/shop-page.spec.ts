import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { createSampleApp } from '../../sample/src/create-sample-app.js';
import { PLATFORMS } from '../support/platforms.js';

/** A cookie-keeping client that posts forms the way a browser does and never follows redirects. */
class FormClient {
  private cookie: string | undefined;

  constructor(private readonly baseUrl: string) {}

  async send(method: 'GET' | 'POST', path: string, form?: Record<string, string>) {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: form ? new URLSearchParams(form).toString() : undefined,
      redirect: 'manual',
    });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0];
      this.cookie = /max-age=0|expires=thu, 01 jan 1970/i.test(line) ? undefined : pair;
    }
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  page() {
    return this.send('GET', '/');
  }

  /** Post a form; it must answer 303 back to the page. */
  async post(path: string, form: Record<string, string>) {
    const answer = await this.send('POST', path, form);
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/');
    return answer;
  }
}

const quantityOf = (html: string, sku: string): number | null => {
  const match = new RegExp(`data-testid="quantity-${sku}">(\\d+)<`).exec(html);
  return match ? Number(match[1]) : null;
};

describe.each(PLATFORMS)('the sample shop page over HTTP (%s)', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await createSampleApp({ platform, trustProxy: false, logger: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves HTML that is never cached, and sets no cookie for a visitor who did nothing', async () => {
    const page = await new FormClient(url).page();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.getSetCookie()).toEqual([]);
    expect(page.text).toContain('Your cart is empty.');
  });

  it('adds to the cart with a form post, answered 303 to the page, and adds up repeated lines', async () => {
    const client = new FormClient(url);
    await client.post('/shop/cart', { sku: 'apple', quantity: '2' });
    await client.post('/shop/cart', { sku: 'apple', quantity: '3' });
    await client.post('/shop/cart', { sku: 'coffee', quantity: '1' });
    const page = await client.page();
    expect(quantityOf(page.text, 'apple')).toBe(5);
    expect(quantityOf(page.text, 'coffee')).toBe(1);
    expect(page.text).toContain('€10.90'); // 5 × 0.40 + 8.90

    await client.post('/shop/cart/remove', { sku: 'apple' });
    expect(quantityOf((await client.page()).text, 'apple')).toBeNull();
  });

  it.each([
    ['a zero quantity', { sku: 'apple', quantity: '0' }],
    ['a quantity that is not a number', { sku: 'apple', quantity: 'lots' }],
    ['a fractional quantity', { sku: 'apple', quantity: '1.5' }],
    ['a line over 99', { sku: 'apple', quantity: '98' }],
    ['an unknown product', { sku: 'caviar', quantity: '1' }],
    ['no fields at all', {}],
  ])('refuses %s and keeps the cart as it was', async (_case, form: Record<string, string>) => {
    const client = new FormClient(url);
    await client.post('/shop/cart', { sku: 'apple', quantity: '2' });
    await client.post('/shop/cart', form);
    const page = await client.page();
    expect(page.status).toBe(200);
    expect(quantityOf(page.text, 'apple')).toBe(2);
    expect(quantityOf(page.text, 'caviar')).toBeNull();
  });

  it('logs in under a new session id with the cart kept, and escapes the name on the page', async () => {
    const client = new FormClient(url);
    const added = await client.post('/shop/cart', { sku: 'bread', quantity: '1' });
    const before = added.headers.getSetCookie()[0];
    const login = await client.post('/shop/login', { user: '<b>Ada</b>' });
    const after = login.headers.getSetCookie()[0];
    expect(after.split(';')[0]).not.toBe(before.split(';')[0]);
    const page = await client.page();
    expect(page.text).toContain('<strong data-testid="user">&lt;b&gt;Ada&lt;/b&gt;</strong>');
    expect(quantityOf(page.text, 'bread')).toBe(1);
  });

  it('refuses an empty or over-long name: nobody is logged in', async () => {
    const client = new FormClient(url);
    await client.post('/shop/login', { user: '   ' });
    await client.post('/shop/login', { user: 'x'.repeat(41) });
    expect((await client.page()).text).not.toContain('data-testid="user"');
  });

  it('logs out: the cookie is cleared and the page shows an empty cart and the login form', async () => {
    const client = new FormClient(url);
    await client.post('/shop/cart', { sku: 'cheese', quantity: '1' });
    await client.post('/shop/login', { user: 'Ada' });
    const logout = await client.post('/shop/logout', {});
    expect(logout.headers.getSetCookie().join()).toMatch(/^sid=;/);
    const page = await client.page();
    expect(page.text).toContain('Your cart is empty.');
    expect(page.text).toContain('action="/shop/login"');
  });
});
