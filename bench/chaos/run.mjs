// npm run chaos [-- --short] [--seconds N] [--only REGEX] [--connections N]
//
// Mixed traffic (reads, cart writes, logins, logouts) from 50 keep-alive connections against the
// app (bench/chaos/app.mjs, its own process) for 60 s per scenario while the store misbehaves.
// Every client journals what it was told was saved; afterwards every acknowledged write is
// checked (bench/chaos/traffic.mjs). Results: bench/results/chaos.{json,md}
// (`--short`: chaos-short.*). Exits 1 when an acknowledged write was lost where the store keeps
// what it acknowledged, when the app exited, or when its memory did not come back after the
// fault (heap used after a full GC; RSS within a tolerance; active resources: see below).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { snapshotLibrary, startApp, startPrivateRedis } from './processes.mjs';
import { mergeJournalChecks, runTraffic, verifyJournals, TrafficStats } from './traffic.mjs';

const { values: args } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    only: { type: 'string' },
    connections: { type: 'string', default: '50' },
  },
});
const SHORT = args.short;
const DURATION_S = Number(args.seconds ?? process.env.CHAOS_SECONDS ?? (SHORT ? 15 : 60));
const CONNECTIONS = Number(args.connections);
/** Fault-free traffic before the fault (warm-up, and the "before" memory figure). */
const FAULT_AT_S = Math.max(5, Math.round(DURATION_S / 4));
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/**
 * Memory around a fault is measured three ways (the app runs with --expose-gc):
 *   before:   just before the fault, under traffic, after a full GC;
 *   during:   the peak of once-a-second samples (no GC) while the fault lasts;
 *   after:    under the same traffic, at least SETTLE_S after the fault ended, after a full GC;
 *   idle:     once the traffic stopped and the journals were checked, after SETTLE_S and a full
 *             GC, with the app's active resources (timers, sockets) beside those it had idle
 *             before any traffic.
 * Heap used after a full GC is the leak signal: it must come back to within HEAP_RETURN_LIMIT_MB
 * of its level before the fault (warm-up and caches that fill add a little on a healthy app).
 * RSS is not: V8 keeps the pages it grew into for a while and malloc rarely hands memory back,
 * so a healthy app's RSS swings by tens of megabytes under load and often stays up after a peak.
 * It fails only when its median after the fault is above the highest sample before the fault by
 * more than RSS_RETURN_LIMIT_MB.
 */
const HEAP_RETURN_LIMIT_MB = 8;
const RSS_RETURN_LIMIT_MB = 64;
/**
 * Active resources (timers, sockets, ...) idle after the run beyond those idle before it that
 * fail the run: a connection pool (PostgreSQL: at most 10 sockets, each with an idle timer) and a
 * reconnecting client account for less; waiters or sockets left per failed request for more.
 */
const RESOURCE_SLACK = 32;
const SETTLE_S = SHORT ? 4 : 10;
/** The traffic goes on at most this long after the fault ends, waiting for the app to recover. */
const RECOVERY_WAIT_LIMIT_S = SHORT ? 30 : 90;
const SAMPLE_EVERY_MS = 1_000;

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const LIB = snapshotLibrary();
const MB = 1024 * 1024;

/**
 * Each scenario: the store (`app` env, and what to start), and `fault(ctx)`, which breaks it at
 * FAULT_AT_S and resolves at the instant the fault ends. `mustKeepAcknowledged`: whether a
 * single server that keeps what it acknowledged is behind it (then 0 lost is required).
 */
