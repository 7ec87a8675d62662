import { afterAll, beforeAll, describe } from '@jest/globals';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import { runSessionStoreConformance } from '../../src/testing/session-store-conformance.js';
import {
  describeWithRedisBinaries,
  startRedisSentinel,
  type RedisSentinelProcesses,
} from './support/redis-processes.js';

// A master and one sentinel of their own; the store finds the master through the sentinel.
const describeSentinel = describeWithRedisBinaries('Redis Sentinel');
let sentinel: RedisSentinelProcesses | undefined;

beforeAll(async () => {
  if (describeSentinel === describe) sentinel = await startRedisSentinel();
}, 30_000);
afterAll(async () => {
  await sentinel?.stop();
});

runSessionStoreConformance({
  name: 'redis (sentinel)',
  describe: describeSentinel,
  create: (clock) =>
    new RedisSessionStore({
      sentinels: [{ host: '127.0.0.1', port: sentinel!.sentinelPort }],
      sentinelName: sentinel!.masterName,
      now: clock.now,
    }),
  nativeTtl: true,
});
