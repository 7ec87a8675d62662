import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import { runSessionStoreConformance } from '../../src/testing/session-store-conformance.js';
import { describeWithServer, REDIS_URL } from '../support/servers.js';
import { deleteKeys } from './support/redis-keys.js';

const describeRedis = await describeWithServer('redis');
// A prefix of its own per run, so runs (and other suites on the same server) never meet.
const prefix = `test:conformance:${randomUUID()}:`;

runSessionStoreConformance({
  name: 'redis (standalone)',
  describe: describeRedis,
  create: (clock) => new RedisSessionStore({ url: REDIS_URL, prefix, now: clock.now }),
  destroyAll: async () => {
    const client = new Redis(REDIS_URL);
    try {
      await deleteKeys(client, prefix);
    } finally {
      client.disconnect();
    }
  },
  nativeTtl: true,
});
