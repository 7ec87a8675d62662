// The benchmark's Nest apps, one per variant (bench/variants.mjs), shared by the socket-level
// server (bench/server.mjs) and the in-process CPU mode (bench/cpu-child.mjs).
//
// Every variant serves the same routes with the same payload:
//   POST /setup          create the session with a fresh cart (3 items, counter 0); body "ok"
//   GET  /cart           read:      body = cart.items.length ("3" when the session was found)
//   POST /cart/counter   write:     cart.counter += 1; body = the new counter
//   GET  /health         untouched: never uses the session; body "ok"
//   POST /login          login:     no cookie; create a session, write the cart, regenerate the id
// Bare variants serve the same routes with no session (constant answers).
//
// Plain ESM JavaScript: decorators are applied by hand, and @Session(CartSession) names the schema
// class explicitly since there is no decorator metadata.
import 'reflect-metadata';
import {
  Controller,
  createParamDecorator,
  Get,
  Injectable,
  Module,
  Post,
  Req,
  UseInterceptors,
} from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import {
  DATABASE_URL,
  IDLE_TIMEOUT_MS,
  PG_TABLES,
  REDIS_DB,
  REDIS_PREFIX,
  REDIS_URL,
  SECRET,
  newCart,
} from './variants.mjs';
import { loadLibrary } from './library.mjs';

/**
 * The variant's Nest app, created and initialised (routes registered, not listening).
 * `cleanups` receives what must be closed after `app.close()` (pools, clients).
 */
export async function createApp(variant, libUrl, cleanups) {
  let appModule;
  if (variant.kind === 'bare') appModule = await bareApp();
  else if (variant.kind === 'floor') appModule = await bareApp(variant.floor ?? 'global');
  else if (variant.kind === 'lib') appModule = await libApp(variant, libUrl, cleanups);
  else
    appModule = module(class AppModule {}, {
      controllers: [peerController(variant.platform === 'fastify')],
    });

  let app;
  if (variant.platform === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    app = await NestFactory.create(appModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
    if (variant.kind === 'peer') {
      const { default: fastifyCookie } = await import('@fastify/cookie');
      const { default: fastifySession } = await import('@fastify/session');
      await app.register(fastifyCookie);
      await app.register(fastifySession, {
        secret: SECRET,
        saveUninitialized: false,
        cookie: { maxAge: IDLE_TIMEOUT_MS, httpOnly: true, sameSite: 'lax', secure: false },
      });
    }
  } else {
    app = await NestFactory.create(appModule, { logger: ['error', 'warn'] });
    if (variant.kind === 'peer') app.use(await expressSessionMiddleware(variant, cleanups));
  }
  await app.init();
  return app;
}

/** Apply decorators the way TypeScript would. */
function method(cls, name, decorators, params = []) {
  params.forEach((decorator, index) => decorator(cls.prototype, name, index));
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, name);
  Reflect.decorate(decorators, cls.prototype, name, descriptor);
}
function controller(cls, routes) {
  for (const [name, decorators, params] of routes) method(cls, name, decorators, params);
  Reflect.decorate([Controller()], cls);
  return cls;
}
function module(cls, metadata) {
  Reflect.decorate([Module(metadata)], cls);
  return cls;
}

/** An interceptor that does nothing: the 'floor' variants measure what merely having one costs. */
class NoopInterceptor {
  intercept(_context, next) {
    return next.handle();
  }
}
Reflect.decorate([Injectable()], NoopInterceptor);

/** A custom parameter that answers a constant: what Nest's parameter pipeline alone costs. */
const NoopParam = createParamDecorator((data) => data);

/**
 * Bare Nest: the same routes with constant answers and no session. `floor`: 'global' adds the no-op
 * interceptor as APP_INTERCEPTOR (every route runs it); 'scoped' puts it with @UseInterceptors on
 * the routes that would use the session only (setup, read, write, login; not /health), as a
 * route-scoped commit interceptor is attached; 'params' gives those routes no-op custom
 * parameters instead, as @Session() does.
 */
async function bareApp(floor = null) {
  class BareController {
    setup() {
      return 'ok';
    }
    read() {
      return String(newCart().items.length);
    }
    write() {
      return '1';
    }
    health() {
      return 'ok';
    }
    login() {
      return 'ok';
    }
  }
  const sessionRoute = (name) => name !== 'health';
  controller(
    BareController,
    ROUTES.map(([name, decorators]) => [
      name,
      floor === 'scoped' && sessionRoute(name)
        ? [...decorators, UseInterceptors(NoopInterceptor)]
        : decorators,
      // As many parameters as the library's routes take: the cart, and the handle on /login.
      floor === 'params' && sessionRoute(name)
        ? name === 'login'
          ? [NoopParam('cart'), NoopParam('handle')]
          : [NoopParam('cart')]
        : [],
    ]),
  );
  const providers =
    floor === 'global' ? [{ provide: APP_INTERCEPTOR, useClass: NoopInterceptor }] : [];
  return module(class AppModule {}, { controllers: [BareController], providers });
}

const ROUTES = [
  ['setup', [Post('setup')]],
  ['read', [Get('cart')]],
  ['write', [Post('cart/counter')]],
  ['health', [Get('health')]],
  ['login', [Post('login')]],
];

