import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster } from 'ioredis';
import type { StoreExpiry } from '../../src/store/session-expiry.js';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import { runSessionStoreConformance } from '../../src/testing/session-store-conformance.js';
import {
  describeWithRedisBinaries,
  redisCli,
  waitFor,
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

// Keyspace notifications are per node: the store subscribes on every master, and follows a
// failover to the promoted replica. The cluster was started without the setting:
// `expiryEvents: 'enable'` turns it on at each master it subscribes to.
describeCluster('RedisSessionStore expiry events on a cluster', () => {
  let store: RedisSessionStore;
  const reports: StoreExpiry[] = [];
  let stop: () => void;
  beforeAll(() => {
    store = new RedisSessionStore({
      clusterNodes: clusterNodes(),
      prefix: 'expiry:',
      expiryEvents: 'enable',
    });
    stop = store.onExpired((report) => reports.push(report));
  });
  afterAll(async () => {
    stop();
    await store.close();
  });

  const masterPorts = async () =>
    (await store.expiryEvents()).nodes.map((node) => Number(node.node.split(':')[1])).sort();
  /** Sessions with random ids, so spread over every master's slots; all reported once expired. */
  const expireSessions = async (count: number) => {
    const ids = Array.from({ length: count }, () => randomUUID());
    const now = Date.now();
    const metadata = {
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: now + 200,
      absoluteExpiresAt: null,
    };
    for (const id of ids)
      await store.set(id, { mode: 'create', metadata, set: { a: '1' }, remove: [] });
    await waitFor(
      async () => ids.every((id) => reports.some((report) => report.key === id)),
      15_000,
      `reports of ${count} sessions`,
    );
    return ids;
  };

  it('subscribes on every master, turning the setting on, and hears sessions expire on each', async () => {
    const state = await store.expiryEvents();
    expect(state.subscribed).toBe(true);
    expect(state.nodes).toHaveLength(3);
    expect(state.nodes.every((node) => node.enabled)).toBe(true);
    const ids = await expireSessions(60);
    const slotsOwners = new Set(await Promise.all(ids.map((id) => ownerOf(`expiry:{${id}}`))));
    expect(slotsOwners.size).toBe(3); // the sessions did land on all three masters
  }, 30_000);

  it('follows a failover: the promoted replica gets a subscriber, the demoted master loses it', async () => {
    const before = await masterPorts();
    const replica = cluster!.ports.find((port) => !before.includes(port))!;
    expect(await redisCli(replica, 'CLUSTER', 'FAILOVER')).toBe('OK');
    await waitFor(
      async () => (await masterPorts()).includes(replica) && (await masterPorts()).length === 3,
      20_000,
      'the store to subscribe on the promoted replica',
    );
    const after = await masterPorts();
    expect(after).toContain(replica);
    expect(after.filter((port) => before.includes(port))).toHaveLength(2);
    await expireSessions(60);
  }, 60_000);
});

/** The port of the master that serves `key`'s slot. */
async function ownerOf(key: string): Promise<number> {
  const slot = Number(await redisCli(cluster!.ports[0]!, 'CLUSTER', 'KEYSLOT', key));
  const shards = await redisCli(cluster!.ports[0]!, 'CLUSTER', 'SLOTS');
  const lines = shards.split('\n');
  // redis-cli prints each range as: start, end, master ip, master port, master id, ...
  for (let i = 0; i + 3 < lines.length; i++) {
    const start = Number(lines[i]);
    const end = Number(lines[i + 1]);
    if (lines[i + 2] === '127.0.0.1' && slot >= start && slot <= end && Number.isInteger(start)) {
      return Number(lines[i + 3]);
    }
  }
  throw new Error(`no owner found for slot ${slot}`);
}
