import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  jest,
} from '@jest/globals';
import { Controller, HttpCode, Logger, Post } from '@nestjs/common';
import { IsString } from 'class-validator';
import {
  Session,
  SessionModule,
  SessionSchema,
  SessionStore,
  type SessionModuleOptions,
} from '../../src/index.js';
import { FixtureController, PrefsSession, VisitCountingGuard } from '../support/fixtures.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS, startApp, type Platform, type RunningApp } from '../support/platforms.js';
import { ProbeStore } from '../support/probe-store.js';
import { SECRET } from '../support/session-app.js';
import { TestClock } from '../../src/testing/test-clock.js';
import { storeKeyOf } from '../support/store-keys.js';

/** A schema that opts into dropping undeclared properties instead of refusing them. */
@SessionSchema({ key: 'lenient', unknownProperties: 'strip' })
class LenientSession {
  @IsString() name = 'n';
}

@Controller('exact')
class ExactController {
  @Post('escalate')
  @HttpCode(200)
  escalate(@Session() prefs: PrefsSession) {
    Object.assign(prefs, { isRoot: true });
    return { ok: true };
  }

  @Post('lenient')
  @HttpCode(200)
  lenient(@Session() lenient: LenientSession) {
    Object.assign(lenient, { isRoot: true });
    lenient.name = 'changed';
    return { ok: true };
  }
}

interface ExactApp extends RunningApp {
  store: ProbeStore;
}

async function start(
  platform: Platform,
  options: Partial<SessionModuleOptions> = {},
): Promise<ExactApp> {
  const clock = new TestClock();
  const store = new ProbeStore(clock.now);
  const running = await startApp(
    platform,
    {
      imports: [SessionModule.forRoot({ secret: SECRET, clock: clock.now, ...options })],
      controllers: [FixtureController, ExactController],
      providers: [VisitCountingGuard],
    },
    (builder) => builder.overrideProvider(SessionStore).useValue(store),
  );
  return { ...running, store };
}

/** A session whose stored `cart` text is replaced by `text`, as a hand edit or old deploy would. */
async function storedCart(app: ExactApp, text: string): Promise<Browser> {
  const browser = new Browser(app.url);
  await browser.post('/bag/visits', { value: 1 });
  const id = storeKeyOf(app, browser.cookie);
  await app.store.inner.set(id, {
    mode: 'update',
    metadata: (await app.store.inner.get(id))!.metadata,
    set: { cart: text },
    remove: [],
  });
  return browser;
}

const EXTRA = '{"items":[{"sku":"a","quantity":1,"isAdmin":true}],"role":"admin"}';
const DEEP = '{"items":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}';
const NOT_OBJECTS = ['"garbage"', '42', 'null', '[{"sku":"a","quantity":1}]', 'true'];

describe.each(PLATFORMS)('a schema namespace holds exactly its schema, on %s', (platform) => {
  let app: ExactApp;
  let warn: ReturnType<typeof jest.spyOn>;
  beforeAll(async () => {
    app = await start(platform);
  });
  afterAll(() => app.close());
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it('stored undeclared properties never reach the handler: reset with a warning naming them', async () => {
    const browser = await storedCart(app, EXTRA);
    const reply = await browser.get('/cart');
    expect(reply.status).toBe(200);
    expect(reply.body.items).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('cart.role'));
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('cart.items.0.isAdmin'));
  });

  it.each(NOT_OBJECTS)(
    'stored %s under a schema key is invalid data: reset with a warning',
    async (text) => {
      const browser = await storedCart(app, text);
      const reply = await browser.get('/cart');
      expect(reply.status).toBe(200);
      expect(reply.body.items).toEqual([]);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('"cart"'));
      const id = storeKeyOf(app, browser.cookie);
      expect(JSON.parse((await app.store.inner.get(id))!.data.cart)).toEqual({ items: [] });
    },
  );

  it('stored data nested 20,000 levels deep is reset, and the session is not stuck', async () => {
    const browser = await storedCart(app, DEEP);
    expect((await browser.get('/cart')).status).toBe(200);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('"cart"'));
    const again = await browser.post('/cart', { sku: 'b', quantity: 2 });
    expect(again.status).toBe(201);
    expect((await browser.get('/cart')).body.items).toEqual([{ sku: 'b', quantity: 2 }]);
  });

  it('a property added to a schema instance is refused at commit, naming it; nothing stored', async () => {
    const browser = new Browser(app.url);
    await browser.get('/prefs');
    await browser.post('/bag/visits', { value: 1 });
    const id = storeKeyOf(app, browser.cookie);
    const before = await app.store.inner.get(id);
    const reply = await browser.post('/exact/escalate', {});
    expect(reply.status).toBe(500);
    expect(reply.body.error).toBe('SessionValidationError');
    expect(reply.body.fields).toEqual([
      { field: 'prefs.isRoot', messages: ['property isRoot should not exist'] },
    ]);
    expect(await app.store.inner.get(id)).toEqual(before);
  });

  it.each([['garbage'], [42], [true], [[1, 2]]])(
    'a non-object set under a schema key (%j) is refused at commit',
    async (value) => {
      const browser = new Browser(app.url);
      const reply = await browser.post('/bag/cart', { value });
      expect(reply.status).toBe(500);
      expect(reply.body.error).toBe('SessionValidationError');
      expect(reply.body.fields[0].field).toBe('cart');
      expect(browser.cookie).toBeUndefined();
    },
  );

  it("unknownProperties: 'strip' drops an added property instead of refusing it", async () => {
    const browser = new Browser(app.url);
    const reply = await browser.post('/exact/lenient', {});
    expect(reply.status).toBe(200);
    const id = storeKeyOf(app, browser.cookie);
    expect(JSON.parse((await app.store.inner.get(id))!.data.lenient)).toEqual({ name: 'changed' });
  });
});

describe.each(PLATFORMS)(
  "invalid stored data under onInvalidStoredData: 'reject', on %s",
  (platform) => {
    let app: ExactApp;
    beforeAll(async () => {
      app = await start(platform, { onInvalidStoredData: 'reject' });
    });
    afterAll(() => app.close());

    it.each([
      ['undeclared properties', EXTRA],
      ...NOT_OBJECTS.map((text) => [`the non-object ${text}`, text]),
      ['text that is not JSON', '{"items":[oops'],
      ['nesting 20,000 levels deep', DEEP],
    ])('%s → 500 StoredSessionInvalidError, the stored text left as it was', async (_, text) => {
      const browser = await storedCart(app, text);
      const reply = await browser.get('/cart');
      expect(reply.status).toBe(500);
      expect(reply.body.error).toBe('StoredSessionInvalidError');
      const id = storeKeyOf(app, browser.cookie);
      expect((await app.store.inner.get(id))!.data.cart).toBe(text);
    });
  },
);
