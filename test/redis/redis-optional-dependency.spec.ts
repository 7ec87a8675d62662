import { describe, expect, it, jest } from '@jest/globals';

// ioredis is an optional peer dependency: loading the store's modules must not need it, and a
// store that needs it must say so when used, not crash at import time.
jest.unstable_mockModule('ioredis', () => {
  throw new Error("Cannot find package 'ioredis'");
});

describe('RedisSessionStore without ioredis installed', () => {
  it('loads, and rejects with a message naming the package when it is first used', async () => {
    const { RedisSessionStore } = await import('../../src/stores/redis/redis-session-store.js');
    const store = new RedisSessionStore({ url: 'redis://127.0.0.1:1' });
    await expect(store.get('id')).rejects.toThrow(/needs the 'ioredis' package/);
    await store.close();
  });
});
