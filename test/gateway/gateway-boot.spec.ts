import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { SessionModule } from '../../src/index.js';
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
