// The app the chaos and soak runs put under load: a real Nest app of the built library, in its own
// process (`fork('bench/chaos/app.mjs')`), sample-like routes, one store chosen by CHAOS_STORE:
//   memory | redis (CHAOS_REDIS_URL, CHAOS_REDIS_PREFIX) | postgres (DATABASE_URL, CHAOS_PG_TABLE,
//   CHAOS_PG_APP: the pool's application_name, so the runner terminates only this app's backends)
//   | slow (a memory store behind a wrapper that answers after 3 s while the runner says so).
//
// Routes (all JSON):
//   GET  /cart    { items: [sku, ...] }             the cart namespace
//   POST /cart    { sku } → { count }               add one item (every sku is unique per client)
//   POST /login   { user } → { user }               regenerate the id, keep the cart, set user
//   POST /logout  → { loggedOut: true }             destroy the session
//   GET  /me      { user }                          read-only
//   GET  /health  { ok: true }                      never touches the session
//
// CHAOS_LEAK_BYTES, CHAOS_LEAK_ON_FAILURE_BYTES (deliberate leaks) and CHAOS_DROP_WRITE_EVERY (a
// deliberate lost write) exist only to show that the runs' checks can fail.
//
// IPC from the runner: { type: 'stats', gc? } → { rss, heapUsed, sessions, resources, eldP99Ms, ... }
// measured after a full GC (the app runs with --expose-gc) unless `gc: false`; { type: 'slow', on }
// toggles the slow store; { type: 'reset-eld' }.
import 'reflect-metadata';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

// The ES module build's root (a snapshot from run.mjs, or dist/esm): the core entry and the
// drivers' entries, as an app imports them from the package.
const LIB = process.env.CHAOS_LIB
  ? pathToFileURL(resolve(process.env.CHAOS_LIB)).href + '/'
  : new URL('../../dist/esm/', import.meta.url).href;
const lib = {
  ...(await import(new URL('index.js', LIB).href)),
  ...(await import(new URL('stores/redis/index.js', LIB).href)),
  ...(await import(new URL('stores/postgres/index.js', LIB).href)),
};
const { SessionModule, Session, SessionSchema, SessionHandle, SessionStore } = lib;
const { IsArray, IsString } = await import('class-validator');

const SECRET = 'chaos-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const SLOW_MS = Number(process.env.CHAOS_SLOW_MS ?? 3_000);

/** Apply decorators the way TypeScript would (plain ESM: no decorator syntax). */
function route(cls, name, decorators, params = []) {
  params.forEach((decorator, index) => decorator(cls.prototype, name, index));
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, name);
  Reflect.decorate(decorators, cls.prototype, name, descriptor);
}

class CartSession {
  items = [];
}
IsArray()(CartSession.prototype, 'items');
IsString({ each: true })(CartSession.prototype, 'items');
Reflect.decorate([SessionSchema('cart')], CartSession);

class ShopController {
  viewCart(cart) {
    return { items: cart.items };
  }
  addToCart(cart, body) {
    if (typeof body?.sku !== 'string') return { count: cart.items.length };
    cart.items.push(body.sku);
    return { count: cart.items.length };
  }
  async login(session, body) {
    await session.regenerate();
    session.set('user', String(body?.user ?? 'anonymous'));
    return { user: session.get('user') };
  }
  async logout(session) {
    await session.destroy();
    return { loggedOut: true };
  }
  me(session) {
    return { user: session.get('user') ?? null };
  }
  health() {
    return { ok: true };
  }
}
route(ShopController, 'viewCart', [Get('cart')], [Session(CartSession)]);
route(ShopController, 'addToCart', [Post('cart'), HttpCode(200)], [Session(CartSession), Body()]);
route(ShopController, 'login', [Post('login'), HttpCode(200)], [Session(SessionHandle), Body()]);
route(ShopController, 'logout', [Post('logout'), HttpCode(200)], [Session(SessionHandle)]);
route(ShopController, 'me', [Get('me')], [Session(SessionHandle, { readonly: true })]);
route(ShopController, 'health', [Get('health')]);
Reflect.decorate([Controller()], ShopController);

/** A store that, while `slow` is on, answers every call 3 s late (a store that hangs). */
class SlowStore extends SessionStore {
  slow = false;
  constructor(inner) {
    super();
    this.inner = inner;
  }
  async pause() {
    if (this.slow) await delay(SLOW_MS);
  }
  async get(id) {
    await this.pause();
    return this.inner.get(id);
  }
  async set(id, write) {
    await this.pause();
    return this.inner.set(id, write);
  }
  async destroy(id) {
    await this.pause();
    return this.inner.destroy(id);
  }
  async destroyIfUnchanged(id, revisions) {
    await this.pause();
    return this.inner.destroyIfUnchanged(id, revisions);
  }
  async touch(id, touch) {
    await this.pause();
    return this.inner.touch(id, touch);
  }
  async acquireLock(id, request) {
    await this.pause();
    return this.inner.acquireLock(id, request);
  }
  releaseLock(id, token) {
    return this.inner.releaseLock(id, token);
  }
  async close() {
    await this.inner.close();
  }
}

