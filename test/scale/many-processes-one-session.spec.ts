import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { dropTables, testPool, uniqueName } from '../postgres/postgres-test-db.js';
import {
  describeWithRedisBinaries,
  startRedisCluster,
  type RedisClusterProcesses,
} from '../redis/support/redis-processes.js';
import { DATABASE_URL, describeWithServer } from '../support/servers.js';
import {
  compileScaleBuild,
  startAppProcesses,
  type AppProcess,
  type ScaleBuild,
} from './support/app-processes.js';
import { oneSessionAcrossProcesses } from './support/one-session-scenarios.js';

/**
 * Scale-out: four app processes of their own (two on Express, two on Fastify, each a separate
 * Node process on its own loopback port) share one store, and a session is one truth across
 * them. Once on a private Redis Cluster of three masters with a replica each, once on
 * PostgreSQL. Every process and server started here is stopped by PID afterwards, also on failure.
 */
const SECRET = 'scale-out-test-secret-0123456789abcdef';
const PROCESSES = 4;
const describeCluster = describeWithRedisBinaries('Redis Cluster (scale-out)');
const describePostgres = await describeWithServer('postgres');

let building: Promise<ScaleBuild> | undefined;
/** The app is compiled once, for whichever suites run. */
const build = () => (building ??= compileScaleBuild());
afterAll(async () => {
  (await building?.catch(() => undefined))?.remove();
});

describeCluster('4 app processes on a Redis Cluster of 3 masters and 3 replicas', () => {
  let cluster: RedisClusterProcesses | undefined;
  let apps: AppProcess[] = [];

  beforeAll(async () => {
    const [{ appEntry }, started] = await Promise.all([
      build(),
      startRedisCluster({ replicas: 1 }),
    ]);
    cluster = started;
    apps = await startAppProcesses(appEntry, PROCESSES, {
      secret: SECRET,
      // The three masters as start-up nodes; the client learns the replicas from them.
      store: { kind: 'redis-cluster', ports: started.ports.slice(0, 3), prefix: 'scale:' },
    });
  }, 150_000);
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await cluster?.stop();
  }, 30_000);

  it('runs 4 separate processes, on both platforms, over 6 cluster nodes', () => {
    expect(new Set(apps.map((app) => app.pid)).size).toBe(PROCESSES);
    expect(apps.map((app) => app.platform).sort()).toEqual([
      'express',
      'express',
      'fastify',
      'fastify',
    ]);
    expect(cluster!.ports).toHaveLength(6);
  });

  oneSessionAcrossProcesses(() => apps);
});

describePostgres('4 app processes on PostgreSQL', () => {
  const table = uniqueName('scale_sessions');
  let apps: AppProcess[] = [];

  beforeAll(async () => {
    const { appEntry } = await build();
    apps = await startAppProcesses(appEntry, PROCESSES, {
      secret: SECRET,
      store: { kind: 'postgres', connectionString: DATABASE_URL, table },
    });
  }, 150_000);
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    const pool = testPool();
    await dropTables(pool, table);
    await pool.end();
  }, 30_000);

  oneSessionAcrossProcesses(() => apps);
});
