// Lost updates: 100 concurrent requests of one session, each adding one distinct item to the
// same cart, against express-session (MemoryStore and connect-redis) and this library with and
// without @SessionLock(), on memory, Redis and PostgreSQL. Prints the items kept out of 100.
//
//   npm run build && node bench/lost-updates.mjs        (or: npm run bench -- --lost-updates)
//
// A correctness figure, not a speed one: every handler awaits a few milliseconds between reading
// the cart and changing it (as a handler that calls a database or an API does), so concurrent
// requests really overlap. Needs Redis and PostgreSQL for their rows (skipped when absent).
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Body, Controller, Get, Module, Post, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IsArray, IsBoolean, IsString } from 'class-validator';

const here = dirname(fileURLToPath(import.meta.url));
const core = pathToFileURL(process.env.BENCH_LIB ?? join(here, '../dist/esm/index.js'));
const lib = {
  ...(await import(core.href)),
  ...(await import(new URL('./stores/redis/index.js', core).href)),
  ...(await import(new URL('./stores/postgres/index.js', core).href)),
};
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECRET = 'lost-updates-benchmark-secret-0123456789';
const REQUESTS = 100;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RUN_ID = `${process.pid}_${Date.now().toString(36)}`;
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

/** Applies decorators by hand: this file is plain JavaScript. */
function route(cls, name, decorators, params = []) {
  params.forEach((param, index) => param(cls.prototype, name, index));
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, name);
  for (const decorator of decorators) decorator(cls.prototype, name, descriptor);
}

class CartSession {
  items = [];
  opened = false;
}
IsArray()(CartSession.prototype, 'items');
IsBoolean()(CartSession.prototype, 'opened');
IsString({ each: true })(CartSession.prototype, 'items');
Reflect.decorate([lib.SessionSchema('cart')], CartSession);

function libController(locked) {
  class CartController {
    start(cart) {
      cart.opened = true; // a change, so the session is stored and the cookie set
      return 'ok';
    }
    async add(cart, body) {
      await pause();
      cart.items.push(body.sku);
      return 'ok';
    }
    count(cart) {
      return String(cart.items.length);
    }
  }
  const cart = () => lib.Session(CartSession);
  route(CartController, 'start', [Post('start')], [cart()]);
  const add = [Post('add')];
  if (locked) add.push(lib.SessionLock({ waitMs: 30_000 }));
  route(CartController, 'add', add, [cart(), Body()]);
  route(CartController, 'count', [Get('count')], [cart()]);
  Reflect.decorate([Controller()], CartController);
  return CartController;
}

function peerController() {
  class CartController {
    start(req) {
      req.session.items = [];
      return 'ok';
    }
    async add(req, body) {
      const items = req.session.items ?? [];
      await pause();
      req.session.items = [...items, body.sku];
      return 'ok';
    }
    count(req) {
      return String((req.session.items ?? []).length);
    }
  }
  route(CartController, 'start', [Post('start')], [Req()]);
  route(CartController, 'add', [Post('add')], [Req(), Body()]);
  route(CartController, 'count', [Get('count')], [Req()]);
  Reflect.decorate([Controller()], CartController);
  return CartController;
}

async function startLib(store, locked) {
  class AppModule {}
  Reflect.decorate(
    [
      Module({
        imports: [lib.SessionModule.forRoot({ secret: SECRET, store: await store() })],
        controllers: [libController(locked)],
      }),
    ],
    AppModule,
  );
  return listen(await NestFactory.create(AppModule, { logger: false }));
}

async function startExpressSession(storeKind) {
  const { default: session } = await import('express-session');
  let store;
  const cleanups = [];
  if (storeKind === 'redis') {
    const { createClient } = await import('redis');
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    cleanups.push(() => client.quit());
    const { RedisStore } = await import('connect-redis');
    store = new RedisStore({ client, prefix: `lost-updates:${RUN_ID}:` });
  }
  class AppModule {}
  Reflect.decorate([Module({ controllers: [peerController()] })], AppModule);
  const app = await NestFactory.create(AppModule, { logger: false });
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, store }));
  const running = await listen(app);
  return {
    ...running,
    close: async () => (await running.close(), await Promise.all(cleanups.map((c) => c()))),
  };
}

