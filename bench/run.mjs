// `npm run bench` (see bench/README.md): two modes, both by default.
//
//   cpu     every variant a Nest app in its own child process, driven in-process with no sockets
//           (light-my-request / Fastify inject), CPU time per request; bench/cpu.mjs
//   socket  every variant in bench/variants.mjs as its own Nest process listening on 127.0.0.1,
//           driven by autocannon from this process, in interleaved rounds; Redis and PostgreSQL
//           variants, store round trips per request
//
//   npm run bench                                   both modes, defaults
//   npm run bench -- --mode cpu --rounds 5 --requests 3000
//   npm run bench -- --mode socket --duration 10 --only 'redis|pg'
//   npm run bench -- --profile lib-memory-fastify:write
//   BENCH_DURATION=3 BENCH_ROUNDS=3 BENCH_ONLY=redis npm run bench
//   npm run bench -- --memory                       the memory-store micro-benchmark instead
//
// Writes bench/results/latest.md/.json (socket), latest-cpu.md/.json and latest.svg (cpu).
import { fork, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import {
  DATABASE_URL,
  PG_TABLES,
  REDIS_DB,
  REDIS_PREFIX,
  REDIS_URL,
  VARIANTS,
  WORKLOADS,
  variantsOf,
} from './variants.mjs';
import { mergeCookies } from './cookie-jar.mjs';
import { runCpu } from './cpu.mjs';
import { renderChart } from './chart.mjs';
import { cpuTargets, renderCpuMarkdown, summarizeCpu } from './cpu-summary.mjs';
import { loadLibrary, snapshotLibrary } from './library.mjs';
import { progress } from './progress.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string' },
    requests: { type: 'string' },
    slices: { type: 'string' },
    'cpu-warmup': { type: 'string' },
    profile: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string' },
    only: { type: 'string' },
    workloads: { type: 'string' },
    out: { type: 'string' },
    render: { type: 'string' },
    memory: { type: 'boolean' },
    list: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});

