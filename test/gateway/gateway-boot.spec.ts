import { describe, expect, it } from '@jest/globals';
import { Injectable, Scope } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { SessionGatewayModule } from '../../src/gateway/index.js';
import { Session, SessionHandle, SessionLock, SessionModule } from '../../src/index.js';
import { PLATFORMS } from '../support/platforms.js';
import { SECRET } from '../support/session-app.js';
import { CartGateway } from './support/cart-gateway.js';

describe.each(PLATFORMS)('booting a gateway that uses the session (%s)', (platform) => {
  it('fails without SessionGatewayModule, naming the handlers and the fix', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SessionModule.forRoot({ secret: SECRET })],
      providers: [CartGateway],
    }).compile();
    const app =
      platform === 'fastify'
        ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
        : moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new IoAdapter(app));
    await expect(app.init()).rejects.toThrow(
      /CartGateway\.view\(\).*use @Session\(\) in a WebSocket gateway: import SessionGatewayModule from 'nestjs-typed-session\/gateway'/,
    );
    await app.close();
  });
});

@WebSocketGateway()
class LockingGateway {
  @SubscribeMessage('locked')
  @SessionLock()
  locked(@Session() session: SessionHandle) {
    return session.id;
  }
}

@Injectable({ scope: Scope.REQUEST })
@WebSocketGateway()
class RequestScopedGateway {
  @SubscribeMessage('whoami')
  whoami(@Session({ readonly: true }) session: SessionHandle) {
    return session.id;
  }
}

describe('gateway handlers the session module refuses at start-up', () => {
  async function boot(gateway: new () => object) {
    const moduleRef = await Test.createTestingModule({
      imports: [SessionModule.forRoot({ secret: SECRET }), SessionGatewayModule],
      providers: [gateway],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  it('@SessionLock() on a gateway handler, naming it', async () => {
    await expect(boot(LockingGateway)).rejects.toThrow(
      'LockingGateway.locked(): @SessionLock() is not supported on gateway handlers',
    );
  });

  it('a request-scoped gateway, naming it', async () => {
    await expect(boot(RequestScopedGateway)).rejects.toThrow(
      'RequestScopedGateway: @Session() works in gateways of the default (singleton) scope only',
    );
  });
});
