import { Body, Controller, Get, Header, Post, Redirect } from '@nestjs/common';
import { Flash, Session, SessionHandle } from 'nestjs-typed-session';
import { CartSession } from '../cart.session.js';
import { findProduct } from './catalog.js';
import { renderShopPage, type Flash as FlashMessage } from './shop-page.js';

type FormBody = Record<string, unknown> | undefined;

const MAX_QUANTITY = 99;
const FLASH_KEY = 'shop';

const done = (text: string): FlashMessage => ({ kind: 'success', text });
const refused = (text: string): FlashMessage => ({ kind: 'error', text });

/**
 * The shop page: one server-rendered page and plain HTML forms. Every form posts, the action
 * runs and leaves a flash message, and the answer is a 303 back to the page (post, redirect,
 * get): the page shows the message once, and a reload repeats nothing.
 */
@Controller()
export class ShopController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  // The page shows session data: never cache it, so Back after logging out asks again.
  @Header('Cache-Control', 'no-store')
  async page(
    @Session() session: SessionHandle,
    @Flash(FLASH_KEY) flash: FlashMessage | undefined,
  ): Promise<string> {
    const cart = await session.load(CartSession);
    return renderShopPage({
      user: session.get<string>('user') ?? null,
      cart: cart.items,
      flash: flash ?? null,
    });
  }

  @Post('shop/cart')
  @Redirect('/', 303)
  add(
    @Session() session: SessionHandle,
    @Session() cart: CartSession,
    @Body() body: FormBody,
  ): void {
    session.flash(FLASH_KEY, addToCart(cart, body));
  }

  @Post('shop/cart/remove')
  @Redirect('/', 303)
  remove(
    @Session() session: SessionHandle,
    @Session() cart: CartSession,
    @Body() body: FormBody,
  ): void {
    const sku = String(body?.sku ?? '');
    const before = cart.items.length;
    cart.items = cart.items.filter((item) => item.sku !== sku);
    const name = findProduct(sku)?.name ?? sku;
    session.flash(
      FLASH_KEY,
      cart.items.length < before
        ? done(`Removed ${name} from your cart.`)
        : refused('Not in your cart.'),
    );
  }

  @Post('shop/login')
  @Redirect('/', 303)
  async login(@Session() session: SessionHandle, @Body() body: FormBody): Promise<void> {
    const user = String(body?.user ?? '').trim();
    if (user.length === 0 || user.length > 40) {
      session.flash(FLASH_KEY, refused('Enter a name of 1 to 40 characters to log in.'));
      return;
    }
    // A new id when privilege changes (no session fixation); the cart comes along.
    await session.regenerate();
    session.set('user', user);
    session.flash(FLASH_KEY, done(`Welcome, ${user}. Your cart came with you.`));
  }

  @Post('shop/logout')
  @Redirect('/', 303)
  async logout(@Session() session: SessionHandle): Promise<void> {
    await session.destroy();
    // Carried by a new, empty session: the old one and its id are gone for good.
    session.flash(FLASH_KEY, done('You are logged out. Your cart was emptied.'));
  }
}

/** Add a form's line to the cart; what to tell the shopper. */
function addToCart(cart: CartSession, body: FormBody): FlashMessage {
  const product = findProduct(String(body?.sku ?? ''));
  if (!product) return refused('There is no such product.');
  const quantity = Number(body?.quantity);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    return refused(`Choose a quantity from 1 to ${MAX_QUANTITY}.`);
  }
  const line = cart.items.find((item) => item.sku === product.sku);
  if ((line?.quantity ?? 0) + quantity > MAX_QUANTITY) {
    return refused(`At most ${MAX_QUANTITY} of one product fit in the cart.`);
  }
  if (line) line.quantity += quantity;
  else cart.items.push({ sku: product.sku, quantity });
  return done(`Added ${quantity} × ${product.name} to your cart.`);
}