if (args.help) {
  console.log(`npm run bench [-- options]   (each option also as an environment variable)
  --mode M          cpu, socket, or all (cpu, then socket)              BENCH_MODE      [all]
  --rounds N        interleaved rounds                                  BENCH_ROUNDS    [cpu 5, socket 3]
  --only REGEX      variants whose name matches                         BENCH_ONLY
  --workloads REGEX workloads whose name matches (read|write|untouched|login) BENCH_WORKLOADS
  --out NAME        results in bench/results/NAME.md/.json (socket), NAME-cpu.md/.json and
                    NAME.svg (cpu)                                      BENCH_OUT       [latest]
 cpu mode:
  --requests N      requests per variant x workload x round             BENCH_REQUESTS  [3000]
  --slices N        a round's requests are sent in N passes over the variants BENCH_SLICES [10]
  --cpu-warmup N    requests per workload to warm each round's fresh processes BENCH_CPU_WARMUP [2000]
  --profile V:W     profile variant V on workload W (rounds x requests) and summarise it by package
 socket mode:
  --duration S      seconds measured per variant x workload x round     BENCH_DURATION  [5]
  --warmup S        seconds of unmeasured load before each run          BENCH_WARMUP    [1]
  --connections N   autocannon connections (keep-alive)                 BENCH_CONNECTIONS [50]
 other:
  --memory          run the memory-store micro-benchmark (bench/memory-store.mjs) instead
  --render FILE     re-render FILE (a results .json) into the .md next to it (and a CPU run's chart), without running
  --list            list the variants (and their modes) and workloads`);
  process.exit(0);
}
if (args.list) {
  for (const v of VARIANTS)
    console.log(
      `${v.name.padEnd(26)} ${v.kind.padEnd(5)} ${v.platform.padEnd(8)} ${(v.store ?? '-').padEnd(7)} ${v.modes.join(', ')}`,
    );
  console.log(`workloads: ${WORKLOADS.map((w) => w.name).join(', ')}`);
  process.exit(0);
}
if (args.render && JSON.parse(readFileSync(args.render, 'utf8')).meta.mode === 'cpu') {
  // A CPU-mode result: its own summary, targets and tables, from the rounds it kept.
  const saved = JSON.parse(readFileSync(args.render, 'utf8'));
  const workloads = WORKLOADS.filter((w) => saved.meta.workloads.includes(w.name));
  const skipped = new Map(Object.entries(saved.skipped ?? {}));
  const failures = new Map(Object.entries(saved.failures ?? {}));
  const selected = VARIANTS.filter((v) => saved.runs[v.name]);
  const summary = summarizeCpu(saved.runs, selected, workloads, skipped, failures);
  const targets = cpuTargets(summary);
  writeFileSync(args.render, JSON.stringify({ ...saved, summary, targets }, null, 2) + '\n');
  const markdown = renderCpuMarkdown(saved.meta, summary, targets, workloads, skipped, failures);
  writeFileSync(args.render.replace(/\.json$/, '.md'), markdown);
  // The chart too: NAME-cpu.json draws NAME.svg, as the run that wrote it did.
  writeFileSync(
    args.render.replace(/-cpu\.json$|\.json$/, '.svg'),
    renderChart(summary, saved.meta),
  );
  console.log(markdown);
} else if (args.render) {
  const saved = JSON.parse(readFileSync(args.render, 'utf8'));
  const workloads = WORKLOADS.filter((w) => saved.meta.workloads.includes(w.name));
  const skipped = new Map(Object.entries(saved.skipped ?? {}));
  const runnable = VARIANTS.filter((v) => saved.runs[v.name]);
  const summary = summarize(saved.runs, runnable, workloads, skipped);
  writeFileSync(args.render, JSON.stringify({ ...saved, summary }, null, 2) + '\n');
  const markdown = renderMarkdown(saved.meta, summary, workloads, skipped);
  writeFileSync(args.render.replace(/\.json$/, '.md'), markdown);
  console.log(markdown);
} else if (args.memory) {
  const child = spawn(process.execPath, ['--expose-gc', join(here, 'memory-store.mjs')], {
    stdio: 'inherit',
  });
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  await main();
}

async function main() {
  const mode = args.profile ? 'cpu' : (args.mode ?? process.env.BENCH_MODE ?? 'all');
  if (!['cpu', 'socket', 'all'].includes(mode))
    throw new Error(`--mode must be cpu, socket or all, got ${mode}`);
  const out = args.out ?? process.env.BENCH_OUT ?? 'latest';
  if (!/^[\w.-]+$/.test(out)) throw new Error(`--out must be a plain file name, got ${out}`);
  const library = await libraryUnderTest();
  if (mode === 'cpu' || mode === 'all') {
    const skipped = new Map();
    for (const v of variantsOf('cpu')) {
      const why = whyNot(v, library, { redis: true, pg: true });
      if (why) skipped.set(v.name, why);
    }
    await runCpu(
      {
        rounds: Math.round(setting('rounds', 'BENCH_ROUNDS', 5)),
        requests: Math.round(setting('requests', 'BENCH_REQUESTS', 3000)),
        slices: Math.round(setting('slices', 'BENCH_SLICES', 10)),
        warmup: Math.round(setting('cpu-warmup', 'BENCH_CPU_WARMUP', 2000)),
        only: args.only ?? process.env.BENCH_ONLY ?? '',
        workloads: args.workloads ?? process.env.BENCH_WORKLOADS ?? '',
        out,
        profile: args.profile,
      },
      { ...baseMeta(), library: library.url, libraryLabel: library.label },
      skipped,
    );
  }
  if (mode === 'socket' || mode === 'all') await mainSocket(library, out);
}

/** The snapshot of dist/ and everything its entry points export (or why it cannot be imported). */
async function libraryUnderTest() {
  let url;
  try {
    url = await snapshotLibrary();
    const exports = await loadLibrary(url);
    return { url, exports, error: '', label: await describeBuild() };
  } catch (error) {
    return {
      url,
      exports: {},
      error: `cannot import the built library (${url ?? 'dist/'}): ${error.message.split('\n')[0]}; run \`npm run build\``,
      label: 'none',
    };
  }
}

