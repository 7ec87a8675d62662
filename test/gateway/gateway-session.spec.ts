import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { BaseWsExceptionFilter } from '@nestjs/websockets';
import { Browser } from '../support/http-client.js';
import { PLATFORMS, type Platform } from '../support/platforms.js';
import {
  startGatewayApp,
  TRANSPORTS,
  type GatewayApp,
  type Transport,
} from './support/gateway-app.js';
import { storeKeyOf } from '../support/store-keys.js';

const APPLE = { sku: 'apple', quantity: 2 };
const PEAR = { sku: 'pear', quantity: 1 };

/** What Nest logs of an error that is not a `WsException` (the client sees "Internal server error"). */
function spyOnWsErrorLog() {
  const { logger } = BaseWsExceptionFilter as unknown as {
    logger: { error(error: unknown): void };
  };
  return jest.spyOn(logger, 'error').mockImplementation(() => {});
}

const COMBINATIONS: Array<[Platform, Transport]> = PLATFORMS.flatMap((platform) =>
  TRANSPORTS.map((transport): [Platform, Transport] => [platform, transport]),
);

describe.each(COMBINATIONS)('sessions in a WebSocket gateway (%s, %s)', (platform, transport) => {
  let running: GatewayApp;

  afterEach(async () => {
    await running?.close();
  });

  /** Log in over HTTP and put an apple in the cart: the browser holds the session's cookie. */
  async function loggedIn(options?: Parameters<typeof startGatewayApp>[2]) {
    running = await startGatewayApp(platform, transport, options);
    const browser = new Browser(running.url);
    const login = await browser.post('/login', { user: 'ada' });
    expect(login.status).toBe(200);
    expect((await browser.post('/cart', APPLE)).status).toBe(201);
    return { browser, login: login.body as { after: string } };
  }

  it('reads the cart and the handle of the session whose cookie came with the handshake', async () => {
    const { browser } = await loggedIn();
    const socket = await running.connect(browser.cookie);
    expect(await socket.send('cart')).toEqual({ reply: { items: [APPLE] } });
    expect(await socket.send('whoami')).toEqual({ reply: { user: 'ada', isNew: false } });
  });

  it('reads the store again for each message: an HTTP logout is seen by the next message', async () => {
    const { browser } = await loggedIn();
    const socket = await running.connect(browser.cookie);
    expect(await socket.send('cart')).toEqual({ reply: { items: [APPLE] } });
    const reads = running.probe.calls.get;
    expect((await browser.post('/logout')).status).toBe(200);
    expect(await socket.send('cart')).toEqual({ reply: { items: [] } });
    expect(await socket.send('whoami')).toEqual({ reply: { user: null, isNew: true } });
    expect(running.probe.calls.get).toBeGreaterThanOrEqual(reads + 2);
  });

  it('treats a forged cookie as no session, without reading the store', async () => {
    const { browser } = await loggedIn();
    const [value] = browser.cookie!.split('.');
    const forged = `${value}.${'A'.repeat(43)}`;
    const reads = running.probe.calls.get;
    const socket = await running.connect(forged);
    expect(await socket.send('whoami')).toEqual({ reply: { user: null, isNew: true } });
    expect(await socket.send('cart')).toEqual({ reply: { items: [] } });
    expect(running.probe.calls.get).toBe(reads);
  });

  it('answers a store outage with an exception event, and the socket stays usable', async () => {
    const { browser } = await loggedIn();
    const socket = await running.connect(browser.cookie);
    running.probe.failing.add('get');
    const outage = await socket.send('cart');
    expect(outage).toEqual({
      exception: {
        status: 'error',
        statusCode: 503,
        error: 'SessionStoreUnavailable',
        message: 'The session store is unavailable (read failed). Retry later.',
        retryAfterSeconds: 5,
      },
    });
    running.probe.failing.delete('get');
    expect(await socket.send('ping')).toEqual({ reply: { pong: true } });
    expect(await socket.send('cart')).toEqual({ reply: { items: [APPLE] } });
  });

  it('answers a failed commit with an exception that says the change may not have been saved', async () => {
    const { browser } = await loggedIn();
    const socket = await running.connect(browser.cookie);
    running.probe.failing.add('set');
    const failed = await socket.send('add', PEAR);
    expect(failed).toMatchObject({
      exception: { statusCode: 503, error: 'SessionStoreUnavailable' },
    });
    expect((failed as { exception: { message: string } }).exception.message).toMatch(
      /may not have been saved/,
    );
    running.probe.failing.delete('set');
    expect(await socket.send('cart')).toEqual({ reply: { items: [APPLE] } });
  });

  it('answers stored data that fails its schema (onInvalidStoredData: reject) with an exception', async () => {
    const { browser, login } = await loggedIn({ onInvalidStoredData: 'reject' });
    const key = storeKeyOf(running, login.after);
    const stored = await running.probe.inner.get(key);
    await running.probe.inner.set(key, {
      mode: 'update',
      metadata: stored!.metadata,
      set: { cart: '{"items":"not a list"}' },
      remove: [],
    });
    const socket = await running.connect(browser.cookie);
    expect(await socket.send('cart')).toMatchObject({
      exception: { status: 'error', statusCode: 500, error: 'StoredSessionInvalidError' },
    });
    expect(await socket.send('ping')).toEqual({ reply: { pong: true } });
  });

  it('commits a write per message, before the result is sent', async () => {
    const { browser } = await loggedIn();
    const socket = await running.connect(browser.cookie);
    const held = running.gated.pauseNext('set');
    const adding = socket.send(
      'add',
      PEAR,
      (outcome) => !('reply' in outcome) || 'count' in outcome.reply,
    );
    let answered = false;
    void adding.then(() => (answered = true));
    await held.reached;
    // The same socket answers another message while the write is held: the add's result waits.
    expect(
      await socket.send('ping', {}, (outcome) => 'reply' in outcome && 'pong' in outcome.reply),
    ).toEqual({
      reply: { pong: true },
    });
    expect(answered).toBe(false);
    held.release();
    expect(await adding).toEqual({ reply: { count: 2 } });
    expect((await browser.get('/cart')).body.items).toEqual([APPLE, PEAR]);
  });

  it('commits before each value of a handler that returns an Observable', async () => {
    const { browser } = await loggedIn();
    const socket = await running.connect(browser.cookie);
    expect(await socket.send('add-streamed', PEAR)).toEqual({ reply: { count: 2 } });
    expect((await browser.get('/cart')).body.items).toEqual([APPLE, PEAR]);
  });

  it('commits the change of a stream that completes without a value', async () => {
    const { browser } = await loggedIn();
    const socket = await running.connect(browser.cookie);
    const written = running.gated.pauseNext('set', { at: 'after' });
    socket.fire('add-silently', PEAR);
    await written.reached;
    written.release();
    expect((await browser.get('/cart')).body.items).toEqual([APPLE, PEAR]);
  });

  it('refuses a write to a session that does not exist yet: no cookie could carry its id', async () => {
    running = await startGatewayApp(platform, transport);
    const socket = await running.connect();
    const writes = running.probe.calls.set;
    expect(await socket.send('add', PEAR)).toMatchObject({
      exception: { status: 'error', statusCode: 409, error: 'SessionNotStarted' },
    });
    expect(running.probe.calls.set).toBe(writes);
    expect(await socket.send('cart')).toEqual({ reply: { items: [] } });
  });

  it('refuses regenerate() over a socket and keeps the session as it was', async () => {
    const { browser } = await loggedIn();
    const socket = await running.connect(browser.cookie);
    expect(await socket.send('regenerate')).toMatchObject({
      exception: { statusCode: 409, error: 'SessionRegenerateRefused' },
    });
    expect(await socket.send('whoami')).toEqual({ reply: { user: 'ada', isNew: false } });
    expect((await browser.get('/cart')).body.items).toEqual([APPLE]);
  });

  it('refuses a write on a read-only handler, writing nothing', async () => {
    const { browser } = await loggedIn();
    const socket = await running.connect(browser.cookie);
    const writes = running.probe.calls.set;
    const logged = spyOnWsErrorLog();
    expect(await socket.send('set-on-reader')).toMatchObject({ exception: { status: 'error' } });
    expect(String(logged.mock.calls[0]?.[0])).toContain(
      "session.set(): this route's session is read-only",
    );
    logged.mockRestore();
    expect(running.probe.calls.set).toBe(writes);
  });

  it('ends the session from a gateway (logout over the socket); HTTP then starts afresh', async () => {
    const { browser } = await loggedIn();
    const socket = await running.connect(browser.cookie);
    expect(await socket.send('logout')).toEqual({ reply: { ok: true } });
    expect(await socket.send('whoami')).toEqual({ reply: { user: null, isNew: true } });
    expect((await browser.get('/cart')).body.items).toEqual([]);
  });

  it('says SessionService.get(context) is not available to a gateway guard, and stays usable', async () => {
    const { browser } = await loggedIn();
    const socket = await running.connect(browser.cookie);
    const logged = spyOnWsErrorLog();
    expect(await socket.send('guarded')).toEqual({
      exception: expect.objectContaining({ status: 'error' }),
    });
    expect(String(logged.mock.calls[0]?.[0])).toContain(
      'SessionService.get(context) is not available in WebSocket gateways',
    );
    logged.mockRestore();
    expect(await socket.send('whoami')).toEqual({ reply: { user: 'ada', isNew: false } });
  });
});
