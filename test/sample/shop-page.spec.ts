import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { createSampleApp } from '../../sample/src/create-sample-app.js';
import { PLATFORMS } from '../support/platforms.js';

/** A cookie-keeping client that posts forms the way a browser does and never follows redirects. */
class FormClient {
  /** The `sid=...` pair the client sends, as the last response set it. */
  cookie: string | undefined;

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

const flashOf = (html: string): { kind: string; text: string } | null => {
  const match = /<p class="flash (\w+)" role="status" data-testid="flash">([^<]*)<\/p>/.exec(html);
  return match ? { kind: match[1], text: match[2].trim() } : null;
};

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

  it('tells what each action did, once: the page after the redirect shows it, a reload does not', async () => {
    const client = new FormClient(url);
    await client.post('/shop/cart', { sku: 'apple', quantity: '2' });
    const first = await client.page();
    expect(flashOf(first.text)).toEqual({
      kind: 'success',
      text: 'Added 2 × Apple to your cart.',
    });
    expect(flashOf((await client.page()).text)).toBeNull();

    await client.post('/shop/login', { user: 'Ada' });
    expect(flashOf((await client.page()).text)?.text).toBe(
      'Welcome, Ada. Your cart came with you.',
    );
    await client.post('/shop/cart/remove', { sku: 'apple' });
    expect(flashOf((await client.page()).text)?.text).toBe('Removed Apple from your cart.');
    await client.post('/shop/logout', {});
    expect(flashOf((await client.page()).text)?.text).toBe(
      'You are logged out. Your cart was emptied.',
    );
    expect(flashOf((await client.page()).text)).toBeNull();
  });

  it.each([
    ['a zero quantity', { sku: 'apple', quantity: '0' }, 'Choose a quantity from 1 to 99.'],
    [
      'a quantity that is not a number',
      { sku: 'apple', quantity: 'lots' },
      'Choose a quantity from 1 to 99.',
    ],
    ['a fractional quantity', { sku: 'apple', quantity: '1.5' }, 'Choose a quantity from 1 to 99.'],
    [
      'a line over 99',
      { sku: 'apple', quantity: '98' },
      'At most 99 of one product fit in the cart.',
    ],
    ['an unknown product', { sku: 'caviar', quantity: '1' }, 'There is no such product.'],
    ['no fields at all', {}, 'There is no such product.'],
  ])(
    'refuses %s with an error message and keeps the cart as it was',
    async (_case, form: Record<string, string>, message: string) => {
      const client = new FormClient(url);
      await client.post('/shop/cart', { sku: 'apple', quantity: '2' });
      await client.page(); // takes the "Added" message
      await client.post('/shop/cart', form);
      const page = await client.page();
      expect(page.status).toBe(200);
      expect(flashOf(page.text)).toEqual({ kind: 'error', text: message });
      expect(quantityOf(page.text, 'apple')).toBe(2);
      expect(quantityOf(page.text, 'caviar')).toBeNull();
    },
  );

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
    for (const user of ['   ', 'x'.repeat(41)]) {
      await client.post('/shop/login', { user });
      const page = await client.page();
      expect(page.text).not.toContain('data-testid="user"');
      expect(flashOf(page.text)).toEqual({
        kind: 'error',
        text: 'Enter a name of 1 to 40 characters to log in.',
      });
    }
  });

  it('logs out for good: the signed-in session is gone, and a new empty one carries the message', async () => {
    const client = new FormClient(url);
    await client.post('/shop/cart', { sku: 'cheese', quantity: '1' });
    await client.post('/shop/login', { user: 'Ada' });
    const signedIn = client.cookie!;
    const logout = await client.post('/shop/logout', {});
    expect(logout.headers.getSetCookie()).toHaveLength(1);
    expect(client.cookie).toBeDefined();
    expect(client.cookie!.split('.')[0]).not.toBe(signedIn.split('.')[0]);
    const page = await client.page();
    expect(page.text).toContain('Your cart is empty.');
    expect(page.text).toContain('action="/shop/login"');

    // The signed-in cookie, replayed (a copy kept by an attacker, an old tab): nothing left.
    client.cookie = signedIn;
    const replayed = await client.page();
    expect(replayed.text).toContain('Your cart is empty.');
    expect(replayed.text).not.toContain('data-testid="user"');
  });
});