/** Which source the build is of, as far as git can tell: the last commit that changed src/. */
async function describeBuild() {
  try {
    const { execFileSync } = await import('node:child_process');
    const git = (...a) =>
      execFileSync('git', a, { cwd: join(here, '..'), encoding: 'utf8' }).trim();
    const last = git('log', '-1', '--format=%h %s', '--', 'src').slice(0, 80);
    const dirty = git('status', '--porcelain', '--', 'src').length > 0;
    return `dist/ of src/ as of ${last}${dirty ? ' (+ uncommitted changes)' : ''}`;
  } catch {
    return 'dist/';
  }
}

/** Why a variant cannot run, or '' when it can. */
function whyNot(v, library, servers) {
  const missing = (v.needs ?? []).filter((name) => !(name in library.exports));
  if (v.kind === 'lib' && library.error) return `not available yet (${library.error})`;
  if (missing.length > 0)
    return `not available yet (the library does not export ${missing.join(', ')})`;
  if (v.store === 'redis' && !servers.redis) return `Redis not answering at ${REDIS_URL}`;
  if (v.store === 'pg' && !servers.pg) return `PostgreSQL not answering at ${DATABASE_URL}`;
  return '';
}

function baseMeta() {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}`,
    platform: `${process.platform} ${process.arch}`,
    loadAvg: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

function setting(name, env, fallback) {
  const raw = args[name] ?? process.env[env];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--${name} / ${env} must be a positive number, got ${raw}`);
  return n;
}

