import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Body, Controller, Get, HttpCode, Post, Redirect } from '@nestjs/common';
import { Flash, Session, SessionHandle } from '../../src/index.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS } from '../support/platforms.js';
import { startSessionApp, type SessionApp } from '../support/session-app.js';

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
