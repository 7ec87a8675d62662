import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ScaleAppConfig } from './scale-app-config.js';

const run = promisify(execFile);

/**
 * The scale app compiled from the current sources into a private directory (not `dist/`, which
 * other work rebuilds and re-lays out meanwhile). It lies under node_modules/.cache so that the
 * app's imports of Nest, ioredis and pg resolve to the repository's own node_modules.
 */
export interface ScaleBuild {
  /** The compiled scale-app.js to start with node. */
  readonly appEntry: string;
  readonly dir: string;
  remove(): void;
}

export async function compileScaleBuild(repo = process.cwd()): Promise<ScaleBuild> {
  const dir = join(
    resolve(repo),
    'node_modules',
    '.cache',
    'nts-scale',
    `${process.pid}-${Date.now().toString(36)}`,
  );
  mkdirSync(dir, { recursive: true });
  // The emitted files are ES modules; node_modules/ above carries no "type" of its own.
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    await run(
      process.execPath,
      [
        join(repo, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        join(repo, 'test', 'scale', 'tsconfig.json'),
        '--outDir',
        dir,
      ],
      { cwd: repo, timeout: 120_000 },
    );
  } catch (error) {
    remove();
    const { stdout } = error as { stdout?: string };
    throw new Error(`compiling the scale app failed: ${stdout ?? String(error)}`, { cause: error });
  }
  return { appEntry: join(dir, 'test', 'scale', 'support', 'scale-app.js'), dir, remove };
}

/** One running app process. */
export interface AppProcess {
  readonly url: string;
  readonly pid: number;
  readonly platform: ScaleAppConfig['platform'];
  /** SIGTERM, then SIGKILL after two seconds; resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Start one app process and wait (bounded) until it prints the port it listens on. */
export async function startAppProcess(
  appEntry: string,
  config: ScaleAppConfig,
  startTimeoutMs = 30_000,
): Promise<AppProcess> {
  const child = spawn(process.execPath, [appEntry, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    // Kept (bounded) for the failure message; the process logs only errors.
    errors = (errors + chunk.toString()).slice(-4_000);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(killer);
    }
    running.delete(child);
  };
  try {
    const port = await new Promise<number>((resolvePort, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`app process did not listen within ${startTimeoutMs} ms`)),
        startTimeoutMs,
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const found = /LISTENING (\d+)/.exec(output);
        if (found) {
          clearTimeout(timer);
          resolvePort(Number(found[1]));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`app process exited (${code ?? signal}) before listening: ${errors}`));
      });
    });
    return { url: `http://127.0.0.1:${port}`, pid: child.pid!, platform: config.platform, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Start `count` app processes on one store, alternating Express and Fastify, so that every
 * scenario crosses both platforms (a cookie set by one is read by the other).
 */
export async function startAppProcesses(
  appEntry: string,
  count: number,
  config: Omit<ScaleAppConfig, 'platform'>,
): Promise<AppProcess[]> {
  const settled = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      startAppProcess(appEntry, { ...config, platform: i % 2 === 0 ? 'express' : 'fastify' }),
    ),
  );
  const started = settled.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((app) => app.stop()));
    throw (failed as PromiseRejectedResult).reason;
  }
  return started;
}