async function mainSocket(library, out) {
  const config = {
    duration: setting('duration', 'BENCH_DURATION', 5),
    warmup:
      (args.warmup ?? process.env.BENCH_WARMUP)
        ? Number(args.warmup ?? process.env.BENCH_WARMUP)
        : 1,
    rounds: Math.round(setting('rounds', 'BENCH_ROUNDS', 3)),
    connections: Math.round(setting('connections', 'BENCH_CONNECTIONS', 50)),
    only: args.only ?? process.env.BENCH_ONLY ?? '',
    workloads: args.workloads ?? process.env.BENCH_WORKLOADS ?? '',
    out,
  };
  const onlyRe = new RegExp(config.only || '.');
  const workloadRe = new RegExp(config.workloads || '.');
  const workloads = WORKLOADS.filter((w) => workloadRe.test(w.name));
  const selected = variantsOf('socket').filter((v) => onlyRe.test(v.name));
  if (selected.length === 0 || workloads.length === 0)
    throw new Error('no variant or workload selected');

  const servers = {
    redis: await answers(REDIS_URL),
    pg: await answers(DATABASE_URL),
  };

  // Which variants can run at all.
  const skipped = new Map();
  for (const v of selected) {
    const why = whyNot(v, library, servers);
    if (why) skipped.set(v.name, why);
  }
  const runnable = selected.filter((v) => !skipped.has(v.name));

  const meta = {
    ...baseMeta(),
    mode: 'socket',
    rounds: config.rounds,
    durationSeconds: config.duration,
    warmupSeconds: config.warmup,
    connections: config.connections,
    pipelining: 1,
    only: config.only || null,
    workloads: workloads.map((w) => w.name),
    library: library.url,
    libraryLabel: library.label,
  };
  const estimate =
    runnable.length *
    config.rounds *
    (3 + workloads.length * (config.duration + config.warmup + 0.7));
  console.log(
    `bench: ${runnable.length} variants x ${workloads.length} workloads x ${config.rounds} rounds, ` +
      `${config.duration} s each (+${config.warmup} s warm-up), ${config.connections} connections; ` +
      `about ${Math.ceil(estimate / 60)} min`,
  );
  for (const [name, why] of skipped) console.log(`  skip ${name}: ${why}`);

  /** results[variant][workload] = [{ rps, p50, p99, ... } per round] */
  const results = {};
  const bar = progress('socket', runnable.length * config.rounds, estimate);
  for (let round = 1; round <= config.rounds; round++) {
    console.log(`\nround ${round}/${config.rounds}`);
    for (const variant of runnable) {
      bar.step(`round ${round}/${config.rounds} ${variant.name}`);
      await resetStore(variant);
      let server;
      try {
        server = await startServer(variant);
      } catch (error) {
        console.log(`  ${variant.name}: FAILED TO START: ${error.message}`);
        for (const w of workloads) {
          push(results, variant.name, w.name, {
            round,
            failed: `start: ${error.message.split('\n')[0]}`,
          });
        }
        continue;
      }
      try {
        for (const workload of workloads) {
          const run = await measure(server, variant, workload, config);
          run.round = round;
          push(results, variant.name, workload.name, run);
          const flag =
            run.wrong > 0 || run.errors > 0 || run.non2xx > 0 ? '  <-- WRONG/ERRORS' : '';
          console.log(
            `  ${variant.name.padEnd(24)} ${workload.name.padEnd(9)} ${fmt(run.rps, 0).padStart(7)} req/s  ` +
              `${fmt(run.cpuUsPerReq, 0).padStart(5)} µs cpu/req  ` +
              `p50 ${fmt(run.p50, 1)} ms  p99 ${fmt(run.p99, 1)} ms  ` +
              `wrong ${run.wrong}/${run.checked}  errors ${run.errors}  non2xx ${run.non2xx}${flag}`,
          );
          for (const sample of run.wrongSamples) console.log(`      wrong answer: ${sample}`);
        }
      } catch (error) {
        console.log(`  ${variant.name}: FAILED: ${error.stack ?? error}`);
      } finally {
        const stderr = await server.stop();
        if (stderr.trim()) {
          const lines = stderr.trim().split('\n');
          console.log(`  ${variant.name} stderr (${lines.length} lines, last 5):`);
          for (const line of lines.slice(-5)) console.log(`      ${line.slice(0, 300)}`);
        }
      }
    }
  }

  bar.finish();
  const summary = summarize(results, runnable, workloads, skipped);
  const markdown = renderMarkdown(meta, summary, workloads, skipped);
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', `${config.out}.md`), markdown);
  writeFileSync(
    join(here, 'results', `${config.out}.json`),
    JSON.stringify(
      { meta, skipped: Object.fromEntries(skipped), summary, runs: results },
      null,
      2,
    ) + '\n',
  );
  console.log('\n' + markdown);
  console.log(`written: bench/results/${config.out}.md, bench/results/${config.out}.json`);
}

function push(results, variant, workload, run) {
  ((results[variant] ??= {})[workload] ??= []).push(run);
}

// ---------------------------------------------------------------------------------------------
// Servers

