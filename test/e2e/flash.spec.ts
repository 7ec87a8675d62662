import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Body, Controller, Get, HttpCode, Logger, Post, Redirect } from '@nestjs/common';
import { IsIn, IsString, IsUrl, MaxLength } from 'class-validator';
import { Flash, FlashSchema, Session, SessionHandle } from '../../src/index.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS } from '../support/platforms.js';
import { startSessionApp, type SessionApp } from '../support/session-app.js';
import { storeKeyOf } from '../support/store-keys.js';

@FlashSchema('status')
class NoticeFlash {
  @IsString()
  @MaxLength(40)
  text!: string;

  @IsIn(['info', 'error'])
  level: 'info' | 'error' = 'info';

  /** A method: only an instance of the class has it. */
  describe(): string {
    return `${this.level}: ${this.text}`;
  }
}

/** `@IsUrl` is not compiled: this schema is checked by class-validator's validateSync. */
@FlashSchema('link')
class LinkFlash {
  @IsUrl({ require_tld: false })
  href!: string;
}

@Controller('typed')
class TypedFlashController {
  @Post('save')
  @Redirect('/typed/page', 303)
  save(@Session() session: SessionHandle, @Body() body: { text: unknown; level?: unknown }) {
    session.flash(NoticeFlash, body as NoticeFlash);
  }

  @Post('save-by-key')
  @Redirect('/typed/page', 303)
  saveByKey(@Session() session: SessionHandle, @Body() body: { text: string }) {
    session.flash('status', body);
  }

  @Get('page')
  page(@Flash(NoticeFlash) notice: NoticeFlash | undefined) {
    return notice
      ? { notice, instance: notice instanceof NoticeFlash, says: notice.describe() }
      : { notice: null };
  }

  @Get('take')
  take(@Session() session: SessionHandle) {
    const notice = session.takeFlash(NoticeFlash);
    return { text: notice?.text ?? null, instance: notice instanceof NoticeFlash };
  }

  @Post('link')
  @HttpCode(200)
  link(@Session() session: SessionHandle, @Body() body: { href: string }) {
    session.flash(LinkFlash, body);
    return { ok: true };
  }

  @Get('link')
  readLink(@Flash(LinkFlash) link: LinkFlash | undefined) {
    return { href: link?.href ?? null, instance: link instanceof LinkFlash };
  }
}

@Controller('flash')
class FlashController {
  @Post('save')
  @Redirect('/flash/page', 303)
  save(@Session() session: SessionHandle, @Body() body: { text: string }) {
    session.flash('notice', { text: body.text });
  }

  @Get('page')
  page(@Flash('notice') notice: { text: string } | undefined) {
    return { notice: notice ?? null };
  }

  @Post('two')
  @HttpCode(200)
  two(@Session() session: SessionHandle) {
    session.flash('a', 1);
    session.flash('b', 2);
    return { keys: session.keys() };
  }

  @Get('take')
  take(@Session() session: SessionHandle) {
    return { a: session.takeFlash('a') ?? null, b: session.takeFlash('b') ?? null };
  }
}

describe.each(PLATFORMS)('flash messages on %s', (platform) => {
  let app: SessionApp;
  beforeAll(async () => {
    app = await startSessionApp(platform, {}, [FlashController]);
  });
  afterAll(() => app.close());

  it('survive a POST → 303 → GET and are shown once: a reload does not show them', async () => {
    const browser = new Browser(app.url);
    const posted = await browser.post('/flash/save', { text: 'Added to cart' });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/flash/page');
    expect((await browser.get('/flash/page')).body).toEqual({ notice: { text: 'Added to cart' } });
    expect((await browser.get('/flash/page')).body).toEqual({ notice: null });
  });

  it('are kept apart per key, stay out of keys(), and are taken one by one', async () => {
    const browser = new Browser(app.url);
    expect((await browser.post('/flash/two')).body).toEqual({ keys: [] });
    expect((await browser.get('/flash/take')).body).toEqual({ a: 1, b: 2 });
    expect((await browser.get('/flash/take')).body).toEqual({ a: null, b: null });
  });

  it('a request that does not take a flash leaves it for the one that does', async () => {
    const browser = new Browser(app.url);
    await browser.post('/flash/save', { text: 'later' });
    expect((await browser.get('/cart')).status).toBe(200);
    expect((await browser.get('/flash/page')).body).toEqual({ notice: { text: 'later' } });
  });
});