const SCENARIOS = [
  {
    name: 'control',
    description:
      'no fault (memory store): the noise floor of the same measurements on a healthy app',
    mustKeepAcknowledged: true,
    skipShort: true,
    fault: () => delay((SHORT ? 3 : 5) * 1000),
  },
  {
    name: 'redis-sigstop',
    description: `private Redis (appendonly yes, appendfsync always) frozen with SIGSTOP for ${SHORT ? 3 : 5} s`,
    redis: 'aof-always',
    mustKeepAcknowledged: true,
    fault: async ({ redis }) => {
      redis.pause();
      await delay((SHORT ? 3 : 5) * 1000);
      redis.resume();
    },
  },
  {
    name: 'redis-kill-aof',
    description:
      'private Redis (appendonly yes, appendfsync always) killed with SIGKILL, restarted after 1 s',
    redis: 'aof-always',
    mustKeepAcknowledged: true,
    fault: async ({ redis }) => {
      await redis.kill();
      await delay(1_000);
      await redis.restart();
    },
  },
  {
    name: 'redis-kill-default',
    description:
      "private Redis with redis-server's default persistence (RDB snapshots, no AOF) killed with SIGKILL, restarted after 1 s: loses what it had not snapshotted",
    redis: 'default',
    mustKeepAcknowledged: false,
    skipShort: true,
    fault: async ({ redis }) => {
      await redis.kill();
      await delay(1_000);
      await redis.restart();
    },
  },
  {
    name: 'postgres-terminate',
    description: `the app's own PostgreSQL backends terminated (pg_terminate_backend by application_name) every ${SHORT ? 0.5 : 1} s for ${SHORT ? 3 : 20} s`,
    postgres: true,
    mustKeepAcknowledged: true,
    fault: async ({ pgApplicationName, runnerPool, faultLog }) => {
      const until = Date.now() + (SHORT ? 3 : 20) * 1000;
      let terminated = 0;
      while (Date.now() < until) {
        // Only the app's own connections (its pool's application_name), never anyone else's.
        const { rows } = await runnerPool.query(
          `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n
             FROM pg_stat_activity
            WHERE application_name = $1 AND pid <> pg_backend_pid()`,
          [pgApplicationName],
        );
        terminated += rows[0].n;
        await delay(SHORT ? 500 : 1_000);
      }
      faultLog.backendsTerminated = terminated;
    },
  },
  {
    name: 'slow-store',
    description: `a store wrapper (memory underneath) that answers every call after 3 s, for ${SHORT ? 3 : 10} s`,
    slow: true,
    mustKeepAcknowledged: true,
    fault: async ({ app }) => {
      await app.setSlow(true);
      await delay((SHORT ? 3 : 10) * 1000);
      await app.setSlow(false);
    },
  },
];

async function runScenario(scenario) {
  const logFile = join(tmpdir(), `nts-chaos-${scenario.name}-${process.pid}.log`);
  const env = { CHAOS_LIB: LIB };
  const ctx = { faultLog: {} };
  const cleanups = [];
  try {
    if (scenario.redis) {
      ctx.redis = await startPrivateRedis(scenario.redis);
      cleanups.push(() => ctx.redis.stop());
      Object.assign(env, { CHAOS_STORE: 'redis', CHAOS_REDIS_URL: ctx.redis.url });
    } else if (scenario.postgres) {
      const table = `chaos_${process.pid}_${Date.now().toString(36)}`;
      ctx.pgApplicationName = `nts-chaos-app-${process.pid}`;
      ctx.runnerPool = new pg.Pool({
        connectionString: DATABASE_URL,
        application_name: `nts-chaos-runner-${process.pid}`,
        max: 1,
      });
      cleanups.push(async () => {
        await ctx.runnerPool.query(`DROP TABLE IF EXISTS "${table}", "${table}_locks"`);
        await ctx.runnerPool.end();
      });
      Object.assign(env, {
        CHAOS_STORE: 'postgres',
        DATABASE_URL,
        CHAOS_PG_TABLE: table,
        CHAOS_PG_APP: ctx.pgApplicationName,
      });
    } else if (scenario.slow) {
      env.CHAOS_STORE = 'slow';
    }
    const app = await startApp(env, logFile);
    ctx.app = app;
    cleanups.unshift(() => app.stop());
    const idleStart = await app.stats();

    const stats = new TrafficStats();
    const stopTraffic = new AbortController();
    const t0 = performance.now();
    const traffic = runTraffic({
      url: app.url,
      connections: CONNECTIONS,
      signal: stopTraffic.signal,
      stats,
    });
    const samples = sampleMemory(app, t0, stopTraffic.signal);
    await delay(FAULT_AT_S * 1000 - 1_000);
    const before = await app.stats();
    await delay(Math.max(0, FAULT_AT_S * 1000 - (performance.now() - t0)));
    const faultStart = performance.now();
    await scenario.fault(ctx);
    const faultEnd = performance.now();
    // Traffic goes on until the app has recovered and SETTLE_S more have passed (and at least
    // to the end of the scenario's duration), so that "after" is measured after recovery.
    const recoveryMs = await untilRecovered(stats, faultStart, faultEnd);
    await delay(Math.max(SETTLE_S * 1000, DURATION_S * 1000 - (performance.now() - t0)));
    // Still under traffic: the same conditions as `before`.
    const after = await app.stats();
    stopTraffic.abort();
    const { lineages, checkedBeforeLogout } = await traffic;
    const series = await samples;
    const trafficMs = performance.now() - t0;
    const journal = mergeJournalChecks(
      await verifyJournals(app.url, lineages),
      checkedBeforeLogout,
    );
    await delay(SETTLE_S * 1000);
    const idle = await app.stats();
    const memory = memoryAroundFault({
      series,
      t0,
      faultStart,
      faultEnd,
      recoveryMs,
      before,
      after,
      idle,
      idleStart,
    });
    const result = {
      scenario: scenario.name,
      description: scenario.description,
      seconds: Math.round(trafficMs / 1000),
      connections: CONNECTIONS,
      requests: stats.requests,
      byStatus: stats.byStatus,
      status503: stats.byStatus['503'] ?? 0,
      noAnswer: stats.byStatus['no-answer'] ?? 0,
      maxLatencyMs: Math.round(stats.maxLatencyMs),
      p99LatencyMs: Math.round(stats.percentile(99)),
      faultMs: Math.round(faultEnd - faultStart),
      recoveryMs: recoveryMs === null ? null : Math.round(recoveryMs),
      ...ctx.faultLog,
      journal,
      memory,
      appExited: app.exit,
      mustKeepAcknowledged: scenario.mustKeepAcknowledged,
    };
    const problems = [];
    if (app.exit !== null) problems.push(`the app exited: ${JSON.stringify(app.exit)}`);
    if (scenario.mustKeepAcknowledged && journal.acknowledgedWritesLost > 0)
      problems.push(`${journal.acknowledgedWritesLost} acknowledged writes lost`);
    if (journal.unverifiable > 0)
      problems.push(`${journal.unverifiable} sessions could not be read back`);
    if (journal.acknowledgedItems === 0) problems.push('no write was acknowledged at all');
    if (recoveryMs === null)
      problems.push(`not recovered ${RECOVERY_WAIT_LIMIT_S} s after the fault ended`);
    problems.push(...memory.problems);
    result.problems = problems;
    result.log = logFile;
    return result;
  } finally {
    for (const cleanup of cleanups) await Promise.resolve(cleanup()).catch(() => undefined);
  }
}

