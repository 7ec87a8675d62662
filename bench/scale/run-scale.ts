/**
 * `npm run scale`: what a Redis failover costs four app processes under load, with and without
 * `waitForReplicas`. For each run: a fresh deployment (cluster or sentinel), four app processes
 * (two Express, two Fastify), the per-commit latency of one sequential client, then 50
 * connections of mixed traffic; a fault is injected after a baseline; the traffic goes on until
 * nothing has failed for a while; then every acknowledged append is looked for.
 * Writes bench/results/scale.json and scale.md. Started by bench/scale.mjs, which compiles it.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { startAppProcesses, type AppProcess } from '../../test/scale/support/app-processes.js';
import type { WaitForReplicasConfig } from '../../test/scale/support/scale-app-config.js';
import { MixedTraffic, type TrafficEvent } from './mixed-traffic.js';
import {
  ClusterDeployment,
  NODE_TIMEOUT_MS,
  SentinelDeployment,
  type Deployment,
  type FaultTimeline,
} from './store-servers.js';
import { renderScaleReport } from './scale-report.js';
import { measureCommitCost, type CommitCost } from './commit-cost.js';

const here = dirname(fileURLToPath(import.meta.url));
const APP_ENTRY = join(here, '../../test/scale/support/scale-app.js');
const RESULTS = process.env.SCALE_RESULTS ?? join(process.cwd(), 'bench', 'results');
const CONNECTIONS = 50;
const PROCESSES = 4;
const BASELINE_MS = 8_000;
/** The traffic stops once nothing has failed for this long (and at least this long after). */
const QUIET_MS = 8_000;
const MAX_AFTER_FAULT_MS = 90_000;
const LATENCY_SAMPLES = 200;
const DURABLE: WaitForReplicasConfig = { replicas: 1, timeoutMs: 500 };

interface Run {
  name: string;
  deployment: 'cluster' | 'sentinel';
  fault: 'CLUSTER FAILOVER' | 'kill -9 master';
  waitForReplicas?: WaitForReplicasConfig;
}

const RUNS: Run[] = [
  { name: 'cluster-failover', deployment: 'cluster', fault: 'CLUSTER FAILOVER' },
  {
    name: 'cluster-failover-durable',
    deployment: 'cluster',
    fault: 'CLUSTER FAILOVER',
    waitForReplicas: DURABLE,
  },
  { name: 'cluster-kill', deployment: 'cluster', fault: 'kill -9 master' },
  {
    name: 'cluster-kill-durable',
    deployment: 'cluster',
    fault: 'kill -9 master',
    waitForReplicas: DURABLE,
  },
  { name: 'sentinel-kill', deployment: 'sentinel', fault: 'kill -9 master' },
  {
    name: 'sentinel-kill-durable',
    deployment: 'sentinel',
    fault: 'kill -9 master',
    waitForReplicas: DURABLE,
  },
];

export interface RunResult {
  name: string;
  deployment: string;
  fault: string;
  waitForReplicas: WaitForReplicasConfig | null;
  /** One sequential client over HTTP, no other traffic: ms per committed append. */
  commitLatencyMs: { p50: number; p99: number };
  /** At the store, one sequential client, waitForReplicas off and on, interleaved. */
  storeCommitCost: CommitCost;
  /** Under the 50 connections, before the fault. */
  baseline: { requests: number; perSecond: number; writeP50Ms: number; writeP99Ms: number };
  timeline: FaultTimeline;
  afterFault: {
    requests: number;
    failed503: number;
    otherStatuses: Record<string, number>;
    connectionErrors: number;
    clientTimeouts: number;
    /** From the fault to the last failed request, per process and overall (ms). */
    lastFailureMs: number | null;
    lastFailureByProcessMs: Array<number | null>;
    /** Failed requests split by kind. */
    failedReads: number;
    failedWrites: number;
    /** Failures by what they said, with the first and last time seen (ms after the fault). */
    reasons: Array<{ reason: string; count: number; firstMs: number; lastMs: number }>;
  };
  failuresBeforeFault: number;
  staleReads: number;
  sessionsVanished: number;
  acknowledgedAppends: number;
  lostAppends: number;
  unreadableAppends: number;
  /** The same app processes (PIDs) served from start to end: nothing was restarted. */
  appProcessesRestarted: number;
}

const failed = (event: TrafficEvent) => event.status !== 200;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (value: number) => Math.round(value * 100) / 100;

/** One client appending to its cart, rotating over the processes, one request at a time. */
async function commitLatency(apps: AppProcess[]): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  let cookie = '';
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    if (i % 40 === 0) cookie = ''; // a fresh session now and then keeps the cart small
    const began = performance.now();
    const response = await fetch(`${apps[i % apps.length].url}/cart/item`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify({ sku: `latency-${i}` }),
      signal: AbortSignal.timeout(5_000),
    });
    await response.text();
    if (response.status !== 200) throw new Error(`latency probe: status ${response.status}`);
    const set = response.headers.getSetCookie()[0];
    if (set) cookie = set.split(';')[0];
    // The first of each session creates it; the others are the steady case.
    if (i % 40 !== 0) times.push(performance.now() - began);
  }
  return { p50: round(percentile(times, 50)), p99: round(percentile(times, 99)) };
}

