// The processes a chaos or soak run starts and stops by PID: the app under load (a child Nest
// process) and private Redis servers on spare loopback ports.
import { execFile, fork, spawn } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const started = new Set();
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

/**
 * A private copy of dist/ (under node_modules, so its imports still resolve), so that a rebuild
 * of dist/ by someone else during a run cannot break the app.
 */
export function snapshotLibrary() {
  const dist = join(ROOT, 'dist/esm/index.js');
  if (!existsSync(dist)) throw new Error('dist/esm is missing: run `npm run build` first');
  // One per run (by PID): a chaos run and a soak started side by side must not replace each
  // other's copy. Removed when the run exits.
  const target = join(ROOT, `node_modules/.cache/nestjs-typed-session-chaos/lib-${process.pid}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  cpSync(join(ROOT, 'dist'), target, { recursive: true });
  process.once('exit', () => rmSync(target, { recursive: true, force: true }));
  // The ES module build's root: the core entry is index.js, the drivers stores/<name>/index.js.
  return join(target, 'esm');
}

/** Start bench/chaos/app.mjs with `env`; resolves when it listens. Its logs go to `logFile`. */
export async function startApp(env, logFile) {
  const child = fork(join(ROOT, 'bench/chaos/app.mjs'), [], {
    execArgv: ['--expose-gc'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  started.add(child);
  const log = createWriteStream(logFile);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exit = null;
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      started.delete(child);
      resolve();
    }),
  );
  // Each question carries an id its answer echoes, so that questions of one type asked at once
  // (the chaos run's sampler and a measurement after a GC) each get their own answer.
  let asked = 0;
  const ask = (message, type) =>
    new Promise((resolve, reject) => {
      const id = message ? ++asked : undefined;
      const onMessage = (reply) => {
        if (reply?.type !== type || reply.id !== id) return;
        child.off('message', onMessage);
        resolve(reply);
      };
      child.on('message', onMessage);
      if (message) child.send({ ...message, id });
      exited.then(() => reject(new Error(`app exited (${JSON.stringify(exit)})`)));
    });
  const ready = await Promise.race([
    ask(undefined, 'ready'),
    delay(30_000).then(() => {
      throw new Error(`app did not start in 30 s; see ${logFile}`);
    }),
  ]);
  return {
    url: `http://127.0.0.1:${ready.port}`,
    pid: ready.pid,
    /** null while it runs; { code, signal } once it exited. */
    get exit() {
      return exit;
    },
    /** Memory and more after a full GC; `{ gc: false }`: a cheap sample without one. */
    stats: ({ gc = true } = {}) => ask({ type: 'stats', gc }, 'stats'),
    resetEventLoopDelay: () => ask({ type: 'reset-eld' }, 'reset-eld'),
    setSlow: (on) => ask({ type: 'slow', on }, 'slow'),
    stop: async () => {
      if (exit === null) child.kill('SIGTERM');
      await Promise.race([exited, delay(10_000)]);
      if (exit === null) child.kill('SIGKILL');
      await exited;
      log.end();
    },
  };
}

/** A loopback port in 30000–31999 that nothing listens on. */
export async function sparePort() {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 30_000 + Math.floor(Math.random() * 2_000);
    const free = await new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no spare loopback port in 30000-31999');
}

export async function redisCli(port, ...command) {
  try {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...command], {
      timeout: 5_000,
    });
    return stdout.trim();
  } catch {
    return '';
  }
}

/**
 * A private Redis in a temporary directory. `persistence`: 'aof-always' (appendonly yes,
 * appendfsync always: every acknowledged write is on disk), 'default' (redis-server's own
 * defaults: RDB snapshots now and then, no AOF), 'none' (nothing saved).
 * `kill()` SIGKILLs it, `restart()` starts it again on the same port and directory.
 */
export async function startPrivateRedis(persistence) {
  const port = await sparePort();
  const dir = mkdtempSync(join(tmpdir(), 'nts-chaos-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
  if (persistence === 'aof-always') args.push('--appendonly', 'yes', '--appendfsync', 'always');
  if (persistence === 'none') args.push('--save', '', '--appendonly', 'no');
  let child;
  const launch = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    started.add(child);
    const deadline = Date.now() + 15_000;
    while ((await redisCli(port, 'PING')) !== 'PONG') {
      if (Date.now() > deadline) throw new Error(`private redis on ${port} did not answer`);
      await delay(50);
    }
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
    started.delete(child);
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    persistence,
    get pid() {
      return child.pid;
    },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    kill,
    restart: launch,
    stop: async () => {
      child.kill('SIGCONT');
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
