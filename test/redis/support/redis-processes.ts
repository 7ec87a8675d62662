import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe } from '@jest/globals';

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

/** `describe` when the redis-server and redis-cli binaries are there, else a skip (CI: fail). */
export function describeWithRedisBinaries(what: string): typeof describe {
  const found = ['redis-server', 'redis-cli'].every(
    (binary) => spawnSync(binary, ['--version']).status === 0,
  );
  if (found) return describe;
  const message = `redis-server / redis-cli are not on PATH, needed to start ${what}`;
  if (process.env.CI === 'true') throw new Error(`${message}; CI=true requires them`);
  process.stderr.write(`\nSKIPPED ${what} suites: ${message}\n`);
  return describe.skip as typeof describe;
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

/** A running three-master cluster on loopback. */
export interface RedisClusterProcesses {
  readonly ports: number[];
  stop(): Promise<void>;
}

/** Start three cluster-enabled masters, join them with `redis-cli --cluster create`, wait for ok. */
export async function startRedisCluster(): Promise<RedisClusterProcesses> {
  const dir = makeTempDir('cluster');
  const nodes: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    removeDir(dir);
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) ports.push(await sparePort(ports));
    for (const port of ports) {
      const configFile = join(dir, `nodes-${port}.conf`);
      nodes.push(
        await startRedisServer(port, dir, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          configFile,
        ]),
      );
    }
    await run(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-yes'],
      { timeout: 20_000 },
    );
    for (const port of ports) {
      await waitFor(
        async () => (await redisCli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
        20_000,
        `cluster_state:ok on ${port}`,
      );
    }
    return { ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A master and one sentinel watching it, on loopback. */
export interface RedisSentinelProcesses {
  readonly masterPort: number;
  readonly sentinelPort: number;
  readonly masterName: string;
  stop(): Promise<void>;
}

export async function startRedisSentinel(masterName = 'sessions'): Promise<RedisSentinelProcesses> {
  const dir = makeTempDir('sentinel');
  const started: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(started.map((server) => server.stop()));
    removeDir(dir);
  };
  try {
    const masterPort = await sparePort();
    const sentinelPort = await sparePort([masterPort]);
    started.push(await startRedisServer(masterPort, dir));
    // A sentinel rewrites its config file, so it must be a file of its own.
    const config = [
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${masterName} 5000`,
      '',
    ].join('\n');
    started.push(await startRedisServer(sentinelPort, dir, ['--sentinel'], config));
    await waitFor(
      async () =>
        (await redisCli(sentinelPort, 'SENTINEL', 'get-master-addr-by-name', masterName)).includes(
          String(masterPort),
        ),
      10_000,
      'the sentinel to know its master',
    );
    return { masterPort, sentinelPort, masterName, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