async function libApp(variant, libUrl, cleanups) {
  const lib = await loadLibrary(libUrl);
  const { SessionModule, Session, SessionSchema, SessionHandle } = lib;
  const { IsArray, IsInt, IsString, Min, ValidateNested } = await import('class-validator');
  const { Type } = await import('class-transformer');

  class CartItem {
    sku = '';
    name = '';
    qty = 1;
    price = 0;
  }
  for (const key of ['sku', 'name']) IsString()(CartItem.prototype, key);
  for (const key of ['qty', 'price']) {
    IsInt()(CartItem.prototype, key);
    Min(0)(CartItem.prototype, key);
  }
  class CartSession {
    items = [];
    counter = 0;
  }
  IsArray()(CartSession.prototype, 'items');
  ValidateNested({ each: true })(CartSession.prototype, 'items');
  Type(() => CartItem)(CartSession.prototype, 'items');
  IsInt()(CartSession.prototype, 'counter');
  Reflect.decorate([SessionSchema('cart')], CartSession);

  // The same cart as the other variants, as instances of the schema's classes.
  const fill = (cart) => {
    const fresh = newCart();
    cart.items = fresh.items.map((item) => Object.assign(new CartItem(), item));
    cart.counter = fresh.counter;
  };
  class CartController {
    setup(cart) {
      fill(cart);
      return 'ok';
    }
    read(cart) {
      return String(cart.items.length);
    }
    write(cart) {
      cart.counter += 1;
      return String(cart.counter);
    }
    health() {
      return 'ok';
    }
    async login(cart, handle) {
      fill(cart);
      await handle.regenerate();
      return 'ok';
    }
  }
  const cartParam = () => Session(CartSession);
  controller(CartController, [
    ['setup', [Post('setup')], [cartParam()]],
    ['read', [Get('cart')], [cartParam()]],
    ['write', [Post('cart/counter')], [cartParam()]],
    ['health', [Get('health')], []],
    ['login', [Post('login')], [cartParam(), Session(SessionHandle)]],
  ]);

  let store;
  if (variant.store === 'memory') {
    store = undefined; // the default: new MemorySessionStore()
  } else if (variant.store === 'redis') {
    const url = new URL(REDIS_URL);
    url.pathname = `/${REDIS_DB}`;
    store = new lib.RedisSessionStore({ url: url.href, prefix: REDIS_PREFIX.lib });
  } else if (variant.store === 'pg') {
    const pool = await pgPool(cleanups);
    store = new lib.PostgresSessionStore({ pool, table: PG_TABLES.lib });
  }
  const options = { secret: SECRET, idleTimeout: IDLE_TIMEOUT_MS, cookie: { secure: false } };
  if (store) options.store = store;
  return module(class AppModule {}, {
    imports: [SessionModule.forRoot(options)],
    controllers: [CartController],
  });
}

async function pgPool(cleanups) {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
  pool.on('error', (error) => console.error(`pg pool: ${error.message}`));
  cleanups.push(() => pool.end());
  return pool;
}

/** Handlers on `req.session` for express-session and @fastify/session. */
function peerController(fastify) {
  const get = (req) => (fastify ? req.session.get('cart') : req.session.cart);
  const put = (req, cart) => (fastify ? req.session.set('cart', cart) : (req.session.cart = cart));
  class PeerController {
    setup(req) {
      put(req, newCart());
      return 'ok';
    }
    read(req) {
      const cart = get(req);
      return String(cart ? cart.items.length : 'no session');
    }
    write(req) {
      const cart = get(req) ?? { ...newCart(), counter: -1_000_000 };
      cart.counter += 1;
      put(req, cart);
      return String(cart.counter);
    }
    health() {
      return 'ok';
    }
    async login(req) {
      if (fastify) {
        await req.session.regenerate();
      } else {
        await new Promise((resolve, reject) =>
          req.session.regenerate((error) => (error ? reject(error) : resolve())),
        );
      }
      put(req, newCart());
      return 'ok';
    }
  }
  return controller(
    PeerController,
    ROUTES.map(([name, decorators]) => [name, decorators, name === 'health' ? [] : [Req()]]),
  );
}

async function expressSessionMiddleware(variant, cleanups) {
  const { default: session } = await import('express-session');
  let store;
  if (variant.store === 'memory') {
    store = undefined; // express-session's MemoryStore
  } else if (variant.store === 'redis') {
    const { createClient } = await import('redis');
    const client = createClient({ url: REDIS_URL, database: REDIS_DB });
    client.on('error', (error) => console.error(`redis: ${error.message}`));
    await client.connect();
    cleanups.push(() => client.quit());
    const { RedisStore } = await import('connect-redis');
    store = new RedisStore({ client, prefix: REDIS_PREFIX.peer });
  } else if (variant.store === 'pg') {
    const { default: connectPgSimple } = await import('connect-pg-simple');
    const PgStore = connectPgSimple(session);
    store = new PgStore({
      pool: await pgPool(cleanups),
      tableName: PG_TABLES.peer,
      createTableIfMissing: true,
    });
    cleanups.push(() => store.close());
  }
  return session({
    secret: SECRET,
    resave: false,
    saveUninitialized: false,
    store,
    cookie: { maxAge: IDLE_TIMEOUT_MS, httpOnly: true, sameSite: 'lax', secure: false },
  });
}
