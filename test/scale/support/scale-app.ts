/**
 * One app process of the scale-out tests and of `npm run scale`: a small shop of this library (a
 * cart and prefs namespace, a locked add, logout) on a shared store, on Express or Fastify.
 * Started as its own Node process by `app-processes.ts`; configured by one JSON argument
 * (`ScaleAppConfig`); prints `LISTENING <port>` once it serves, and closes on SIGTERM.
 */
import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Module,
  Post,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { IsArray, IsIn, IsString, Length } from 'class-validator';
import {
  Session,
  SessionHandle,
  SessionLock,
  SessionModule,
  SessionSchema,
  type SessionStore,
} from '../../../src/index.js';
import { PostgresSessionStore } from '../../../src/stores/postgres/postgres-session-store.js';
import { RedisSessionStore } from '../../../src/stores/redis/redis-session-store.js';
import type { ScaleAppConfig } from './scale-app-config.js';

@SessionSchema('cart')
class CartSession {
  @IsArray() @IsString({ each: true }) items: string[] = [];
}

@SessionSchema('prefs')
class PrefsSession {
  @IsIn(['light', 'dark']) theme = 'light';
  @IsArray() @IsString({ each: true }) history: string[] = [];
}

class SkuBody {
  @IsString() @Length(1, 40) sku!: string;
}

/** A handler that awaits between reading and writing, as one that calls an API does. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Controller()
class ShopController {
  /** Appends under the session lock: concurrent adds from any process all survive. */
  @Post('cart/add')
  @HttpCode(200)
  @SessionLock({ waitMs: 60_000 })
  async addLocked(@Session() cart: CartSession, @Body() body: SkuBody) {
    await pause(2);
    cart.items.push(body.sku);
    return { items: cart.items.length };
  }

  /** Appends without the lock: only safe when one client writes the cart at a time. */
  @Post('cart/item')
  @HttpCode(200)
  async addUnlocked(@Session() cart: CartSession, @Body() body: SkuBody) {
    await pause(2);
    cart.items.push(body.sku);
    return { items: cart.items.length };
  }

  /** Writes only the prefs namespace, racing cart writes of the same session on purpose. */
  @Post('prefs')
  @HttpCode(200)
  async setPrefs(@Session() prefs: PrefsSession, @Body() body: SkuBody) {
    await pause(2);
    prefs.theme = prefs.theme === 'light' ? 'dark' : 'light';
    prefs.history.push(body.sku);
    return { history: prefs.history.length };
  }

  @Get('session')
  view(@Session({ readonly: true }) session: SessionHandle) {
    const cart = session.get<{ items: string[] }>('cart');
    const prefs = session.get<{ history: string[] }>('prefs');
    return {
      isNew: session.isNew,
      cart: cart?.items ?? [],
      prefs: prefs?.history ?? [],
    };
  }

  @Post('logout')
  @HttpCode(200)
  async logout(@Session() session: SessionHandle) {
    await session.destroy();
    return { loggedOut: true };
  }

  /** Never touches the session: the harness's readiness probe. */
  @Get('health')
  health() {
    return 'ok';
  }
}

function storeFor(config: ScaleAppConfig): SessionStore {
  const store = config.store;
  switch (store.kind) {
    case 'redis-cluster':
      return new RedisSessionStore({
        clusterNodes: store.ports.map((port) => ({ host: '127.0.0.1', port })),
        prefix: store.prefix,
        waitForReplicas: store.waitForReplicas,
      });
    case 'redis-sentinel':
      return new RedisSessionStore({
        sentinels: [{ host: '127.0.0.1', port: store.sentinelPort }],
        sentinelName: store.masterName,
        prefix: store.prefix,
        waitForReplicas: store.waitForReplicas,
      });
    case 'postgres':
      return new PostgresSessionStore({
        connectionString: store.connectionString,
        table: store.table,
      });
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as ScaleAppConfig;
  @Module({
    imports: [SessionModule.forRoot({ secret: config.secret, store: storeFor(config) })],
    controllers: [ShopController],
  })
  class ShopModule {}

  const app: INestApplication =
    config.platform === 'fastify'
      ? await NestFactory.create(ShopModule, new FastifyAdapter(), { logger: ['error'] })
      : await NestFactory.create(ShopModule, { logger: ['error'] });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  process.stdout.write(`LISTENING ${address.port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`scale app failed to start: ${String(error)}\n`);
  process.exit(1);
});
