import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
// Types only: `npm run scale` loads this file outside Jest, where @jest/globals cannot load.
import type { describe as JestDescribe } from '@jest/globals';

const run = promisify(execFile);

/**
 * Private Redis servers that a test starts, on spare loopback ports, in a temporary directory,
 * with nothing persisted; and stops again, also when the test fails or the process exits.
 */
export interface RedisProcess {
  readonly port: number;
  readonly pid: number;
  /** Kill it (SIGKILL: nothing is saved) and wait until it is gone. Safe to call twice. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * `describe` when the redis-server and redis-cli binaries are there, else a skip (CI: fail).
 * Jest's global `describe`, not an import of @jest/globals: `npm run scale` loads this file
 * outside Jest to start its servers.
 */
export function describeWithRedisBinaries(what: string): typeof JestDescribe {
  // The same function as @jest/globals' `describe`, reached through Jest's injected global.
  const describe = globalThis.describe as unknown as typeof JestDescribe;
  const found = ['redis-server', 'redis-cli'].every(
    (binary) => spawnSync(binary, ['--version']).status === 0,
  );
  if (found) return describe;
  const message = `redis-server / redis-cli are not on PATH, needed to start ${what}`;
  if (process.env.CI === 'true') throw new Error(`${message}; CI=true requires them`);
  process.stderr.write(`\nSKIPPED ${what} suites: ${message}\n`);
  return describe.skip as typeof JestDescribe;
}

/** A temporary directory for server files; remove it with `removeDir`. */
export function makeTempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `nts-${label}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A loopback port in 30000–31999 that nothing listens on, nor on the cluster bus port
 * (port + 10000), so the same pick works for cluster nodes.
 */
export async function sparePort(taken: number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 30_000 + Math.floor(Math.random() * 2_000);
    if (taken.includes(port)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
  throw new Error('no spare loopback port found in 30000-31999');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Start `redis-server` (or a sentinel, with `--sentinel` among `args`) and wait for PING. */
export async function startRedisServer(
  port: number,
  dir: string,
  args: string[] = [],
  config?: string,
): Promise<RedisProcess> {
  const configArgs: string[] = [];
  if (config !== undefined) {
    const file = join(dir, `redis-${port}.conf`);
    writeFileSync(file, config);
    configArgs.push(file);
  }
  const child = spawn(
    'redis-server',
    [
      ...configArgs,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      ...args,
    ],
    { stdio: 'ignore' },
  );
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const handle: RedisProcess = {
    port,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      running.delete(child);
    },
  };
  try {
    await waitFor(
      async () => (await redisCli(port, 'PING')) === 'PONG',
      10_000,
      `redis on ${port}`,
    );
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}

/** One redis-cli command against a loopback port; its trimmed output, or '' if it failed. */
export async function redisCli(port: number, ...command: string[]): Promise<string> {
  try {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...command], {
      timeout: 5_000,
    });
    return stdout.trim();
  } catch {
    return '';
  }
}

export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A running cluster of three masters (and their replicas, if asked for) on loopback. */
export interface RedisClusterProcesses {
  /** Every node's port; the first three were created as masters. */
  readonly ports: number[];
  /** The servers, by port, e.g. to kill one (`stop()` is SIGKILL). */
  readonly nodes: ReadonlyMap<number, RedisProcess>;
  /** Start a killed node again on its port with its cluster config (it rejoins as a replica). */
  restart(port: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisClusterSettings {
  /** Replicas per master (`--cluster-replicas`). Default 0: three masters only. */
  replicas?: number;
  /** `cluster-node-timeout`: how long a silent master has before its replica takes over. */
  nodeTimeoutMs?: number;
}

/**
 * Start three cluster-enabled masters (plus `replicas` replicas each), join them with
 * `redis-cli --cluster create`, and wait until every node says the cluster is ok and every replica
 * is in sync with its master.
 */
export async function startRedisCluster(
  settings: RedisClusterSettings = {},
): Promise<RedisClusterProcesses> {
  const replicas = settings.replicas ?? 0;
  const dir = makeTempDir('cluster');
  const nodes = new Map<number, RedisProcess>();
  const stop = async () => {
    await Promise.all([...nodes.values()].map((node) => node.stop()));
    removeDir(dir);
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3 * (1 + replicas); i++) ports.push(await sparePort(ports));
    const timeout =
      settings.nodeTimeoutMs === undefined
        ? []
        : ['--cluster-node-timeout', String(settings.nodeTimeoutMs)];
    const argsOf = (port: number) => {
      const configFile = join(dir, `nodes-${port}.conf`);
      return ['--cluster-enabled', 'yes', '--cluster-config-file', configFile, ...timeout];
    };
    for (const port of ports) nodes.set(port, await startRedisServer(port, dir, argsOf(port)));
    const restart = async (port: number) => {
      await nodes.get(port)?.stop();
      nodes.set(port, await startRedisServer(port, dir, argsOf(port)));
    };
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    for (const port of ports) {
      await waitFor(
        async () => {
          const info = await redisCli(port, 'CLUSTER', 'INFO');
          if (!info.includes('cluster_state:ok')) return false;
          const role = await redisCli(port, 'INFO', 'replication');
          return role.includes('role:master') || role.includes('master_link_status:up');
        },
        30_000,
        `cluster_state:ok and replication on ${port}`,
      );
    }
    return { ports, nodes, restart, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A master (and a replica, if asked for) and one sentinel watching it, on loopback. */
export interface RedisSentinelProcesses {
  readonly masterPort: number;
  /** The replica's port, when one was asked for. */
  readonly replicaPort?: number;
  readonly sentinelPort: number;
  readonly masterName: string;
  /** The servers, by port, e.g. to kill the master (`stop()` is SIGKILL). */
  readonly servers: ReadonlyMap<number, RedisProcess>;
  /**
   * Start a killed data server again on its port, empty and on its own; the sentinel makes it a
   * replica of whichever server is master now.
   */
  restart(port: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisSentinelSettings {
  /** Start a replica of the master too, for the sentinel to promote. Default false. */
  replica?: boolean;
  /** `down-after-milliseconds`: how long a silent master has before it counts as down. */
  downAfterMs?: number;
}

export async function startRedisSentinel(
  masterName = 'sessions',
  settings: RedisSentinelSettings = {},
): Promise<RedisSentinelProcesses> {
  const dir = makeTempDir('sentinel');
  const servers = new Map<number, RedisProcess>();
  const stop = async () => {
    await Promise.all([...servers.values()].map((server) => server.stop()));
    removeDir(dir);
  };
  try {
    const masterPort = await sparePort();
    const replicaPort = settings.replica ? await sparePort([masterPort]) : undefined;
    const sentinelPort = await sparePort(replicaPort ? [masterPort, replicaPort] : [masterPort]);
    servers.set(masterPort, await startRedisServer(masterPort, dir));
    if (replicaPort !== undefined) {
      const follow = ['--replicaof', '127.0.0.1', String(masterPort)];
      servers.set(replicaPort, await startRedisServer(replicaPort, dir, follow));
      await waitFor(
        async () => (await redisCli(replicaPort, 'INFO', 'replication')).includes('link_status:up'),
        10_000,
        'the replica to sync with its master',
      );
    }
    // A sentinel rewrites its config file, so it must be a file of its own.
    const config = [
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${masterName} ${settings.downAfterMs ?? 5000}`,
      `sentinel failover-timeout ${masterName} 10000`,
      '',
    ].join('\n');
    servers.set(sentinelPort, await startRedisServer(sentinelPort, dir, ['--sentinel'], config));
    await waitFor(
      async () =>
        (await redisCli(sentinelPort, 'SENTINEL', 'get-master-addr-by-name', masterName)).includes(
          String(masterPort),
        ),
      10_000,
      'the sentinel to know its master',
    );
    const restart = async (port: number) => {
      await servers.get(port)?.stop();
      servers.set(port, await startRedisServer(port, dir));
    };
    return { masterPort, replicaPort, sentinelPort, masterName, servers, restart, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