function createStore() {
  const kind = process.env.CHAOS_STORE ?? 'memory';
  switch (kind) {
    case 'memory':
      return new lib.MemorySessionStore();
    case 'slow':
      return new SlowStore(new lib.MemorySessionStore());
    case 'redis':
      return new lib.RedisSessionStore({
        url: process.env.CHAOS_REDIS_URL,
        prefix: process.env.CHAOS_REDIS_PREFIX ?? 'chaos:',
      });
    case 'postgres':
      return new lib.PostgresSessionStore({
        connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
        table: process.env.CHAOS_PG_TABLE ?? 'chaos_sessions',
        poolConfig: { application_name: process.env.CHAOS_PG_APP ?? 'nts-chaos-app', max: 10 },
      });
    default:
      throw new Error(`CHAOS_STORE must be memory, slow, redis or postgres (got "${kind}")`);
  }
}

const store = createStore();
// CHAOS_DROP_WRITE_EVERY=N: every Nth update is answered "ok" without being written, a deliberate
// lost write to show that the journal check fails on one.
const dropEvery = Number(process.env.CHAOS_DROP_WRITE_EVERY ?? 0);
if (dropEvery > 0) {
  const set = store.set.bind(store);
  let writes = 0;
  store.set = (id, write) =>
    write.mode === 'update' && ++writes % dropEvery === 0
      ? Promise.resolve({ status: 'ok' })
      : set(id, write);
}
class AppModule {}
Reflect.decorate(
  [
    Module({
      imports: [SessionModule.forRoot({ secret: SECRET, store, cookie: { secure: false } })],
      controllers: [ShopController],
    }),
  ],
  AppModule,
);

const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();

// Logs go to the runner's log file: warnings (a store that failed) are expected during faults.
const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
// CHAOS_LEAK_BYTES: keep that many bytes per request forever, a deliberate leak to show that
// the soak's and the chaos run's heap checks fail on one (`CHAOS_LEAK_BYTES=1024 npm run soak -- --seconds 20`).
const leakBytes = Number(process.env.CHAOS_LEAK_BYTES ?? 0);
if (leakBytes > 0) {
  const kept = [];
  app.use((_req, _res, next) => {
    // A flat string of its own on the V8 heap ('x'.repeat shares pieces; Buffer bytes are not heap).
    kept.push(Buffer.alloc(leakBytes, 120).toString('latin1'));
    next();
  });
}
// CHAOS_LEAK_ON_FAILURE_BYTES: keep that many bytes per 5xx answer forever, a deliberate leak
// that only a fault provokes, to show that the chaos run's memory check fails on one.
const leakOnFailureBytes = Number(process.env.CHAOS_LEAK_ON_FAILURE_BYTES ?? 0);
if (leakOnFailureBytes > 0) {
  const kept = [];
  app.use((_req, res, next) => {
    res.on('finish', () => {
      if (res.statusCode >= 500)
        kept.push(Buffer.alloc(leakOnFailureBytes, 120).toString('latin1'));
    });
    next();
  });
}
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address();

process.on('message', async (message) => {
  if (message?.type === 'stats') {
    // `gc: false`: a cheap sample (no collection) for the chaos run's once-a-second series.
    if (message.gc !== false && globalThis.gc) {
      globalThis.gc();
      await delay(50);
      globalThis.gc();
    }
    const memory = process.memoryUsage();
    // The Redis store's client (a private field, read here only as a diagnostic): listeners a
    // call waiting for the connection adds and must take off again, on time-out or when ready.
    const redisClient = await store.client?.catch(() => undefined);
    process.send({
      type: 'stats',
      id: message.id,
      collected: message.gc !== false && Boolean(globalThis.gc),
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      eldP99Ms: eld.percentile(99) / 1e6,
      eldMaxMs: eld.max / 1e6,
      cpuMicros: process.cpuUsage().user + process.cpuUsage().system,
      // Sessions the in-process store holds (memory and slow stores): what the heap must keep.
      sessions: store.size ?? store.inner?.size ?? null,
      // What keeps work pending (timers, sockets, promises with native handles) by kind: a
      // fault that left waiters or connections behind shows here once the traffic has stopped.
      resources: countBy(process.getActiveResourcesInfo()),
      redisListeners: redisClient
        ? Object.fromEntries(redisClient.eventNames().map((n) => [n, redisClient.listenerCount(n)]))
        : null,
    });
  } else if (message?.type === 'reset-eld') {
    eld.reset();
    process.send({ type: 'reset-eld', id: message.id });
  } else if (message?.type === 'slow') {
    store.slow = Boolean(message.on);
    process.send({ type: 'slow', id: message.id, on: store.slow });
  }
});
function countBy(names) {
  const counts = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}
const stop = async () => {
  await app.close().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
process.send({ type: 'ready', port, pid: process.pid });