/**
 * Wait until the app has recovered from the fault (see TrafficStats.recoveryMs), for at most
 * RECOVERY_WAIT_LIMIT_S. Answers the recovery time in ms, or null when it did not recover.
 */
async function untilRecovered(stats, faultStart, faultEnd) {
  const limit = faultEnd + RECOVERY_WAIT_LIMIT_S * 1000;
  for (;;) {
    const recoveryMs = stats.recoveryMs(faultStart, faultEnd);
    if (recoveryMs !== null) return recoveryMs;
    if (performance.now() > limit) return null;
    await delay(500);
  }
}

/** Once-a-second memory samples (no GC) from `app` until `signal` aborts; ms since `t0`. */
async function sampleMemory(app, t0, signal) {
  const series = [];
  while (!signal.aborted) {
    const s = await app.stats({ gc: false }).catch(() => null);
    if (s)
      series.push({
        atMs: performance.now() - t0,
        rss: s.rss,
        heapUsed: s.heapUsed,
        readyListeners: s.redisListeners?.ready ?? 0,
      });
    await delay(SAMPLE_EVERY_MS);
  }
  return series;
}

const mb = (bytes) => +(bytes / MB).toFixed(1);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};
const total = (resources) => Object.values(resources ?? {}).reduce((sum, n) => sum + n, 0);

