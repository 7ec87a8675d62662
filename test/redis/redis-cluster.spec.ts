import { afterAll, beforeAll, describe } from '@jest/globals';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import { runSessionStoreConformance } from '../../src/testing/session-store-conformance.js';
import {
  describeWithRedisBinaries,
  startRedisCluster,
  type RedisClusterProcesses,
} from './support/redis-processes.js';

// A three-master cluster of its own, started here and killed afterwards (its files removed).
const describeCluster = describeWithRedisBinaries('Redis Cluster');
let cluster: RedisClusterProcesses | undefined;

beforeAll(async () => {
  if (describeCluster === describe) cluster = await startRedisCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

runSessionStoreConformance({
  name: 'redis (cluster of 3 masters)',
  describe: describeCluster,
  create: (clock) =>
    new RedisSessionStore({
      clusterNodes: cluster!.ports.map((port) => ({ host: '127.0.0.1', port })),
      now: clock.now,
    }),
  nativeTtl: true,
});
