import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { BrowserContext, Locator, Page, Response } from 'playwright-core';
import { createSampleApp } from '../../sample/src/create-sample-app.js';
import { PLATFORMS, type Platform } from '../support/platforms.js';
import {
  describeWithChromium,
  openBrowser,
  testOutputDir,
  type BrowserSession,
} from './chromium.js';

const describeBrowser = describeWithChromium('the shop page in headless Chromium');

/** The sample app as `npm start` runs it, on a loopback port, trusting the proxy header. */
async function startSample(platform: Platform): Promise<{ app: INestApplication; url: string }> {
  const app = await createSampleApp({ platform, trustProxy: true, logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}` };
}

/** Submit a form as a person does (click its button); the POST's response, once the page is back. */
async function submit(page: Page, form: Locator): Promise<Response> {
  const posted = page.waitForResponse((response) => response.request().method() === 'POST');
  const landed = page.waitForResponse(
    (response) => response.request().method() === 'GET' && response.request().isNavigationRequest(),
  );
  await form.getByRole('button').click();
  const [post] = await Promise.all([posted, landed]);
  await page.waitForLoadState('load');
  return post;
}

async function sessionCookie(context: BrowserContext, url: string) {
  const cookies = await context.cookies(url);
  return cookies.find((cookie) => cookie.name === 'sid');
}

/** The flash message on the page, or null when it shows none. */
async function flashText(page: Page): Promise<string | null> {
  const flash = page.getByTestId('flash');
  return (await flash.count()) === 0 ? null : (await flash.innerText()).trim();
}

async function cartQuantity(page: Page, sku: string): Promise<string | null> {
  const cell = page.getByTestId(`quantity-${sku}`);
  return (await cell.count()) === 0 ? null : cell.innerText();
}

// Run in the page (strings, since the tests compile without the DOM's types).
const MARK_PAGE = '(() => { window.__shopPageMark = true; })()';
const HOW_THIS_PAGE_CAME = `(() => {
  const navigation = performance.getEntriesByType('navigation')[0];
  return {
    type: navigation.type,
    fromCache: navigation.deliveryType === 'cache' || navigation.transferSize === 0,
    sameDocument: window.__shopPageMark === true,
  };
})()`;

describeBrowser.each(PLATFORMS)('the sample shop page in headless Chromium (%s)', (platform) => {
  let app: INestApplication;
  let url: string;
  let browser: BrowserSession | undefined;
  const output = testOutputDir('shop-page');

  beforeAll(async () => {
    ({ app, url } = await startSample(platform));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('adds to the cart, keeps it over a reload and a login (new id), says so once each time, and logout plus Back shows it empty', async () => {
    browser = await openBrowser();
    const { context } = browser;
    const page = context.pages()[0] ?? (await context.newPage());

    await page.goto(`${url}/`);
    expect(await page.getByTestId('cart-empty').isVisible()).toBe(true);

    const add = page.getByRole('form', { name: 'Add Apple' });
    await add.getByRole('spinbutton').fill('3');
    const added = await submit(page, add);
    expect(added.status()).toBe(303);
    expect(await cartQuantity(page, 'apple')).toBe('3');
    expect(await flashText(page)).toBe('Added 3 × Apple to your cart.');

    // The cookie as Chromium stored it, and as the server sent it.
    const anonymous = await sessionCookie(context, url);
    expect(anonymous).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });
    const setCookie = (await added.headerValue('set-cookie')) ?? '';
    expect(setCookie).toMatch(/^sid=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);

    await page.reload();
    expect(await cartQuantity(page, 'apple')).toBe('3');
    expect(await flashText(page)).toBeNull(); // shown once: a reload does not repeat it
    expect((await sessionCookie(context, url))?.value).toBe(anonymous!.value);

    const login = page.getByRole('form', { name: 'Log in' });
    await login.getByLabel('Name').fill('Ada');
    await submit(page, login);
    expect(await page.getByTestId('user').innerText()).toBe('Ada');
    expect(await cartQuantity(page, 'apple')).toBe('3');
    expect(await flashText(page)).toBe('Welcome, Ada. Your cart came with you.');
    const signedIn = await sessionCookie(context, url);
    expect(signedIn?.value).toBeDefined();
    expect(signedIn!.value.split('.')[0]).not.toBe(anonymous!.value.split('.')[0]);
    await page.screenshot({ path: join(output, `${platform}-signed-in.png`), fullPage: true });

    // A mark on the signed-in page: if Back showed this very page again (back/forward cache), the
    // mark would still be there.
    await page.evaluate(MARK_PAGE);
    await submit(page, page.getByRole('form', { name: 'Log out' }));
    expect(await page.getByTestId('cart-empty').isVisible()).toBe(true);
    expect(await flashText(page)).toBe('You are logged out. Your cart was emptied.');
    // The message rides on a new, empty session; the signed-in one is gone.
    const loggedOut = await sessionCookie(context, url);
    expect(loggedOut).toBeDefined();
    expect(loggedOut?.value.split('.')[0]).not.toBe(signedIn!.value.split('.')[0]);

    // Back to the entry that showed Ada's cart: `no-store` makes Chromium ask the server again,
    // neither its HTTP cache nor its back/forward cache may answer.
    const back = await page.goBack();
    expect(back?.status()).toBe(200);
    expect(await page.evaluate(HOW_THIS_PAGE_CAME)).toEqual({
      type: 'back_forward',
      fromCache: false,
      sameDocument: false,
    });
    expect(await page.getByTestId('cart-empty').isVisible()).toBe(true);
    expect(await page.getByRole('form', { name: 'Log in' }).isVisible()).toBe(true);
    expect(await page.getByTestId('user').count()).toBe(0);
    expect(await flashText(page)).toBeNull();
    await page.screenshot({ path: join(output, `${platform}-back-after-logout.png`) });
  }, 60_000);

  it('marks the cookie Secure when an HTTPS-terminating proxy says X-Forwarded-Proto: https', async () => {
    await browser?.close();
    browser = await openBrowser({ extraHTTPHeaders: { 'X-Forwarded-Proto': 'https' } });
    const { context } = browser;
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${url}/`);
    const add = page.getByRole('form', { name: 'Add Sourdough bread' });
    const added = await submit(page, add);
    expect(await added.headerValue('set-cookie')).toMatch(/; Secure(;|$)/);
    expect(await sessionCookie(context, url)).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
      secure: true,
    });
    await page.reload();
    expect(await cartQuantity(page, 'bread')).toBe('1');
  }, 60_000);
});