function reasonsOf(events: TrafficEvent[], faultAt: number): RunResult['afterFault']['reasons'] {
  const byReason = new Map<string, RunResult['afterFault']['reasons'][number]>();
  for (const event of events) {
    const reason = `${event.kind}: ${event.reason ?? String(event.status)}`;
    const at = round(event.at - faultAt);
    const seen = byReason.get(reason);
    if (seen) {
      seen.count++;
      seen.lastMs = at;
    } else byReason.set(reason, { reason, count: 1, firstMs: at, lastMs: at });
  }
  return [...byReason.values()].sort((a, b) => b.count - a.count);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function execute(run: Run): Promise<RunResult> {
  const deployment: Deployment =
    run.deployment === 'cluster'
      ? await ClusterDeployment.start()
      : await SentinelDeployment.start();
  let apps: AppProcess[] = [];
  try {
    const storeCommitCost = await measureCommitCost(deployment.storeConfig());
    apps = await startAppProcesses(APP_ENTRY, PROCESSES, {
      secret: 'scale-benchmark-secret-0123456789abcdef',
      store: deployment.storeConfig(run.waitForReplicas),
    });
    const commitLatencyMs = await commitLatency(apps);
    const traffic = new MixedTraffic(
      apps.map((app) => app.url),
      CONNECTIONS,
    );
    traffic.start();
    await new Promise((resolve) => setTimeout(resolve, BASELINE_MS));
    const faultAt = traffic.now();
    let timeline: FaultTimeline;
    try {
      timeline =
        run.fault === 'CLUSTER FAILOVER'
          ? await (deployment as ClusterDeployment).manualFailover()
          : await (deployment as ClusterDeployment | SentinelDeployment).killMaster();
    } catch (error) {
      await traffic.stop();
      throw error;
    }
    // Bounded: stop once quiet, or at the cap.
    for (;;) {
      const now = traffic.now();
      const lastFailure = traffic.events.filter(failed).at(-1)?.at ?? 0;
      if (now - faultAt > MAX_AFTER_FAULT_MS) break;
      if (now - faultAt > QUIET_MS && now - Math.max(lastFailure, faultAt) > QUIET_MS) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await traffic.stop();
    const verified = await traffic.verify();

    const before = traffic.events.filter((event) => event.at < faultAt);
    const after = traffic.events.filter((event) => event.at >= faultAt);
    const writes = before.filter((event) => event.kind === 'write' && !failed(event));
    const afterFailed = after.filter(failed);
    const otherStatuses: Record<string, number> = {};
    for (const event of afterFailed) {
      if (event.status > 0 && event.status !== 503) {
        otherStatuses[event.status] = (otherStatuses[event.status] ?? 0) + 1;
      }
    }
    const lastFailureBy = (app?: number) => {
      const last = afterFailed.filter((event) => app === undefined || event.app === app).at(-1);
      return last ? round(last.at - faultAt) : null;
    };
    return {
      name: run.name,
      deployment: deployment.description,
      fault: run.fault,
      waitForReplicas: run.waitForReplicas ?? null,
      commitLatencyMs,
      storeCommitCost,
      baseline: {
        requests: before.length,
        perSecond: Math.round(before.length / (faultAt / 1000)),
        writeP50Ms: round(
          percentile(
            writes.map((event) => event.ms),
            50,
          ),
        ),
        writeP99Ms: round(
          percentile(
            writes.map((event) => event.ms),
            99,
          ),
        ),
      },
      timeline: {
        promotedAfterMs: round(timeline.promotedAfterMs),
        replicaBackAfterMs:
          timeline.replicaBackAfterMs === undefined
            ? undefined
            : round(timeline.replicaBackAfterMs),
      },
      afterFault: {
        requests: after.length,
        failed503: afterFailed.filter((event) => event.status === 503).length,
        otherStatuses,
        connectionErrors: afterFailed.filter((event) => event.status === 0).length,
        clientTimeouts: afterFailed.filter((event) => event.status === -1).length,
        lastFailureMs: lastFailureBy(),
        lastFailureByProcessMs: apps.map((_, index) => lastFailureBy(index)),
        failedReads: afterFailed.filter((event) => event.kind === 'read').length,
        failedWrites: afterFailed.filter((event) => event.kind === 'write').length,
        reasons: reasonsOf(afterFailed, faultAt),
      },
      failuresBeforeFault: before.filter(failed).length,
      staleReads: traffic.staleReads,
      sessionsVanished: traffic.sessionsVanished,
      acknowledgedAppends: verified.acknowledged,
      lostAppends: verified.lost,
      unreadableAppends: verified.unreadable,
      appProcessesRestarted: apps.filter((app) => !alive(app.pid)).length,
    };
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await deployment.stop();
  }
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const runs = only.length ? RUNS.filter((run) => only.includes(run.name)) : RUNS;
  if (runs.length === 0) throw new Error(`no run named ${only.join(', ')}`);
  const results: RunResult[] = [];
  for (const run of runs) {
    process.stdout.write(`scale: ${run.name} ...\n`);
    const result = await execute(run);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    results.push(result);
  }
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    connections: CONNECTIONS,
    processes: PROCESSES,
    nodeTimeoutMs: NODE_TIMEOUT_MS,
    results,
  };
  const suffix = only.length ? '-partial' : '';
  writeFileSync(join(RESULTS, `scale${suffix}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(RESULTS, `scale${suffix}.md`), renderScaleReport(report));
  process.stdout.write(`scale: wrote ${join(RESULTS, `scale${suffix}.md`)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`scale failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
