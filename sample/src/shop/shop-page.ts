import { CATALOG, findProduct, formatPrice } from './catalog.js';
import { Html, html } from './html.js';

/** A message shown once, on the page a form action redirects to (a type, so it is JSON). */
export type Flash = {
  kind: 'success' | 'error';
  text: string;
};

export interface ShopView {
  user: string | null;
  cart: ReadonlyArray<{ sku: string; quantity: number }>;
  flash: Flash | null;
}

const STYLE = `
  :root { color-scheme: light; font-family: system-ui, sans-serif; line-height: 1.4; }
  body { margin: 0; background: #f4f1ea; color: #222; }
  header { background: #2f4f3e; color: #fff; padding: 0.8rem 1.5rem; display: flex;
    align-items: center; justify-content: space-between; gap: 1rem; flex-wrap: wrap; }
  header h1 { margin: 0; font-size: 1.4rem; }
  header form { display: flex; gap: 0.5rem; align-items: center; margin: 0; }
  main { max-width: 56rem; margin: 1.5rem auto; padding: 0 1.5rem; display: grid;
    grid-template-columns: 3fr 2fr; gap: 1.5rem; }
  section { background: #fff; border-radius: 8px; padding: 1rem 1.25rem;
    box-shadow: 0 1px 3px rgb(0 0 0 / 0.12); }
  h2 { margin-top: 0; font-size: 1.1rem; }
  ul.products { list-style: none; padding: 0; margin: 0; }
  ul.products li { display: flex; justify-content: space-between; align-items: center;
    padding: 0.5rem 0; border-bottom: 1px solid #eee; gap: 0.5rem; }
  ul.products form { display: flex; gap: 0.4rem; margin: 0; }
  input[type=number] { width: 3.5rem; }
  input, button { font: inherit; padding: 0.25rem 0.5rem; }
  button { cursor: pointer; border: 1px solid #2f4f3e; background: #2f4f3e; color: #fff;
    border-radius: 4px; }
  button.link { background: none; color: inherit; border-color: currentColor; }
  header button { background: #fff; color: #2f4f3e; border-color: #fff; }
  header button.link { background: none; color: #fff; }
  table { width: 100%; border-collapse: collapse; }
  td, th { text-align: left; padding: 0.3rem 0.2rem; border-bottom: 1px solid #eee; }
  td.num, th.num { text-align: right; }
  .flash { box-sizing: border-box; margin: 1rem max(1.5rem, calc((100% - 56rem) / 2)) 0;
    padding: 0.6rem 1rem; border-radius: 6px; }
  .flash.success { background: #dff0d8; border: 1px solid #9ccc8a; }
  .flash.error { background: #f8d7da; border: 1px solid #e0a0a6; }
  .muted { color: #666; }
  footer { max-width: 56rem; margin: 0 auto 2rem; padding: 0 1.5rem; font-size: 0.85rem; }
`;

function account(user: string | null): Html {
  if (user === null) {
    return html`<form method="post" action="/shop/login" aria-label="Log in">
      <label for="user">Name</label>
      <input id="user" name="user" required maxlength="40" autocomplete="username" />
      <button type="submit">Log in</button>
    </form>`;
  }
  return html`<form method="post" action="/shop/logout" aria-label="Log out">
    <span>Signed in as <strong data-testid="user">${user}</strong></span>
    <button type="submit" class="link">Log out</button>
  </form>`;
}

function products(): Html {
  return html`<ul class="products">
    ${CATALOG.map(
      (product) =>
        html`<li>
          <span>${product.name} <span class="muted">${formatPrice(product.priceCents)}</span></span>
          <form method="post" action="/shop/cart" aria-label="Add ${product.name}">
            <input type="hidden" name="sku" value="${product.sku}" />
            <input
              type="number"
              name="quantity"
              value="1"
              min="1"
              max="99"
              aria-label="Quantity of ${product.name}"
            />
            <button type="submit">Add to cart</button>
          </form>
        </li>`,
    )}
  </ul>`;
}

function cart(lines: ShopView['cart']): Html {
  if (lines.length === 0) {
    return html`<p data-testid="cart-empty">Your cart is empty.</p>`;
  }
  let total = 0;
  const rows = lines.map((line) => {
    const product = findProduct(line.sku);
    const price = (product?.priceCents ?? 0) * line.quantity;
    total += price;
    return html`<tr data-sku="${line.sku}">
      <td>${product?.name ?? line.sku}</td>
      <td class="num" data-testid="quantity-${line.sku}">${line.quantity}</td>
      <td class="num">${formatPrice(price)}</td>
      <td>
        <form method="post" action="/shop/cart/remove" aria-label="Remove ${line.sku}">
          <input type="hidden" name="sku" value="${line.sku}" />
          <button
            type="submit"
            class="link"
            title="Remove"
            aria-label="Remove ${product?.name ?? line.sku}"
          >
            ×
          </button>
        </form>
      </td>
    </tr>`;
  });
  return html`<table data-testid="cart">
    <thead>
      <tr>
        <th>Item</th>
        <th class="num">Qty</th>
        <th class="num">Price</th>
        <th></th>
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
    <tfoot>
      <tr>
        <th>Total</th>
        <th></th>
        <th class="num">${formatPrice(total)}</th>
        <th></th>
      </tr>
    </tfoot>
  </table>`;
}

/** The whole shop page: server-rendered, plain forms, no script. */
export function renderShopPage(view: ShopView): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Corner shop · nestjs-typed-session sample</title>
        <style>
          ${new Html(STYLE)}
        </style>
      </head>
      <body>
        <header>
          <h1>Corner shop</h1>
          ${account(view.user)}
        </header>
        ${
          view.flash
            ? html`<p class="flash ${view.flash.kind}" role="status" data-testid="flash">
                ${view.flash.text}
              </p>`
            : null
        }
        <main>
          <section aria-labelledby="products-title">
            <h2 id="products-title">Products</h2>
            ${products()}
          </section>
          <section aria-labelledby="cart-title">
            <h2 id="cart-title">Your cart</h2>
            ${cart(view.cart)}
          </section>
        </main>
        <footer class="muted">
          The cart and your name live in a server-side session (cookie <code>sid</code>: HttpOnly,
          SameSite=Lax). Logging in gives the session a new id and keeps the cart; logging out ends
          it. The same session is behind the JSON routes <code>/cart</code> and <code>/me</code>.
        </footer>
      </body>
    </html> `.text;
}