function answers(url, timeoutMs = 1_000) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Empty what earlier runs left in the variant's store, so that every run starts alike. */
async function resetStore(variant) {
  try {
    if (variant.store === 'redis') {
      const { default: Redis } = await import('ioredis');
      const redis = new Redis(REDIS_URL, {
        db: REDIS_DB,
        lazyConnect: true,
        maxRetriesPerRequest: 1,
      });
      await redis.connect();
      const prefix = variant.kind === 'lib' ? REDIS_PREFIX.lib : REDIS_PREFIX.peer;
      // Only this bench's own keys, in its own logical database: never FLUSHDB.
      for (const pattern of [`${prefix}*`, `{${prefix}*`, `*${prefix}*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await redis.unlink(...keys);
        } while (cursor !== '0');
      }
      redis.disconnect();
    } else if (variant.store === 'pg') {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      const table = variant.kind === 'lib' ? PG_TABLES.lib : PG_TABLES.peer;
      for (const t of [table, `${table}_locks`]) {
        await client.query(
          `DO $$ BEGIN IF to_regclass('public.${t}') IS NOT NULL THEN TRUNCATE public.${t}; END IF; END $$`,
        );
      }
      await client.end();
    }
  } catch (error) {
    console.log(`  ${variant.name}: could not empty its store first: ${error.message}`);
  }
}

/** Send the child a message and wait for the answer that carries `key`. */
function ask(child, message, key, timeoutMs = 30_000) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    const onMessage = (answer) => {
      if (!answer?.[key]) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(answer[key]);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

/** The child's CPU time so far, in µs (user + system), and its store round trips so far. */
function cpuOf(child) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 2_000);
    const onMessage = (message) => {
      if (!message?.cpu) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve({
        us: message.cpu.user + message.cpu.system,
        storeCalls: (message.storeCalls?.redis ?? 0) + (message.storeCalls?.pg ?? 0),
        byName: message.storeCallsByName ?? {},
        served: message.served,
        inFlight: message.inFlight,
      });
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

function startServer(variant) {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'server.mjs'), [variant.name], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
    });
    const exited = new Promise((r) => child.once('exit', r));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        // Let requests still queued in the server when autocannon stopped finish first.
        await new Promise((r) => setTimeout(r, 300));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      return stderr;
    };
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`no ready message within 30 s; stderr: ${stderr.slice(-2_000)}`));
    }, 30_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      if (message?.ready) {
        resolve({
          port: message.port,
          stop,
          cpu: () => cpuOf(child),
          profile: (command, file) =>
            ask(child, { profile: command, file }, command === 'start' ? 'profiling' : 'profiled'),
        });
      } else {
        void stop();
        reject(new Error(message?.error ?? 'server failed'));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `exited (${code ?? signal}) before it was ready; stderr: ${stderr.slice(-2_000)}`,
        ),
      );
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Load

function setCookies(headers) {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === 'set-cookie') return Array.isArray(value) ? value : [value];
  }
  return [];
}

/** One session per connection, created before the measured run: POST /setup, keep the cookie. */
async function createSessions(port, count, needCookie) {
  const cookies = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`http://127.0.0.1:${port}/setup`, { method: 'POST' });
    const body = await response.text();
    const cookie = mergeCookies('', response.headers.getSetCookie());
    if (!response.ok || body !== 'ok')
      throw new Error(`POST /setup answered ${response.status} ${body.slice(0, 200)}`);
    if (needCookie && !cookie) throw new Error('POST /setup set no session cookie');
    cookies.push(cookie);
  }
  return cookies;
}

/**
 * A checker per workload. Bare variants have no session: any 2xx answer counts as right.
 * Each connection keeps its state in a function object on its autocannon context: autocannon
 * deep-clones the context between request loops but keeps functions by reference.
 */
/** Bare Nest and the no-op-interceptor floor keep no session. */
function hasSession(variant) {
  return variant.kind === 'lib' || variant.kind === 'peer';
}

function checker(variant, workload) {
  const session = hasSession(variant);
  return (status, body, state, headers) => {
    if (status < 200 || status >= 300) return `status ${status}: ${body.slice(0, 120)}`;
    if (!session) return null;
    switch (workload.name) {
      case 'read':
        return body === '3'
          ? null
          : `read answered ${JSON.stringify(body.slice(0, 120))}, expected "3"`;
      case 'write': {
        const n = Number(body);
        if (!Number.isInteger(n)) return `write answered ${JSON.stringify(body.slice(0, 120))}`;
        const expected = state.counter === undefined ? null : state.counter + 1;
        state.counter = n;
        if (expected === null) return n >= 1 ? null : `write answered ${n} on a fresh connection`;
        return n === expected
          ? null
          : `write answered ${n}, expected ${expected} (session lost or not saved?)`;
      }
      case 'untouched':
        return body === 'ok' ? null : `untouched answered ${JSON.stringify(body.slice(0, 120))}`;
      case 'login':
        if (body !== 'ok') return `login answered ${JSON.stringify(body.slice(0, 120))}`;
        return setCookies(headers).some((h) => !/^[^=]+=;/.test(h))
          ? null
          : 'login set no session cookie';
      default:
        return null;
    }
  };
}

function cannon(port, variant, workload, cookies, config, seconds, tally) {
  const check = checker(variant, workload);
  let next = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: config.connections,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
        setupClient(client) {
          const state = Object.assign(function connectionState() {}, {
            cookie: workload.cookie ? cookies[next++ % cookies.length] : '',
            counter: undefined,
          });
          client.requestIterator.initialContext = { state };
          client.requestIterator.resetContext();
          // The first request was built before this state existed: build it again, with the cookie.
          client.requestIterator.rebuildRequest();
        },
        requests: [
          {
            method: workload.method,
            path: workload.path,
            setupRequest(request, context) {
              // (Called once before setupClient has given the connection its state.)
              const state = context.state;
              if (state?.cookie) request.headers = { ...request.headers, cookie: state.cookie };
              return request;
            },
            onResponse(status, body, context, headers) {
              const { state } = context;
              tally.checked++;
              const wrong = check(status, body, state, headers);
              if (wrong) {
                tally.wrong++;
                if (tally.samples.length < 3) tally.samples.push(wrong);
              }
              // Keep the cookie up to date, as a browser would.
              if (workload.cookie) {
                const set = setCookies(headers);
                if (set.length) state.cookie = mergeCookies(state.cookie, set);
              }
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    autocannon.track(instance, {
      renderProgressBar: false,
      renderResultsTable: false,
      renderLatencyTable: false,
    });
  });
}

async function measure(server, variant, workload, config) {
  const { port } = server;
  const cookies = workload.cookie
    ? await createSessions(port, config.connections, hasSession(variant))
    : [];
  if (config.warmup > 0) {
    await cannon(port, variant, workload, cookies, config, config.warmup, {
      checked: 0,
      wrong: 0,
      samples: [],
    });
  }
  const tally = { checked: 0, wrong: 0, samples: [] };
  const load = loadavg()[0];
  const profile = process.env.BENCH_CPU_PROF
    ? join(here, 'results', 'profiles', `${variant.name}-${workload.name}-${Date.now()}.cpuprofile`)
    : null;
  if (profile) await server.profile('start');
  const cpuBefore = await server.cpu();
  const result = await cannon(port, variant, workload, cookies, config, config.duration, tally);
  const cpuAfter = await server.cpu();
  if (profile) await server.profile('stop', profile);
  const served = result.requests.total;
  const serverServed = cpuBefore && cpuAfter ? cpuAfter.served - cpuBefore.served : null;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mean: result.latency.average,
    total: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    checked: tally.checked,
    wrong: tally.wrong,
    wrongSamples: tally.samples,
    cpuUsPerReq:
      cpuBefore != null && cpuAfter != null && served > 0
        ? (cpuAfter.us - cpuBefore.us) / served
        : null,
    // Round trips to Redis / PostgreSQL per request, counted in the server (bench/store-calls.mjs),
    // over the requests the server finished between two moments with none in flight.
    storeCallsPerReq:
      variant.store && variant.store !== 'memory' && cpuBefore && cpuAfter && serverServed > 0
        ? (cpuAfter.storeCalls - cpuBefore.storeCalls) / serverServed
        : null,
    serverServed,
    inFlightAtSnapshot: cpuAfter?.inFlight ?? null,
    storeCallsByName:
      cpuBefore && cpuAfter && Object.keys(cpuAfter.byName).length
        ? Object.fromEntries(
            Object.entries(cpuAfter.byName).map(([k, n]) => [k, n - (cpuBefore.byName[k] ?? 0)]),
          )
        : undefined,
    loadAvg1m: Math.round(((load + loadavg()[0]) / 2) * 100) / 100,
  };
}

// ---------------------------------------------------------------------------------------------
// Results

function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function summarize(results, runnable, workloads, skipped) {
  const summary = {};
  for (const v of VARIANTS) {
    if (!runnable.includes(v) && !skipped.has(v.name)) continue;
    summary[v.name] = {};
    for (const w of workloads) {
      if (skipped.has(v.name)) {
        summary[v.name][w.name] = { status: skipped.get(v.name) };
        continue;
      }
      const runs = (results[v.name]?.[w.name] ?? []).filter((r) => !r.failed);
      const failed = (results[v.name]?.[w.name] ?? []).find((r) => r.failed);
      if (runs.length === 0) {
        summary[v.name][w.name] = { status: failed ? `failed: ${failed.failed}` : 'no result' };
        continue;
      }
      const wrong = runs.reduce((s, r) => s + r.wrong, 0);
      const errors = runs.reduce((s, r) => s + r.errors + r.non2xx, 0);
      summary[v.name][w.name] = {
        status: wrong > 0 || errors > 0 ? 'WRONG ANSWERS/ERRORS' : 'ok',
        rounds: runs.length,
        rps: median(runs.map((r) => r.rps)),
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
        cpuUsPerReq: median(runs.map((r) => r.cpuUsPerReq)),
        storeCallsPerReq: median(runs.map((r) => r.storeCallsPerReq)),
        loadAvg1m: median(runs.map((r) => r.loadAvg1m)),
        rpsPerRound: runs.map((r) => Math.round(r.rps)),
        wrong,
        checked: runs.reduce((s, r) => s + r.checked, 0),
        errors,
        wrongSamples: [...new Set(runs.flatMap((r) => r.wrongSamples))].slice(0, 3),
      };
    }
  }
  for (const v of VARIANTS) {
    for (const w of workloads) {
      const cell = summary[v.name]?.[w.name];
      if (!cell || cell.rps == null) continue;
      // Ratios are taken round by round (the two ran minutes apart, under the same conditions),
      // then the median over rounds: steadier than a ratio of medians on a noisy machine.
      if (v.kind !== 'bare') {
        cell.vsBare = pairedRatio(results, v.name, v.baseline, w.name, (a, b) => a.rps / b.rps);
        cell.vsBareCpu = pairedRatio(results, v.name, v.baseline, w.name, (a, b) =>
          a.cpuUsPerReq && b.cpuUsPerReq ? b.cpuUsPerReq / a.cpuUsPerReq : NaN,
        );
      }
      if (v.peer)
        cell.vsPeer = pairedRatio(results, v.name, v.peer, w.name, (a, b) => a.rps / b.rps);
    }
  }
  return summary;
}

/** Median over rounds of f(run of a, run of b in the same round); null without a common round. */
function pairedRatio(results, a, b, workload, f) {
  const runsA = results[a]?.[workload] ?? [];
  const runsB = results[b]?.[workload] ?? [];
  const byRound = new Map(runsB.map((run, i) => [run.round ?? i + 1, run]));
  const ratios = runsA
    .map((run, i) => [run, byRound.get(run.round ?? i + 1)])
    .filter(([x, y]) => x && y && !x.failed && !y.failed)
    .map(([x, y]) => f(x, y));
  return median(ratios);
}

function fmt(value, digits) {
  return value == null ? '-' : value.toFixed(digits);
}

/**
 * Issue 10's store targets: this library's req/s at least 1.3× express-session's on the same
 * store (read and write), and one round trip per read, one per commit (so two for the write
 * workload: the read of the session, then its commit).
 */
function socketTargets(summary) {
  const targets = [];
  const expectedTrips = { read: 1, write: 2 };
  for (const [name, store] of [
    ['lib-redis', 'Redis'],
    ['lib-pg', 'PostgreSQL'],
  ]) {
    for (const workload of ['read', 'write']) {
      const cell = summary[name]?.[workload];
      if (!cell || cell.rps == null) continue;
      const peer = VARIANTS.find((v) => v.name === name).peer;
      if (cell.vsPeer != null)
        targets.push({
          target: `${store} ${workload}: ≥ 1.3× the req/s of ${peer}`,
          measured: `${cell.vsPeer.toFixed(2)}× (${Math.round(cell.rps)} vs ${Math.round(summary[peer]?.[workload]?.rps ?? NaN)} req/s)`,
          met: cell.status === 'ok' && cell.vsPeer >= 1.3,
        });
      if (cell.storeCallsPerReq != null)
        targets.push({
          target: `${store} ${workload}: ${expectedTrips[workload]} round trip${expectedTrips[workload] > 1 ? 's (read + commit)' : ''} per request`,
          measured: `${cell.storeCallsPerReq.toFixed(3)} per request`,
          met:
            Math.abs(cell.storeCallsPerReq - expectedTrips[workload]) <=
            0.01 * expectedTrips[workload],
        });
    }
  }
  return targets;
}

function renderMarkdown(meta, summary, workloads, skipped) {
  const lines = [];
  lines.push('# nestjs-typed-session benchmark');
  lines.push('');
  lines.push(
    `${meta.date} · Node ${meta.node} · ${meta.cpu} · ${meta.platform} · ${meta.rounds} interleaved rounds · ` +
      `${meta.durationSeconds} s per run (+${meta.warmupSeconds} s warm-up) · ${meta.connections} keep-alive connections, ` +
      `pipelining 1 · client (autocannon) and server on the same machine`,
  );
  lines.push('');
  lines.push(
    'Medians over rounds. `×bare`: req/s over bare Nest on the same platform. ' +
      '`×peer`: this library over its established peer on the same store (express-session, or @fastify/session). ' +
      'Ratios are taken per round (both measured in the same round) and then the median over rounds. ' +
      'A row marked WRONG kept no session (or errored) and its speed means nothing. ' +
      '`server µs CPU/req`: CPU time of the server process per request (less disturbed by other load ' +
      'than req/s); `×bare by CPU`: bare µs / variant µs. `store trips/req`: Redis commands or ' +
      'PostgreSQL queries the server sent per request, counted in its clients.',
  );
  const targets = socketTargets(summary);
  if (targets.length) {
    lines.push('');
    lines.push('## Targets (issue 10, socket level)');
    lines.push('');
    lines.push('| target | measured | met |');
    lines.push('| --- | --- | --- |');
    for (const t of targets)
      lines.push(`| ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`);
  }
  for (const w of workloads) {
    lines.push('');
    lines.push(
      `## ${w.name}: ${w.method} ${w.path}${w.cookie ? ' (each connection sends its own session cookie)' : ' (no cookie)'}`,
    );
    lines.push('');
    lines.push(
      '| variant | req/s | p50 ms | p99 ms | ×bare | ×peer | server µs CPU/req | ×bare by CPU | store trips/req | check | req/s per round |',
    );
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |');
    for (const [name, cells] of Object.entries(summary)) {
      const c = cells[w.name];
      if (!c) continue;
      if (c.rps == null) {
        lines.push(`| ${name} | - | - | - | - | - | - | - | - | ${c.status} | |`);
        continue;
      }
      const check =
        c.status === 'ok'
          ? `ok (${c.checked} checked)`
          : `**WRONG ${c.wrong}/${c.checked}, errors ${c.errors}**${c.wrongSamples.length ? `: ${c.wrongSamples[0].replace(/\|/g, '\\|')}` : ''}`;
      lines.push(
        `| ${name} | ${fmt(c.rps, 0)} | ${fmt(c.p50, 1)} | ${fmt(c.p99, 1)} | ${c.vsBare ? fmt(c.vsBare, 2) : '-'} | ` +
          `${c.vsPeer ? fmt(c.vsPeer, 2) : '-'} | ${fmt(c.cpuUsPerReq, 0)} | ${c.vsBareCpu ? fmt(c.vsBareCpu, 2) : '-'} | ` +
          `${fmt(c.storeCallsPerReq, 2)} | ` +
          `${check} | ${c.rpsPerRound.join(', ')} |`,
      );
    }
  }
  if (skipped.size) {
    lines.push('');
    lines.push('Not run:');
    for (const [name, why] of skipped) lines.push(`- ${name}: ${why}`);
  }
  lines.push('');
  return lines.join('\n');
}
