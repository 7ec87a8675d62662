// What hashed store keys cost a request, in-process: `node bench/store-keys.mjs [requests]`.
// Two apps in one process on the memory store, the same routes, one with `storeKeys: 'plain'`
// and one with the default (hashed: one HMAC-SHA256 per request); slices of requests alternate
// between them so that drift of a shared machine hits both alike. Prints µs per request
// (median over rounds) for a read (GET /cart) and a write (POST /cart/counter), on Express and
// Fastify. Needs `npm run build` first.
import 'reflect-metadata';
import { Controller, Get, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { inject } from 'light-my-request';

const lib = await import(new URL('../dist/esm/index.js', import.meta.url).href);
const { SessionModule, Session, SessionSchema } = lib;
const { IsInt } = await import('class-validator');

const REQUESTS = Number(process.argv[2] ?? 4000);
const ROUNDS = 7;
const SLICES = 10;

class CartSession {
  counter = 0;
}
IsInt()(CartSession.prototype, 'counter');
Reflect.decorate([SessionSchema('cart')], CartSession);

class CartController {
  setup(cart) {
    cart.counter = 1;
    return 'ok';
  }
  read(cart) {
    return String(cart.counter);
  }
  write(cart) {
    cart.counter += 1;
    return String(cart.counter);
  }
}
for (const [name, route] of [
  ['setup', Post('setup')],
  ['read', Get('cart')],
  ['write', Post('cart/counter')],
]) {
  Session(CartSession)(CartController.prototype, name, 0);
  const descriptor = Object.getOwnPropertyDescriptor(CartController.prototype, name);
  Reflect.decorate([route], CartController.prototype, name, descriptor);
}
Reflect.decorate([Controller()], CartController);

async function start(platform, storeKeys) {
  class AppModule {}
  Reflect.decorate(
    [
      Module({
        imports: [
          SessionModule.forRoot({ secret: 'bench-secret-0123456789abcdefghijklmnop', storeKeys }),
        ],
        controllers: [CartController],
      }),
    ],
    AppModule,
  );
  const app =
    platform === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: ['error'] })
      : await NestFactory.create(AppModule, { logger: ['error'] });
  await app.init();
  const instance = app.getHttpAdapter().getInstance();
  if (platform === 'fastify') await instance.ready();
  const send =
    platform === 'fastify'
      ? (options) => instance.inject(options)
      : (options) => inject(instance, options);
  const setup = await send({ method: 'POST', url: '/setup' });
  const cookie = [setup.headers['set-cookie']].flat()[0].split(';')[0];
  return { app, send, cookie };
}

async function batch(target, workload, count) {
  const options = {
    method: workload === 'read' ? 'GET' : 'POST',
    url: workload === 'read' ? '/cart' : '/cart/counter',
    headers: { cookie: target.cookie },
  };
  const started = process.hrtime.bigint();
  for (let n = 0; n < count; n++) {
    const reply = await target.send(options);
    if (reply.statusCode >= 300) throw new Error(`${options.url} answered ${reply.statusCode}`);
  }
  return Number(process.hrtime.bigint() - started) / 1000;
}

/** The hashing alone: a new session's key (one HMAC) and the same request's later calls (cached). */
async function keyCost() {
  const { StoreKey } = await import(
    new URL('../dist/esm/store-keys/store-key.js', import.meta.url).href
  );
  const { randomBytes } = await import('node:crypto');
  const key = new StoreKey(randomBytes(32));
  const ids = Array.from({ length: 100_000 }, () => randomBytes(24).toString('base64url'));
  let started = process.hrtime.bigint();
  for (const id of ids) key.of(id);
  const miss = Number(process.hrtime.bigint() - started) / ids.length / 1000;
  started = process.hrtime.bigint();
  for (const id of ids.slice(-1000)) for (let n = 0; n < 100; n++) key.of(id);
  const hit = Number(process.hrtime.bigint() - started) / 100_000 / 1000;
  console.log(`store key: ${miss.toFixed(2)} µs for a new id (HMAC), ${hit.toFixed(3)} µs cached`);
}
await keyCost();

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];

for (const platform of ['express', 'fastify']) {
  const variants = { plain: await start(platform, 'plain'), hashed: await start(platform) };
  for (const workload of ['read', 'write']) {
    for (const target of Object.values(variants)) await batch(target, workload, 1000); // warm-up
    const perRequest = { plain: [], hashed: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const micros = { plain: 0, hashed: 0 };
      for (let slice = 0; slice < SLICES; slice++) {
        const order = slice % 2 ? ['plain', 'hashed'] : ['hashed', 'plain'];
        for (const name of order) {
          micros[name] += await batch(variants[name], workload, REQUESTS / SLICES);
        }
      }
      for (const name of ['plain', 'hashed']) perRequest[name].push(micros[name] / REQUESTS);
    }
    const plain = median(perRequest.plain);
    const hashed = median(perRequest.hashed);
    const deltas = perRequest.hashed.map((value, index) => value - perRequest.plain[index]);
    console.log(
      `${platform} ${workload}: plain ${plain.toFixed(1)} µs, hashed ${hashed.toFixed(1)} µs, ` +
        `difference (median of rounds) ${median(deltas).toFixed(2)} µs per request`,
    );
  }
  for (const { app } of Object.values(variants)) await app.close();
}
