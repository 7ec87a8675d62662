import { afterAll, beforeAll, describe } from '@jest/globals';
import { Cluster } from 'ioredis';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import { runSessionStoreConformance } from '../../src/testing/session-store-conformance.js';
import {
  describeWithRedisBinaries,
  startRedisCluster,
  type RedisClusterProcesses,
} from './support/redis-processes.js';
import { userIndexRoundTrips } from './support/user-index-round-trips.js';

// A cluster of its own, three masters with a replica each, started here and killed afterwards
// (its files removed).
const describeCluster = describeWithRedisBinaries('Redis Cluster');
let cluster: RedisClusterProcesses | undefined;

beforeAll(async () => {
  if (describeCluster === describe) cluster = await startRedisCluster({ replicas: 1 });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

// The masters as start-up nodes; the client learns the replicas from them.
const clusterNodes = () => cluster!.ports.slice(0, 3).map((port) => ({ host: '127.0.0.1', port }));

runSessionStoreConformance({
  name: 'redis (cluster of 3 masters)',
  describe: describeCluster,
  create: (clock) =>
    new RedisSessionStore({ clusterNodes: clusterNodes(), prefix: 'plain:', now: clock.now }),
  nativeTtl: true,
});

// Every commit and destroy pipelined with WAIT on the node that owns the session's slot.
runSessionStoreConformance({
  name: 'redis (cluster of 3 masters, waitForReplicas: 1)',
  describe: describeCluster,
  create: (clock) =>
    new RedisSessionStore({
      clusterNodes: clusterNodes(),
      prefix: 'durable:',
      now: clock.now,
      waitForReplicas: { replicas: 1, timeoutMs: 500 },
    }),
  nativeTtl: true,
});

// The sessions of one user lie in many slots (nodes); their index in the user's own slot.
describeCluster('RedisSessionStore user index round trips (cluster of 3 masters)', () => {
  userIndexRoundTrips(() => new Cluster(clusterNodes()), 'users:');
});
