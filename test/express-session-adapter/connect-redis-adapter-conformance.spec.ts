import { randomUUID } from 'node:crypto';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { ExpressSessionStoreAdapter } from '../../src/stores/express-session/express-session-store-adapter.js';
import { runSessionStoreConformance } from '../../src/testing/session-store-conformance.js';
import { describeWithServer, REDIS_URL } from '../support/servers.js';

// A prefix of its own per run, every key under it deleted afterwards.
const prefix = `test:connect-redis:${randomUUID()}:`;
const client = createClient({ url: REDIS_URL });

runSessionStoreConformance({
  name: 'express-session adapter over connect-redis',
  describe: await describeWithServer('redis'),
  create: async (clock) => {
    client.on('error', () => undefined); // a failed call rejects; the event must not crash
    await client.connect();
    // connect-redis sets the key's TTL from `cookie.expires`: a TTL of the store's own.
    return new ExpressSessionStoreAdapter(new RedisStore({ client, prefix }), { now: clock.now });
  },
  destroyAll: async () => {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1_000 })) {
      if (keys.length > 0) await client.del(keys);
    }
    await client.close();
  },
  nativeTtl: true,
});
