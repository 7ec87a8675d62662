// npm run chaos [-- --short] [--seconds N] [--only REGEX] [--connections N]
//
// Mixed traffic (reads, cart writes, logins, logouts) from 50 keep-alive connections against the
// app (bench/chaos/app.mjs, its own process) for 60 s per scenario while the store misbehaves.
// Every client journals what it was told was saved; afterwards every acknowledged write is
// checked (bench/chaos/traffic.mjs). Results: bench/results/chaos.{json,md}
// (`--short`: chaos-short.*). Exits 1 when an acknowledged write was lost where the store keeps
// what it acknowledged, when the app exited, or when its heap did not come back after the fault.
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
const DURATION_S = Number(args.seconds ?? process.env.CHAOS_SECONDS ?? (SHORT ? 12 : 60));
const CONNECTIONS = Number(args.connections);
/** Fault-free traffic before the fault (warm-up, and the "before" memory figure). */
const FAULT_AT_S = Math.max(3, Math.round(DURATION_S / 4));
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** A heap (after a full GC) larger than before the fault by more than this is a leak. */
const HEAP_GROWTH_LIMIT_MB = 32;

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

    const stats = new TrafficStats();
    const stopTraffic = new AbortController();
    const t0 = performance.now();
    const traffic = runTraffic({
      url: app.url,
      connections: CONNECTIONS,
      signal: stopTraffic.signal,
      stats,
    });
    await delay(FAULT_AT_S * 1000 - 1_000);
    const before = await app.stats();
    await delay(1_000);
    const faultStart = performance.now();
    await scenario.fault(ctx);
    const faultEnd = performance.now();
    const remaining = DURATION_S * 1000 - (faultEnd - t0);
    await delay(Math.max(remaining, 2_000));
    stopTraffic.abort();
    const { lineages, checkedBeforeLogout } = await traffic;
    const trafficMs = performance.now() - t0;
    const journal = mergeJournalChecks(
      await verifyJournals(app.url, lineages),
      checkedBeforeLogout,
    );
    const after = await app.stats();
    const recoveryMs = stats.recoveryMs(faultStart, faultEnd);
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
      recoveryMs: Math.round(recoveryMs),
      ...ctx.faultLog,
      journal,
      rssBeforeMb: +(before.rss / MB).toFixed(1),
      rssAfterMb: +(after.rss / MB).toFixed(1),
      heapBeforeMb: +(before.heapUsed / MB).toFixed(1),
      heapAfterMb: +(after.heapUsed / MB).toFixed(1),
      appExited: app.exit,
      mustKeepAcknowledged: scenario.mustKeepAcknowledged,
    };
    const problems = [];
    if (app.exit !== null) problems.push(`the app exited: ${JSON.stringify(app.exit)}`);
    if (scenario.mustKeepAcknowledged && journal.acknowledgedWritesLost > 0)
      problems.push(`${journal.acknowledgedWritesLost} acknowledged writes lost`);
    if (journal.unverifiable > 0)
      problems.push(`${journal.unverifiable} sessions could not be read back`);
    if (after.heapUsed - before.heapUsed > HEAP_GROWTH_LIMIT_MB * MB)
      problems.push(
        `heap grew from ${result.heapBeforeMb} to ${result.heapAfterMb} MB (limit +${HEAP_GROWTH_LIMIT_MB} MB)`,
      );
    if (journal.acknowledgedItems === 0) problems.push('no write was acknowledged at all');
    result.problems = problems;
    result.log = logFile;
    return result;
  } finally {
    for (const cleanup of cleanups) await Promise.resolve(cleanup()).catch(() => undefined);
  }
}

function markdown(report) {
  const lines = [
    `# Chaos under load${SHORT ? ' (short)' : ''}`,
    '',
    `${report.startedAt}; ${report.connections} connections, ${report.durationSeconds} s per scenario, fault at ${FAULT_AT_S} s; ` +
      `${report.cpus} CPUs, load average ${report.loadBefore.join(' / ')} before, ${report.loadAfter.join(' / ')} after. ` +
      `Command: \`npm run chaos${SHORT ? ' -- --short' : ''}\`.`,
    '',
    '| scenario | requests | 503 | no answer | max latency ms | p99 ms | fault ms | recovery ms | acknowledged writes (items + logins + logouts) | lost | RSS before → after MB | heap before → after MB | app exited |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- | --- | --- |',
  ];
  for (const r of report.scenarios) {
    if (r.error) {
      lines.push(`| ${r.scenario} | failed to run: ${r.error} |`);
      continue;
    }
    const j = r.journal;
    lines.push(
      `| ${r.scenario} | ${r.requests} | ${r.status503} | ${r.noAnswer} | ${r.maxLatencyMs} | ${r.p99LatencyMs} | ${r.faultMs} | ${r.recoveryMs} | ` +
        `${j.acknowledgedItems} + ${j.acknowledgedLogins} + ${j.acknowledgedLogouts} | ${j.acknowledgedWritesLost}${r.mustKeepAcknowledged ? '' : ' (not required)'} | ` +
        `${r.rssBeforeMb} → ${r.rssAfterMb} | ${r.heapBeforeMb} → ${r.heapAfterMb} | ${r.appExited ? 'YES' : 'no'} |`,
    );
  }
  lines.push('', 'Scenarios:', '');
  for (const r of report.scenarios) {
    lines.push(`- **${r.scenario}**: ${r.description ?? ''}`);
    if (r.journal) {
      const j = r.journal;
      lines.push(
        `  statuses ${JSON.stringify(r.byStatus)}; lineages ${j.lineages}, closed after an unacknowledged login/logout ${j.uncertainLineages} (of which gone ${j.uncertainLineagesGone}); ` +
          `destroyed sessions resurrected ${j.resurrectedSessions}${r.backendsTerminated === undefined ? '' : `; backends terminated ${r.backendsTerminated}`}` +
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
            `acknowledged ${j.acknowledgedItems} items / lost ${j.acknowledgedWritesLost}, heap ${result.heapBeforeMb} → ${result.heapAfterMb} MB` +
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
