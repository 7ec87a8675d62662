import { describe, expect, it } from '@jest/globals';
import { Body, Controller, HttpCode, Injectable, Module, Post, Get } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  MemorySessionStore,
  Session,
  SessionHandle,
  SessionModule,
  SessionStore,
  type SessionModuleOptions,
} from '../../src/index.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS, startApp } from '../support/platforms.js';
import { ProbeStore } from '../support/probe-store.js';

const SECRET = 'module-test-secret-module-test-secret';

@Controller()
class CounterController {
  @Post('count')
  @HttpCode(200)
  count(@Session() session: SessionHandle) {
    const next = (session.get<number>('n') ?? 0) + 1;
    session.set('n', next);
    return { n: next };
  }

  @Post('cyclic')
  @HttpCode(200)
  cyclic(@Session() session: SessionHandle, @Body() _body: unknown) {
    const value: Record<string, unknown> = {};
    value.self = value;
    try {
      session.set('bad', value);
      return { refused: false };
    } catch (error) {
      return { refused: true, message: (error as Error).message };
    }
  }

  @Get('has')
  has(@Session() session: SessionHandle) {
    return { keys: session.keys() };
  }
}

@Injectable()
class SessionConfig {
  createSessionOptions(): SessionModuleOptions {
    return { secret: SECRET, cookie: { name: 'from-class' } };
  }
}

@Module({ providers: [SessionConfig], exports: [SessionConfig] })
class ConfigModule {}

describe.each(PLATFORMS)('SessionModule on %s', (platform) => {
  it('overrideProvider(SessionStore).useValue(...) swaps the store in a test module', async () => {
    const store = new ProbeStore();
    const app = await startApp(
      platform,
      { imports: [SessionModule.forRoot({ secret: SECRET })], controllers: [CounterController] },
      (builder) => builder.overrideProvider(SessionStore).useValue(store),
    );
    try {
      const browser = new Browser(app.url);
      await browser.post('/count');
      expect((await browser.post('/count')).body).toEqual({ n: 2 });
      expect(store.calls.set).toBe(2);
      expect(store.inner.size).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('forRootAsync with useFactory and inject', async () => {
    const store = new MemorySessionStore();
    const app = await startApp(platform, {
      imports: [
        SessionModule.forRootAsync({
          imports: [ConfigModule],
          inject: [SessionConfig],
          useFactory: (config: SessionConfig) => ({ ...config.createSessionOptions(), store }),
        }),
      ],
      controllers: [CounterController],
    });
    try {
      const browser = new Browser(app.url, 'from-class');
      await browser.post('/count');
      expect(browser.cookie).toBeDefined();
      expect(store.size).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('forRootAsync with useClass and with useExisting', async () => {
    for (const options of [
      { useClass: SessionConfig },
      { imports: [ConfigModule], useExisting: SessionConfig },
    ]) {
      const app = await startApp(platform, {
        imports: [SessionModule.forRootAsync(options)],
        controllers: [CounterController],
      });
      try {
        const browser = new Browser(app.url, 'from-class');
        expect((await browser.post('/count')).body).toEqual({ n: 1 });
        expect((await browser.post('/count')).body).toEqual({ n: 2 });
      } finally {
        await app.close();
      }
    }
  });

  it('a value that is not JSON-serialisable is refused at set() with a clear error', async () => {
    const app = await startApp(platform, {
      imports: [SessionModule.forRoot({ secret: SECRET })],
      controllers: [CounterController],
    });
    try {
      const browser = new Browser(app.url);
      const reply = await browser.post('/cyclic', {});
      expect(reply.body.refused).toBe(true);
      expect(reply.body.message).toContain("session.set('bad'): value is not JSON-serialisable");
      expect((await browser.get('/has')).body.keys).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('closes the store when the application shuts down', async () => {
    const store = new ProbeStore();
    let closed = false;
    const close = store.close.bind(store);
    store.close = async () => {
      closed = true;
      await close();
    };
    const app = await startApp(platform, {
      imports: [SessionModule.forRoot({ secret: SECRET, store })],
      controllers: [CounterController],
    });
    app.app.enableShutdownHooks();
    await app.close();
    expect(closed).toBe(true);
  });
});

describe('SessionModule boot', () => {
  it('a bad option fails the boot with a message naming the option', async () => {
    await expect(
      Test.createTestingModule({
        imports: [SessionModule.forRoot({ secret: 'too short' })],
      }).compile(),
    ).rejects.toThrow(/SessionModule option "secret" must be at least 32 characters/);
    await expect(
      Test.createTestingModule({
        imports: [
          SessionModule.forRootAsync({
            useFactory: () => ({ secret: SECRET, cookie: { sameSite: 'loose' as never } }),
          }),
        ],
      }).compile(),
    ).rejects.toThrow(/"cookie.sameSite"/);
  });
});