/** The memory figures of one scenario and what in them fails it (see HEAP_RETURN_LIMIT_MB). */
function memoryAroundFault({
  series,
  t0,
  faultStart,
  faultEnd,
  recoveryMs,
  before,
  after,
  idle,
  idleStart,
}) {
  const at = (instant) => instant - t0;
  // Before: after the first second of traffic (connections opening), up to the fault.
  const pre = series.filter((s) => s.atMs >= 1_000 && s.atMs < at(faultStart));
  const during = series.filter((s) => s.atMs >= at(faultStart) && s.atMs <= at(faultEnd));
  const duringListeners = Math.max(0, ...during.map((s) => s.readyListeners));
  // After: from the recovery on (from the fault's end if it never recovered: reported anyway).
  const post = series.filter((s) => s.atMs >= at(faultEnd) + (recoveryMs ?? 0));
  const memory = {
    heapBeforeMb: mb(before.heapUsed),
    heapBeforePeakMb: pre.length ? mb(Math.max(...pre.map((s) => s.heapUsed))) : null,
    heapDuringPeakMb: during.length ? mb(Math.max(...during.map((s) => s.heapUsed))) : null,
    heapAfterMb: mb(after.heapUsed),
    heapIdleMb: mb(idle.heapUsed),
    heapReturnMb: mb(after.heapUsed - before.heapUsed),
    rssBeforeMedianMb: mb(median(pre.map((s) => s.rss))),
    rssBeforeMaxMb: mb(Math.max(...pre.map((s) => s.rss))),
    rssDuringPeakMb: during.length ? mb(Math.max(...during.map((s) => s.rss))) : null,
    rssAfterMedianMb: mb(median(post.map((s) => s.rss))),
    rssIdleMb: mb(idle.rss),
    sessionsBefore: before.sessions,
    sessionsAfter: after.sessions,
    resourcesIdleBefore: idleStart.resources,
    resourcesIdleAfter: idle.resources,
    redisListenersIdleBefore: idleStart.redisListeners,
    // The most 'ready' listeners on the Redis client in a sample during the fault.
    redisReadyListenersDuringPeak: during.length ? duringListeners : null,
    redisListenersIdleAfter: idle.redisListeners,
    samples: { before: pre.length, during: during.length, after: post.length },
    problems: [],
  };
  if (memory.heapReturnMb > HEAP_RETURN_LIMIT_MB)
    memory.problems.push(
      `heap did not come back: ${memory.heapBeforeMb} MB before the fault, ${memory.heapAfterMb} MB after (limit +${HEAP_RETURN_LIMIT_MB} MB)`,
    );
  if (post.length === 0 || pre.length === 0)
    memory.problems.push('too few memory samples before or after the fault');
  else if (memory.rssAfterMedianMb > memory.rssBeforeMaxMb + RSS_RETURN_LIMIT_MB)
    memory.problems.push(
      `RSS did not come back: median ${memory.rssAfterMedianMb} MB after the fault, at most ${memory.rssBeforeMaxMb} MB before (limit +${RSS_RETURN_LIMIT_MB} MB)`,
    );
  // Listeners a call adds while it waits for the Redis connection must be gone once idle.
  for (const [event, count] of Object.entries(idle.redisListeners ?? {})) {
    const was = idleStart.redisListeners?.[event] ?? 0;
    if (count > was + 2)
      memory.problems.push(
        `${count} '${event}' listeners on the Redis client idle after the run (${was} before)`,
      );
  }
  const extra = total(idle.resources) - total(idleStart.resources);
  if (extra > RESOURCE_SLACK)
    memory.problems.push(
      `${extra} more active resources idle after the run than before it: ${JSON.stringify(idle.resources)} vs ${JSON.stringify(idleStart.resources)}`,
    );
  return memory;
}

