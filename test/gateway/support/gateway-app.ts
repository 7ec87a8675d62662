import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { SessionGatewayModule } from '../../../src/gateway/index.js';
import { SessionModule, SessionStore, type SessionModuleOptions } from '../../../src/index.js';
import { TestClock } from '../../../src/testing/test-clock.js';
import { FixtureController } from '../../support/fixtures.js';
import { GatedStore } from '../../support/gated-store.js';
import type { Platform } from '../../support/platforms.js';
import { ProbeStore } from '../../support/probe-store.js';
import { SECRET } from '../../support/session-app.js';
import { CartGateway, SessionReadingGuard } from './cart-gateway.js';

export type Transport = 'socket.io' | 'ws';
export const TRANSPORTS: Transport[] = ['socket.io', 'ws'];

export interface GatewayApp {
  app: INestApplication;
  url: string;
  /** Counts calls and fails on demand (`probe.failing`); `gated` can hold a call. */
  probe: ProbeStore;
  gated: GatedStore;
  connect(cookie?: string): Promise<GatewayClient>;
  close(): Promise<void>;
}

/** The HTTP fixture routes and `CartGateway` on one platform and one WebSocket adapter. */
export async function startGatewayApp(
  platform: Platform,
  transport: Transport,
  options: Partial<SessionModuleOptions> = {},
  metadata: ModuleMetadata = {},
): Promise<GatewayApp> {
  const clock = new TestClock();
  const probe = new ProbeStore(clock.now);
  const gated = new GatedStore(probe);
  const moduleRef = await Test.createTestingModule({
    imports: [
      SessionModule.forRoot({ secret: SECRET, clock: clock.now, ...options }),
      SessionGatewayModule,
    ],
    controllers: [FixtureController],
    providers: [CartGateway, SessionReadingGuard],
    ...metadata,
  })
    .overrideProvider(SessionStore)
    .useValue(gated)
    .compile();
  const app: INestApplication =
    platform === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
          logger: false,
        })
      : moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
  app.useWebSocketAdapter(transport === 'ws' ? new WsAdapter(app) : new IoAdapter(app));
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const clients: GatewayClient[] = [];
  return {
    app,
    url,
    probe,
    gated,
    async connect(cookie) {
      const client = await (transport === 'ws'
        ? WsClient.open(url, cookie)
        : SocketIoClient.open(url, cookie));
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.close();
      await app.close();
    },
  };
}

/** What a message got back: the handler's result, or Nest's `exception` event. */
export type Outcome = { reply: any } | { exception: any };

export interface GatewayClient {
  /**
   * Send one message and wait for its result or its exception. `accepts` picks this message's
   * frame when several are in flight on a `ws` socket (frames carry no message id).
   */
  send(event: string, data?: unknown, accepts?: (outcome: Outcome) => boolean): Promise<Outcome>;
  /** Send one message that gets no answer. */
  fire(event: string, data?: unknown): void;
  close(): void;
}

function cookieHeader(cookie: string | undefined): Record<string, string> {
  return cookie ? { cookie: `sid=${cookie}` } : {};
}

/** socket.io: the result comes back as the ack; an exception as the `exception` event. */
class SocketIoClient implements GatewayClient {
  private constructor(private readonly socket: Socket) {}

  static open(url: string, cookie?: string): Promise<SocketIoClient> {
    const socket = io(url, {
      // socket.io's default, as in a browser: long polling first (the handshake), then upgrade.
      extraHeaders: cookieHeader(cookie),
      reconnection: false,
      forceNew: true,
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new SocketIoClient(socket)));
      socket.once('connect_error', reject);
    });
  }

  send(event: string, data?: unknown): Promise<Outcome> {
    return new Promise((resolve) => {
      const onException = (exception: unknown) => resolve({ exception });
      this.socket.once('exception', onException);
      this.socket.emit(event, data ?? {}, (reply: unknown) => {
        this.socket.off('exception', onException);
        resolve({ reply });
      });
    });
  }

  fire(event: string, data?: unknown): void {
    this.socket.emit(event, data ?? {});
  }

  close(): void {
    this.socket.close();
  }
}

/** ws: one frame back per message, the result or `{ event: 'exception', data }`. */
class WsClient implements GatewayClient {
  private readonly waiting: Array<{
    resolve: (outcome: Outcome) => void;
    accepts: (outcome: Outcome) => boolean;
  }> = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (frame) => {
      const parsed = JSON.parse(String(frame));
      const outcome: Outcome =
        parsed?.event === 'exception' ? { exception: parsed.data } : { reply: parsed };
      const index = this.waiting.findIndex((waiter) => waiter.accepts(outcome));
      if (index >= 0) this.waiting.splice(index, 1)[0].resolve(outcome);
    });
  }

  static open(url: string, cookie?: string): Promise<WsClient> {
    const socket = new WebSocket(url.replace('http', 'ws'), { headers: cookieHeader(cookie) });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('error', reject);
    });
  }

  send(
    event: string,
    data?: unknown,
    accepts: (outcome: Outcome) => boolean = () => true,
  ): Promise<Outcome> {
    return new Promise((resolve) => {
      this.waiting.push({ resolve, accepts });
      this.socket.send(JSON.stringify({ event, data: data ?? {} }));
    });
  }

  fire(event: string, data?: unknown): void {
    this.socket.send(JSON.stringify({ event, data: data ?? {} }));
  }

  close(): void {
    this.socket.close();
  }
}
