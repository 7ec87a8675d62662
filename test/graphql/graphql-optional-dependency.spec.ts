import { describe, expect, it, jest } from '@jest/globals';

// The GraphQL packages are optional peers: the core reads @nestjs/graphql's metadata keys and a
// resolver's arguments without importing anything of it, so an app without them boots and runs.
const GRAPHQL_PACKAGES = [
  '@nestjs/graphql',
  '@nestjs/apollo',
  '@nestjs/mercurius',
  '@apollo/server',
  'mercurius',
  'graphql',
];
for (const name of GRAPHQL_PACKAGES) {
  jest.unstable_mockModule(name, () => {
    throw new Error(`Cannot find package '${name}'`);
  });
}

const { Browser } = await import('../support/http-client.js');
const { PLATFORMS } = await import('../support/platforms.js');

describe.each(PLATFORMS)('an app without the GraphQL packages installed, on %s', (platform) => {
  it('cannot load them here', async () => {
    for (const name of GRAPHQL_PACKAGES) {
      await expect(import(name)).rejects.toThrow(`Cannot find package '${name}'`);
    }
  });

  it('boots with SessionModule and keeps a session over HTTP', async () => {
    const { startSessionApp } = await import('../support/session-app.js');
    const app = await startSessionApp(platform);
    try {
      const browser = new Browser(app.url);
      expect((await browser.post('/cart', { sku: 'tea', quantity: 1 })).status).toBe(201);
      expect((await browser.get('/cart')).body.items).toEqual([{ sku: 'tea', quantity: 1 }]);
    } finally {
      await app.close();
    }
  });
});