function markdown(report) {
  const lines = [
    `# Chaos under load${SHORT ? ' (short)' : ''}`,
    '',
    `${report.startedAt}; ${report.connections} connections, ${report.durationSeconds} s per scenario, fault at ${FAULT_AT_S} s; ` +
      `${report.cpus} CPUs, load average ${report.loadBefore.join(' / ')} before, ${report.loadAfter.join(' / ')} after. ` +
      `Command: \`npm run chaos${SHORT ? ' -- --short' : ''}\`.`,
    '',
    '| scenario | requests | 503 | no answer | max latency ms | p99 ms | fault ms | recovery ms | acknowledged writes (items + logins + logouts) | lost | heap after GC MB: before → after → idle | heap after − before MB | heap peak without GC MB: before → during | RSS MB: before (median / max) → during peak → after (median) → idle | app exited |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- | --: | --- | --- | --- |',
  ];
  for (const r of report.scenarios) {
    if (r.error) {
      lines.push(`| ${r.scenario} | failed to run: ${r.error} |`);
      continue;
    }
    const j = r.journal;
    const m = r.memory;
    lines.push(
      `| ${r.scenario} | ${r.requests} | ${r.status503} | ${r.noAnswer} | ${r.maxLatencyMs} | ${r.p99LatencyMs} | ${r.faultMs} | ${r.recoveryMs} | ` +
        `${j.acknowledgedItems} + ${j.acknowledgedLogins} + ${j.acknowledgedLogouts} | ${j.acknowledgedWritesLost}${r.mustKeepAcknowledged ? '' : ' (not required)'} | ` +
        `${m.heapBeforeMb} → ${m.heapAfterMb} → ${m.heapIdleMb} | ${m.heapReturnMb >= 0 ? '+' : ''}${m.heapReturnMb} | ` +
        `${m.heapBeforePeakMb ?? '–'} → ${m.heapDuringPeakMb ?? '–'} | ` +
        `${m.rssBeforeMedianMb} / ${m.rssBeforeMaxMb} → ${m.rssDuringPeakMb ?? '–'} → ${m.rssAfterMedianMb} → ${m.rssIdleMb} | ${r.appExited ? 'YES' : 'no'} |`,
    );
  }
  lines.push(
    '',
    `Memory: heap "before" and "after" are heap used after a full GC (--expose-gc), both under the same traffic: just before the fault, and ${SETTLE_S} s or more after the app recovered from it; the peaks are the highest of once-a-second samples without GC (garbage included) before and while the fault lasted; "idle" is after the traffic stopped, the journals were checked, ${SETTLE_S} s passed and a full GC ran. ` +
      `A scenario fails when heap after − before exceeds +${HEAP_RETURN_LIMIT_MB} MB (the leak signal), when the median RSS after recovery exceeds the highest RSS sample before the fault by more than ${RSS_RETURN_LIMIT_MB} MB ` +
      `(RSS is not a leak signal on its own: V8 and malloc keep pages they grew into, so it swings by tens of MB without any fault; see the control row), or when the app holds more than ${RESOURCE_SLACK} more active resources (timers, sockets) idle after the run than idle before it.`,
  );
  lines.push('', 'Scenarios:', '');
  for (const r of report.scenarios) {
    lines.push(`- **${r.scenario}**: ${r.description ?? ''}`);
    if (r.journal) {
      const j = r.journal;
      lines.push(
        `  statuses ${JSON.stringify(r.byStatus)}; lineages ${j.lineages}, closed after an unacknowledged login/logout ${j.uncertainLineages} (of which gone ${j.uncertainLineagesGone}); ` +
          `destroyed sessions resurrected ${j.resurrectedSessions}${r.backendsTerminated === undefined ? '' : `; backends terminated ${r.backendsTerminated}`}` +
          `; active resources idle before ${JSON.stringify(r.memory.resourcesIdleBefore)}, after ${JSON.stringify(r.memory.resourcesIdleAfter)}` +
          `${r.memory.sessionsAfter == null ? '' : `; sessions held before / after ${r.memory.sessionsBefore} / ${r.memory.sessionsAfter}`}` +
          `${r.memory.redisListenersIdleAfter == null ? '' : `; Redis client listeners idle before ${JSON.stringify(r.memory.redisListenersIdleBefore)}, 'ready' at most ${r.memory.redisReadyListenersDuringPeak} during the fault, idle after ${JSON.stringify(r.memory.redisListenersIdleAfter)}`}` +
          `${j.examples.length ? `; e.g. ${j.examples.join(', ')}` : ''}`,
      );
    }
    if (r.problems?.length) lines.push(`  **problems**: ${r.problems.join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main() {
  const only = args.only ? new RegExp(args.only) : null;
  const scenarios = SCENARIOS.filter(
    (s) => (!only || only.test(s.name)) && !(SHORT && s.skipShort && !only),
  );
  const report = {
    startedAt: new Date().toISOString(),
    short: SHORT,
    connections: CONNECTIONS,
    durationSeconds: DURATION_S,
    cpus: cpus().length,
    loadBefore: loadavg().map((n) => +n.toFixed(2)),
    scenarios: [],
  };
  for (const scenario of scenarios) {
    process.stdout.write(`chaos: ${scenario.name} (${DURATION_S} s) ... `);
    let result;
    try {
      result = await runScenario(scenario);
    } catch (error) {
      result = { scenario: scenario.name, error: error.message, problems: [error.message] };
    }
    report.scenarios.push(result);
    const j = result.journal;
    console.log(
      result.error
        ? `failed: ${result.error}`
        : `${result.requests} requests, ${result.status503} × 503, max ${result.maxLatencyMs} ms, recovery ${result.recoveryMs} ms, ` +
            `acknowledged ${j.acknowledgedItems} items / lost ${j.acknowledgedWritesLost}, heap ${result.memory.heapBeforeMb} → ${result.memory.heapAfterMb} MB, ` +
            `RSS ${result.memory.rssBeforeMedianMb} → ${result.memory.rssAfterMedianMb} MB (median)` +
            (result.problems.length ? `\n  PROBLEMS: ${result.problems.join('; ')}` : ''),
    );
  }
  report.loadAfter = loadavg().map((n) => +n.toFixed(2));
  mkdirSync(RESULTS, { recursive: true });
  const name = SHORT ? 'chaos-short' : 'chaos';
  writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(RESULTS, `${name}.md`), markdown(report));
  console.log(`chaos: results in bench/results/${name}.md`);
  const failed = report.scenarios.filter((r) => r.problems.length > 0);
  if (failed.length > 0) {
    console.error(`chaos: FAILED: ${failed.map((r) => r.scenario).join(', ')}`);
    process.exit(1);
  }
  process.exit(0);
}

await main();