async function listen(app) {
  await app.listen(0, '127.0.0.1');
  return { url: await app.getUrl(), close: () => app.close() };
}

/** One run: a session, 100 concurrent adds with its cookie, then the count that was kept. */
async function itemsKept(url) {
  const started = await fetch(`${url}/start`, { method: 'POST' });
  const cookie = started.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  if (!cookie) throw new Error('no session cookie');
  const headers = { cookie, 'content-type': 'application/json' };
  const replies = await Promise.all(
    Array.from({ length: REQUESTS }, (_, i) =>
      fetch(`${url}/add`, { method: 'POST', headers, body: JSON.stringify({ sku: `item-${i}` }) }),
    ),
  );
  const failed = replies.filter((reply) => !reply.ok).length;
  const count = Number(await (await fetch(`${url}/count`, { headers })).text());
  return { count, failed };
}

async function answers(url) {
  const { connect } = await import('node:net');
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const done = (ok) => (socket.destroy(), resolve(ok));
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const redisUp = await answers(REDIS_URL);
const pgUp = await answers(DATABASE_URL);
const memory = async () => new lib.MemorySessionStore();
const redis = async () =>
  new lib.RedisSessionStore({ url: REDIS_URL, prefix: `lost-updates:${RUN_ID}:lib:` });
const pgTable = `lost_updates_${RUN_ID}`;
const postgres = async () =>
  new lib.PostgresSessionStore({
    connectionString: DATABASE_URL,
    table: pgTable,
    cleanupIntervalMs: 0,
  });

const variants = [
  ['express-session, MemoryStore', () => startExpressSession('memory'), true],
  ['express-session + connect-redis', () => startExpressSession('redis'), redisUp],
  ['nestjs-typed-session, memory, no lock', () => startLib(memory, false), true],
  ['nestjs-typed-session, memory, @SessionLock()', () => startLib(memory, true), true],
  ['nestjs-typed-session, Redis, no lock', () => startLib(redis, false), redisUp],
  ['nestjs-typed-session, Redis, @SessionLock()', () => startLib(redis, true), redisUp],
  ['nestjs-typed-session, PostgreSQL, no lock', () => startLib(postgres, false), pgUp],
  ['nestjs-typed-session, PostgreSQL, @SessionLock()', () => startLib(postgres, true), pgUp],
];

const rows = [];
for (const [name, start, available] of variants) {
  if (!available) {
    rows.push({ name, kept: null, note: 'server not answering: skipped' });
    continue;
  }
  const app = await start();
  try {
    const runs = [];
    for (let run = 0; run < RUNS; run++) runs.push(await itemsKept(app.url));
    const kept = runs.map((r) => r.count).sort((a, b) => a - b);
    const failed = runs.reduce((sum, r) => sum + r.failed, 0);
    rows.push({ name, kept, median: kept[Math.floor(kept.length / 2)], failed });
  } finally {
    await app.close();
  }
}

if (pgUp) {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: DATABASE_URL });
  await pool.query(`DROP TABLE IF EXISTS "${pgTable}", "${pgTable}_locks"`);
  await pool.end();
}

const header = `${REQUESTS} concurrent adds to one session's cart, ${RUNS} runs each (Node ${process.version}, ${new Date().toISOString()})`;
const table = [
  `| variant | items kept of ${REQUESTS} (median) | every run | failed requests |`,
  '| --- | ---: | --- | ---: |',
  ...rows.map((row) =>
    row.kept === null
      ? `| ${row.name} | - | ${row.note} | - |`
      : `| ${row.name} | ${row.median} | ${row.kept.join(', ')} | ${row.failed} |`,
  ),
].join('\n');
console.log(`\n${header}\n\n${table}\n`);
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results/lost-updates.md'), `# Lost updates\n\n${header}\n\n${table}\n`);
writeFileSync(join(here, 'results/lost-updates.json'), JSON.stringify({ header, rows }, null, 2));
process.exit(0);
