import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Browser } from '../support/http-client.js';
import { PLATFORMS, type Platform } from '../support/platforms.js';
import { graphql, startGraphqlApp, type GraphqlApp } from './support/graphql-app.js';

const DRIVER: Record<Platform, string> = { express: 'Apollo', fastify: 'Mercurius' };
const ADD =
  'mutation Add($sku: String!, $q: Int!) { addToCart(sku: $sku, quantity: $q) { items { sku quantity } } }';
const CART = '{ cart { items { sku quantity } } }';

describe.each(PLATFORMS)('GraphQL resolvers with @Session() on %s', (platform) => {
  let app: GraphqlApp;
  beforeAll(async () => {
    app = await startGraphqlApp(platform);
  });
  afterAll(() => app.close());
  beforeEach(() => {
    app.store.failing.clear();
    app.store.reset();
  });

  it(`a mutation adds to the cart and a query reads it back (${DRIVER[platform]})`, async () => {
    const browser = new Browser(app.url);
    const added = await graphql(browser, ADD, { sku: 'apple', q: 2 });
    expect(added.status).toBe(200);
    expect(added.body).toEqual({ data: { addToCart: { items: [{ sku: 'apple', quantity: 2 }] } } });
    expect(browser.cookie).toBeDefined();
    const read = await graphql(browser, CART);
    expect(read.body).toEqual({ data: { cart: { items: [{ sku: 'apple', quantity: 2 }] } } });
    // Another browser has its own session.
    expect((await graphql(new Browser(app.url), CART)).body.data.cart.items).toEqual([]);
  });

  it('several session fields in one request share one session and commit once', async () => {
    const browser = new Browser(app.url);
    const twice = await graphql(
      browser,
      'mutation { a: addToCart(sku: "a", quantity: 1) { items { sku } } b: addToCart(sku: "b", quantity: 1) { items { sku } } }',
    );
    expect(twice.body.data.b.items).toEqual([{ sku: 'a' }, { sku: 'b' }]);
    expect(app.store.calls.set).toBe(1);
    app.store.reset();
    const read = await graphql(browser, '{ cart { items { sku } } sessionId refusals }');
    expect(read.body.data.cart.items).toEqual([{ sku: 'a' }, { sku: 'b' }]);
    expect(read.body.data.sessionId).toBe(browser.cookie!.split('.')[0]);
    expect(app.store.calls.get).toBe(1);
    expect(app.store.calls.set).toBe(0); // read-only fields write nothing
  });

  it('the response waits for the commit: it is not sent while the store write is held', async () => {
    const browser = new Browser(app.url);
    const gate = app.gates.pauseNext('set');
    const pending = graphql(browser, ADD, { sku: 'slow', q: 1 });
    await gate.reached;
    const early = await Promise.race([
      pending.then(() => 'answered'),
      new Promise((resolve) => setTimeout(() => resolve('waiting'), 200)),
    ]);
    expect(early).toBe('waiting');
    gate.release();
    const reply = await pending;
    expect(reply.status).toBe(200);
    expect(browser.cookie).toBeDefined();
    expect(reply.headers.get('cache-control')).toBe('no-store');
  });

  it('read-only fields beside a field that writes do not make the request read-only', async () => {
    const browser = new Browser(app.url);
    expect((await graphql(browser, '{ cart { items { sku } } visit }')).body.data.visit).toBe(1);
    expect((await graphql(browser, '{ visit cart { items { sku } } }')).body.data.visit).toBe(2);
    expect((await graphql(browser, '{ sessionId visit refusals }')).body.data.visit).toBe(3);
  });

  it('a change that fails validation at commit: HTTP 500 naming the field, nothing written', async () => {
    const browser = new Browser(app.url);
    await graphql(browser, ADD, { sku: 'ok', q: 1 });
    app.store.reset();
    const reply = await graphql(browser, ADD, { sku: 'bad', q: 0 });
    expect(reply.status).toBe(500);
    expect(reply.body.data).toBeNull();
    expect(reply.body.errors[0].extensions.code).toBe('SESSION_VALIDATION_FAILED');
    expect(reply.body.errors[0].extensions.status).toBe(500);
    expect(reply.body.errors[0].message).toContain('cart.items.1.quantity');
    expect(app.store.calls.set).toBe(0);
    expect((await graphql(browser, CART)).body.data.cart.items).toEqual([
      { sku: 'ok', quantity: 1 },
    ]);
  });

  it('login (a mutation that regenerates) changes the session id and keeps the cart', async () => {
    const browser = new Browser(app.url);
    await graphql(browser, ADD, { sku: 'pear', q: 3 });
    const before = browser.cookie!;
    const login = await graphql(browser, 'mutation { login(user: "ada") }');
    expect(login.body).toEqual({ data: { login: true } });
    expect(browser.cookie).toBeDefined();
    expect(browser.cookie).not.toBe(before);
    expect((await graphql(browser, CART)).body.data.cart.items).toEqual([
      { sku: 'pear', quantity: 3 },
    ]);
    expect((await graphql(browser, '{ whoAmI }')).body.data.whoAmI).toBe('ada');
    // The old id is gone: a client that kept it starts afresh.
    const stale = new Browser(app.url);
    stale.cookie = before;
    expect((await graphql(stale, CART)).body.data.cart.items).toEqual([]);
  });

  it('logout destroys the session and clears the cookie', async () => {
    const browser = new Browser(app.url);
    await graphql(browser, ADD, { sku: 'fig', q: 1 });
    const id = browser.cookie!.split('.')[0];
    const reply = await graphql(browser, 'mutation { logout }');
    expect(reply.body).toEqual({ data: { logout: true } });
    expect(browser.cookie).toBeUndefined();
    expect(await app.store.inner.get(id)).toBeNull();
  });

  it('@Flash() in a query takes the message a mutation left, once', async () => {
    const browser = new Browser(app.url);
    await graphql(browser, 'mutation { leaveNotice(text: "added to cart") }');
    expect((await graphql(browser, '{ notice }')).body.data.notice).toBe('added to cart');
    expect((await graphql(browser, '{ notice }')).body.data.notice).toBeNull();
  });

  it('a guard using SessionService commits its change also when it rejects the field', async () => {
    const browser = new Browser(app.url);
    await graphql(browser, ADD, { sku: 'kiwi', q: 1 });
    const refused = await graphql(browser, '{ whoAmI }');
    expect(refused.status).toBe(200);
    expect(refused.body.errors[0].message).toBe('sign in first');
    await graphql(browser, '{ whoAmI }');
    expect((await graphql(browser, '{ refusals }')).body.data.refusals).toBe(2);
    await graphql(browser, 'mutation { login(user: "bob") }');
    expect((await graphql(browser, '{ whoAmI }')).body.data.whoAmI).toBe('bob');
  });

  it('a guard alone starts a session: its cookie is set on the rejected request', async () => {
    const browser = new Browser(app.url);
    await graphql(browser, '{ whoAmI }');
    expect(browser.cookie).toBeDefined();
    expect((await graphql(browser, '{ refusals }')).body.data.refusals).toBe(1);
  });

  it('a resolver that fails with a 5xx after changing the session commits nothing', async () => {
    const browser = new Browser(app.url);
    await graphql(browser, ADD, { sku: 'plum', q: 1 });
    app.store.reset();
    const failed = await graphql(
      browser,
      'mutation { addToCartThenFail(sku: "bad") { items { sku } } }',
    );
    expect(failed.body.errors).toHaveLength(1);
    expect(app.store.calls.set).toBe(0);
    expect((await graphql(browser, CART)).body.data.cart.items).toEqual([
      { sku: 'plum', quantity: 1 },
    ]);
  });

  it('a store outage at commit: HTTP 503 and a GraphQL error with its code, never the mutation data', async () => {
    const browser = new Browser(app.url);
    await graphql(browser, ADD, { sku: 'lime', q: 1 });
    app.store.failing.add('set');
    const reply = await graphql(browser, ADD, { sku: 'lost', q: 1 });
    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(reply.body.data).toBeNull();
    expect(reply.body.errors).toHaveLength(1);
    expect(reply.body.errors[0].extensions).toEqual({
      code: 'SESSION_STORE_UNAVAILABLE',
      status: 503,
    });
    expect(reply.body.errors[0].message).toContain('may not have been saved');
    app.store.failing.clear();
    expect((await graphql(browser, CART)).body.data.cart.items).toEqual([
      { sku: 'lime', quantity: 1 },
    ]);
  });

  it('a store outage at logout: 503 with the code, and the session is still there', async () => {
    const browser = new Browser(app.url);
    await graphql(browser, ADD, { sku: 'yam', q: 1 });
    app.store.failing.add('destroy');
    const reply = await graphql(browser, 'mutation { logout }');
    expect(reply.status).toBe(503);
    expect(reply.body.data).toBeNull();
    expect(reply.body.errors[0].extensions.code).toBe('SESSION_STORE_UNAVAILABLE');
    expect(reply.body.errors[0].message).toContain('may not have been saved');
    app.store.failing.clear();
    expect((await graphql(browser, CART)).body.data.cart.items).toEqual([
      { sku: 'yam', quantity: 1 },
    ]);
  });

  it('a store outage at read: HTTP 503 with the code; a field without the session is untouched', async () => {
    const browser = new Browser(app.url);
    await graphql(browser, ADD, { sku: 'date', q: 1 });
    app.store.failing.add('get');
    const reply = await graphql(browser, CART);
    expect(reply.status).toBe(503);
    expect(reply.body.errors[0].extensions.code).toBe('SESSION_STORE_UNAVAILABLE');
    const plain = await graphql(browser, '{ ping }');
    expect(plain.status).toBe(200);
    expect(plain.body).toEqual({ data: { ping: 'pong' } });
    expect(app.store.calls.get).toBe(1);
  });
});
