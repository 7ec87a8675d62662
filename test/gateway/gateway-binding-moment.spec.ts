import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { WsContextCreator } from '@nestjs/websockets/context/ws-context-creator.js';
import { hasDeferredSessionResolver } from '../../src/http/deferred-session-param.js';
import { SessionModule } from '../../src/index.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS } from '../support/platforms.js';
import { CartGateway } from './support/cart-gateway.js';
import { startGatewayApp, type GatewayApp } from './support/gateway-app.js';

/**
 * Nest connects gateways in `NestApplication.init()` → `registerModules()` → `registerWsModule()`,
 * which hands each handler function to `WsContextCreator.create()` (parameters, guards, pipes are
 * read there, once). That is before `registerModules()` runs middleware's `configure()`, where
 * `SessionModule` binds the HTTP routes: so gateway handlers are bound earlier, when providers
 * are instantiated.
 */
describe.each(PLATFORMS)('when gateway handlers are bound (%s)', (platform) => {
  let running: GatewayApp | undefined;

  afterEach(async () => {
    jest.restoreAllMocks();
    await running?.close();
  });

  it('Nest reads gateway handlers before SessionModule.configure(), and finds them bound', async () => {
    const events: string[] = [];
    const create = WsContextCreator.prototype.create;
    jest.spyOn(WsContextCreator.prototype, 'create').mockImplementation(function (
      this: WsContextCreator,
      ...args: Parameters<WsContextCreator['create']>
    ) {
      const [instance, callback, , methodName] = args;
      if (instance instanceof CartGateway && methodName === 'view') {
        events.push(`gateway handler read (bound: ${hasDeferredSessionResolver(callback)})`);
      }
      return create.apply(this, args);
    });
    const configure = SessionModule.prototype.configure;
    jest.spyOn(SessionModule.prototype, 'configure').mockImplementation(function (
      this: SessionModule,
      ...args: Parameters<SessionModule['configure']>
    ) {
      events.push('SessionModule.configure()');
      return configure.apply(this, args);
    });

    running = await startGatewayApp(platform, 'socket.io');

    expect(events).toEqual(['gateway handler read (bound: true)', 'SessionModule.configure()']);
    // And the handler Nest kept works: the session comes with the message.
    const browser = new Browser(running.url);
    await browser.post('/login', { user: 'ada' });
    const socket = await running.connect(browser.cookie);
    expect(await socket.send('whoami')).toEqual({ reply: { user: 'ada', isNew: false } });
  });
});
