import { randomUUID } from 'node:crypto';
import { afterAll } from '@jest/globals';
import { Redis } from 'ioredis';
import { describeWithServer, REDIS_URL } from '../support/servers.js';
import { deleteKeys } from './support/redis-keys.js';
import { userIndexRoundTrips } from './support/user-index-round-trips.js';

const describeRedis = await describeWithServer('redis');
const prefix = `test:user-index:${randomUUID()}:`;

describeRedis('RedisSessionStore user index round trips (standalone)', () => {
  userIndexRoundTrips(() => new Redis(REDIS_URL), prefix);
  afterAll(async () => {
    const client = new Redis(REDIS_URL);
    await deleteKeys(client, prefix).finally(() => client.disconnect());
  });
});
