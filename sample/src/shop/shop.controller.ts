import { Body, Controller, Get, Header, Post, Redirect } from '@nestjs/common';
import { Session, SessionHandle } from 'nestjs-typed-session';
import { CartSession } from '../cart.session.js';
import { findProduct } from './catalog.js';
import { renderShopPage } from './shop-page.js';

type FormBody = Record<string, unknown> | undefined;

const MAX_QUANTITY = 99;

/**
 * The shop page: one server-rendered page and plain HTML forms. Every form posts, the action
 * runs, and the answer is a 303 back to the page (post, redirect, get), so a reload repeats
 * nothing.
 */
@Controller()
export class ShopController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  // The page shows session data: never cache it, so Back after logging out asks again.
  @Header('Cache-Control', 'no-store')
  async page(@Session() session: SessionHandle): Promise<string> {
    const cart = await session.load(CartSession);
    return renderShopPage({
      user: session.get<string>('user') ?? null,
      cart: cart.items,
      flash: null,
    });
  }

  @Post('shop/cart')
  @Redirect('/', 303)
  add(@Session() cart: CartSession, @Body() body: FormBody): void {
    const product = findProduct(String(body?.sku ?? ''));
    const quantity = Number(body?.quantity);
    if (!product || !Number.isInteger(quantity) || quantity < 1) return;
    const line = cart.items.find((item) => item.sku === product.sku);
    if ((line?.quantity ?? 0) + quantity > MAX_QUANTITY) return;
    if (line) line.quantity += quantity;
    else cart.items.push({ sku: product.sku, quantity });
  }

  @Post('shop/cart/remove')
  @Redirect('/', 303)
  remove(@Session() cart: CartSession, @Body() body: FormBody): void {
    cart.items = cart.items.filter((item) => item.sku !== String(body?.sku ?? ''));
  }

  @Post('shop/login')
  @Redirect('/', 303)
  async login(@Session() session: SessionHandle, @Body() body: FormBody): Promise<void> {
    const user = String(body?.user ?? '').trim();
    if (user.length === 0 || user.length > 40) return;
    // A new id when privilege changes (no session fixation); the cart comes along.
    await session.regenerate();
    session.set('user', user);
  }

  @Post('shop/logout')
  @Redirect('/', 303)
  async logout(@Session() session: SessionHandle): Promise<void> {
    await session.destroy();
  }
}