describe.each(PLATFORMS)('typed flash messages on %s', (platform) => {
  let app: SessionApp;
  beforeAll(async () => {
    app = await startSessionApp(platform, {}, [TypedFlashController]);
  });
  afterAll(() => app.close());

  it('POST → 303 → GET: @Flash(NoticeFlash) injects a validated instance once; a reload shows none', async () => {
    const browser = new Browser(app.url);
    const posted = await browser.post('/typed/save', { text: 'Saved', level: 'info' });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/typed/page');
    expect((await browser.get('/typed/page')).body).toEqual({
      notice: { text: 'Saved', level: 'info' },
      instance: true,
      says: 'info: Saved',
    });
    expect((await browser.get('/typed/page')).body).toEqual({ notice: null });
  });

  it('takeFlash(NoticeFlash) hands out the instance with its defaults, and only once', async () => {
    const browser = new Browser(app.url);
    await browser.post('/typed/save', { text: 'defaults apply' });
    expect((await browser.get('/typed/take')).body).toEqual({
      text: 'defaults apply',
      instance: true,
    });
    expect((await browser.get('/typed/take')).body).toEqual({ text: null, instance: false });
  });

  it.each([
    ['a field that fails its rule', { text: 'x'.repeat(41) }, 'flash.status.text'],
    ['a field of the wrong type', { text: 42 }, 'flash.status.text'],
    ['a value outside its set', { text: 'ok', level: 'shout' }, 'flash.status.level'],
    ['a property the class does not declare', { text: 'ok', admin: true }, 'flash.status.admin'],
  ])(
    'an invalid value is refused when it is left (%s): 500 naming the field, nothing left',
    async (_case, body, field) => {
      const browser = new Browser(app.url);
      await browser.post('/cart', { sku: 'a', quantity: 1 });
      const reply = await browser.post('/typed/save', body);
      expect(reply.status).toBe(500);
      expect(reply.body.error).toBe('SessionValidationError');
      expect(reply.body.fields.map((failure: { field: string }) => failure.field)).toContain(field);
      expect((await browser.get('/typed/page')).body).toEqual({ notice: null });
    },
  );

  it('a key typed by a @FlashSchema is validated when flashed by its name too', async () => {
    const browser = new Browser(app.url);
    expect((await browser.post('/typed/save-by-key', { text: 'by key' })).status).toBe(303);
    expect((await browser.get('/typed/page')).body.says).toBe('info: by key');
    const refused = await browser.post('/typed/save-by-key', { text: 7 });
    expect(refused.status).toBe(500);
    expect(refused.body.fields[0].field).toBe('flash.status.text');
  });

  it('a stored flash that no longer fits its schema is dropped with a warning, not a 500', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const browser = new Browser(app.url);
      await browser.post('/cart', { sku: 'a', quantity: 1 });
      const key = storeKeyOf(app, browser.cookie);
      const { metadata } = (await app.store.inner.get(key))!;
      // As an older deploy, or a hand edit, would have left it.
      await app.store.inner.set(key, {
        mode: 'update',
        metadata,
        set: { $flash: JSON.stringify({ status: { text: 42, level: 'shout' } }) },
        remove: [],
      });
      const reply = await browser.get('/typed/page');
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ notice: null });
      const warned = warn.mock.calls.map(([message]) => String(message)).join('\n');
      expect(warned).toContain('flash "status" failed its schema');
      expect(warned).toContain('flash.status.text');
      expect(warned).not.toContain(browser.cookie!.split('.')[0]);
      // Dropped for good: the store no longer holds it, and no warning comes again.
      expect((await app.store.inner.get(key))!.data.$flash).toBeUndefined();
      warn.mockClear();
      expect((await browser.get('/typed/page')).body).toEqual({ notice: null });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('a schema with rules the compiler does not know is validated by class-validator, synchronously', async () => {
    const browser = new Browser(app.url);
    const refused = await browser.post('/typed/link', { href: 'not a url' });
    expect(refused.status).toBe(500);
    expect(refused.body.fields[0].field).toBe('flash.link.href');
    expect((await browser.post('/typed/link', { href: 'https://example.test/a' })).status).toBe(
      200,
    );
    expect((await browser.get('/typed/link')).body).toEqual({
      href: 'https://example.test/a',
      instance: true,
    });
    expect((await browser.get('/typed/link')).body).toEqual({ href: null, instance: false });
  });
});

describe('typed flash declarations', () => {
  it('@Flash(SomeClass) of a class that is not a @FlashSchema fails at declaration', () => {
    class Plain {}
    expect(() => Flash(Plain)).toThrow('@Flash(Plain): Plain is not a @FlashSchema class');
  });

  it('@FlashSchema refuses an empty key and a key another class already types', () => {
    expect(() => FlashSchema('')(class Empty {})).toThrow('key must be a non-empty string');
    expect(() => FlashSchema('status')(class OtherNotice {})).toThrow(
      'flash key "status" is already typed by NoticeFlash',
    );
  });
});
