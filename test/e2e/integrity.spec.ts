import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Body, Controller, Get, HttpCode, Logger, Param, Post } from '@nestjs/common';
import { Session, SessionHandle, SessionModule, type SessionStore } from '../../src/index.js';
import { concurrencyStores } from '../support/concurrency-stores.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS, startApp, type Platform, type RunningApp } from '../support/platforms.js';
import { SECRET } from '../support/session-app.js';
import { storeKeyOf } from '../support/store-keys.js';

@Controller('bag')
class BagController {
  @Post('set/:key')
  @HttpCode(200)
  set(
    @Session() session: SessionHandle,
    @Param('key') key: string,
    @Body() body: { value: unknown },
  ) {
    try {
      session.set(key, body.value);
      return { ok: true };
    } catch (error) {
      return { error: (error as Error).name, message: (error as Error).message };
    }
  }

  @Post('set-raw')
  @HttpCode(200)
  setRaw(@Session() session: SessionHandle, @Body() body: { key: string; value: string }) {
    // Keys and values that JSON bodies cannot carry as such are built here.
    const key = body.key.replace('NUL', '\u0000').replace('LONE', '\ud800');
    const value = body.value.replace('NUL', '\u0000').replace('LONE', '\udc00');
    try {
      session.set(key, { text: value });
      return { ok: true };
    } catch (error) {
      return { error: (error as Error).name, message: (error as Error).message };
    }
  }

  @Get('get/:key')
  get(@Session() session: SessionHandle, @Param('key') key: string) {
    return { value: session.get(key) ?? null, keys: session.keys() };
  }

  @Get('id')
  id(@Session() session: SessionHandle) {
    session.set('seen', true);
    return { id: session.id };
  }
}

const stores = await concurrencyStores();
const cases = stores.flatMap((store) =>
  PLATFORMS.map((platform) => [store.name, platform, store] as const),
);

describe.each(cases)('session integrity, %s store on %s', (_name, platform: Platform, factory) => {
  let app: RunningApp;
  let store: SessionStore;
  beforeAll(async () => {
    store = await factory.create();
    app = await startApp(platform, {
      imports: [SessionModule.forRoot({ secret: SECRET, store })],
      controllers: [BagController],
    });
  });
  afterAll(async () => {
    await app.close();
    await factory.cleanup();
  });

  it('keys named like Object.prototype members are stored and read like any other key', async () => {
    const browser = new Browser(app.url);
    for (const key of ['toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
      expect((await browser.post(`/bag/set/${key}`, { value: `v-${key}` })).body).toEqual({
        ok: true,
      });
    }
    for (const key of ['toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
      expect((await browser.get(`/bag/get/${key}`)).body.value).toBe(`v-${key}`);
    }
    expect((await browser.get('/bag/get/toString')).body.keys.sort()).toEqual([
      'constructor',
      'hasOwnProperty',
      'toString',
      'valueOf',
    ]);
  });

  it('reading an absent key named like an Object.prototype member is a read, never a write', async () => {
    const browser = new Browser(app.url);
    await browser.post('/bag/set/a', { value: 1 });
    const set = jest.spyOn(store, 'set');
    try {
      for (const key of ['toString', 'constructor', '__defineGetter__']) {
        const reply = await browser.get(`/bag/get/${key}`);
        expect(reply.status).toBe(200);
        expect(reply.body.value).toBeNull();
        expect(reply.setCookies).toEqual([]);
      }
      expect(set).not.toHaveBeenCalled();
    } finally {
      set.mockRestore();
    }
  });

  it('__proto__ as a key is refused at set() with a clear error', async () => {
    const browser = new Browser(app.url);
    const reply = await browser.post('/bag/set/__proto__', { value: { admin: true } });
    expect(reply.body.error).toBe('TypeError');
    expect(reply.body.message).toContain('__proto__');
  });

  it.each([
    ['a key with NUL', 'aNULb', 'plain', 'NUL'],
    ['a key with a lone surrogate', 'aLONEb', 'plain', 'lone surrogate'],
    ['a value with NUL', 'note', 'xNULy', 'NUL'],
    ['a value with a lone surrogate', 'note', 'xLONEy', 'lone surrogate'],
  ])('%s is refused at set() with a clear error, never a 503', async (_case, key, value, says) => {
    const browser = new Browser(app.url);
    const reply = await browser.post('/bag/set-raw', { key, value });
    expect(reply.status).toBe(200);
    expect(reply.body.error).toBe('TypeError');
    expect(reply.body.message).toContain(says);
  });

  it('logs name a session by a short tag, never by its id', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const browser = new Browser(app.url);
      const id = (await browser.get('/bag/id')).body.id as string;
      const key = storeKeyOf(app, id);
      const record = (await store.get(key))!;
      await store.set(key, {
        mode: 'update',
        metadata: record.metadata,
        set: { broken: '{not json' },
        remove: [],
      });
      expect((await browser.get('/bag/get/broken')).body.value).toBeNull();
      expect(warn).toHaveBeenCalled();
      for (const [message] of warn.mock.calls) expect(String(message)).not.toContain(id);
      expect(warn.mock.calls.map(([m]) => String(m)).join('\n')).toContain('"broken" is not JSON');
    } finally {
      warn.mockRestore();
    }
  });
});
