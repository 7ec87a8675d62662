// `node bench/gateway.mjs [--messages N] [--rounds R]`: what reading the session for each
// WebSocket message costs (the gateway entry loads it fresh per message, see README "WebSocket
// gateways"). One Express app on 127.0.0.1 with a socket.io gateway; a session made by an HTTP
// login; one client sends messages one at a time and times the round trip of each kind:
//   ping    a handler without the session (the floor: socket.io + Nest)
//   cart    @Session({ readonly: true }) cart: one store read, decode and validation per message
//   add     @Session() cart, a change per message: a read, then a commit before the ack
// against the memory store and a Redis store (db 7, prefix bench-gw:). Runs against dist/esm
// (`npm run build` first). Kinds are interleaved in rounds, the median round is reported.
import 'reflect-metadata';
import { Controller, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { IsArray } from 'class-validator';
import { parseArgs } from 'node:util';
import { io } from 'socket.io-client';
import { Session, SessionHandle, SessionModule, SessionSchema } from '../dist/esm/index.js';
import { SessionGatewayModule } from '../dist/esm/gateway/index.js';
import { RedisSessionStore } from '../dist/esm/stores/redis/index.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
  },
});
const MESSAGES = Number(values.messages);
const ROUNDS = Number(values.rounds);
const SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';

class CartSession {
  items = [];
}
Reflect.decorate([IsArray()], CartSession.prototype, 'items');
Reflect.decorate([SessionSchema('cart')], CartSession);

class Gateway {
  ping() {
    return 1;
  }
  cart(cart) {
    return cart.items.length;
  }
  add(cart) {
    cart.items.push(cart.items.length);
    if (cart.items.length > 50) cart.items.length = 0;
    return cart.items.length;
  }
}
decorateMethod(Gateway, 'ping', [SubscribeMessage('ping')]);
decorateMethod(
  Gateway,
  'cart',
  [SubscribeMessage('cart')],
  [Session(CartSession, { readonly: true })],
);
decorateMethod(Gateway, 'add', [SubscribeMessage('add')], [Session(CartSession)]);
Reflect.decorate([WebSocketGateway()], Gateway);

class Login {
  async login(session) {
    await session.regenerate();
    session.set('user', 'bench');
    return 'ok';
  }
}
decorateMethod(Login, 'login', [Post('login')], [Session(SessionHandle)]);
Reflect.decorate([Controller()], Login);

function decorateMethod(cls, name, decorators, params = []) {
  params.forEach((decorator, index) => decorator(cls.prototype, name, index));
  Reflect.decorate(
    decorators,
    cls.prototype,
    name,
    Object.getOwnPropertyDescriptor(cls.prototype, name),
  );
}

async function measure(storeName, store) {
  class AppModule {}
  Reflect.decorate(
    [
      Module({
        imports: [SessionModule.forRoot({ secret: SECRET, store }), SessionGatewayModule],
        controllers: [Login],
        providers: [Gateway],
      }),
    ],
    AppModule,
  );
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  app.useWebSocketAdapter(new IoAdapter(app));
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const login = await fetch(`${url}/login`, { method: 'POST' });
  const cookie = login.headers.getSetCookie()[0].split(';')[0];
  const socket = io(url, { transports: ['websocket'], extraHeaders: { cookie }, forceNew: true });
  await new Promise((resolve) => socket.once('connect', resolve));
  const kinds = ['ping', 'cart', 'add'];
  for (const kind of kinds) for (let i = 0; i < 300; i++) await socket.emitWithAck(kind, {}); // warm-up
  const perRound = Object.fromEntries(kinds.map((kind) => [kind, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of kinds) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < MESSAGES; i++) await socket.emitWithAck(kind, {});
      perRound[kind].push(Number(process.hrtime.bigint() - started) / 1000 / MESSAGES);
    }
  }
  socket.close();
  await app.close();
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const row = Object.fromEntries(kinds.map((kind) => [kind, median(perRound[kind])]));
  console.log(
    `${storeName.padEnd(7)} ping ${row.ping.toFixed(0)} µs | cart (read per message) ` +
      `${row.cart.toFixed(0)} µs (+${(row.cart - row.ping).toFixed(0)}) | add (read + commit) ` +
      `${row.add.toFixed(0)} µs (+${(row.add - row.ping).toFixed(0)})`,
  );
}

console.log(`${MESSAGES} messages per kind and round, ${ROUNDS} rounds, median round`);
await measure('memory', undefined);
await measure(
  'redis',
  new RedisSessionStore({ url: 'redis://127.0.0.1:6379/7', prefix: 'bench-gw:' }),
);
