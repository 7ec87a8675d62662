import { describe, expect, it, jest } from '@jest/globals';

// @nestjs/websockets is an optional peer: only the `./gateway` entry imports it, so an app
// without it loads the core entry and keeps sessions on its HTTP routes.
jest.unstable_mockModule('@nestjs/websockets', () => {
  throw new Error("Cannot find package '@nestjs/websockets'");
});
jest.unstable_mockModule('@nestjs/websockets/constants.js', () => {
  throw new Error("Cannot find package '@nestjs/websockets'");
});

describe('the package without @nestjs/websockets installed', () => {
  it('loads its core entry and boots an app that keeps a session over HTTP', async () => {
    const { SessionModule, SessionStore, MemorySessionStore } = await import('../../src/index.js');
    const { Test } = await import('@nestjs/testing');
    const { FixtureController } = await import('../support/fixtures.js');
    const { SECRET } = await import('../support/session-app.js');
    const { Browser } = await import('../support/http-client.js');
    const moduleRef = await Test.createTestingModule({
      imports: [SessionModule.forRoot({ secret: SECRET })],
      controllers: [FixtureController],
    })
      .overrideProvider(SessionStore)
      .useValue(new MemorySessionStore())
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const browser = new Browser((await app.getUrl()).replace('[::1]', '127.0.0.1'));
      await browser.post('/cart', { sku: 'apple', quantity: 1 });
      expect((await browser.get('/cart')).body.items).toEqual([{ sku: 'apple', quantity: 1 }]);
    } finally {
      await app.close();
    }
  });

  it('fails to load only the gateway entry, naming the missing package', async () => {
    await expect(import('../../src/gateway/index.js')).rejects.toThrow(/@nestjs\/websockets/);
  });
});
