import type { RunResult } from './run-scale.js';

export interface ScaleReport {
  date: string;
  node: string;
  connections: number;
  processes: number;
  nodeTimeoutMs: number;
  results: RunResult[];
}

const ms = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : `${(value / 1000).toFixed(1)} s`;

/** The markdown page of `npm run scale`. */
export function renderScaleReport(report: ScaleReport): string {
  const lines = [
    '# Scale-out: failover under load',
    '',
    `${report.date}, Node ${report.node}. Written by \`npm run scale\` (bench/scale/).`,
    '',
    `${report.processes} app processes (2 Express, 2 Fastify) on one store, ${report.connections} connections of mixed ` +
      'traffic rotating over them (half reads, appends with and without `@SessionLock()`, prefs ' +
      'writes; each client journals the appends a 2xx acknowledged). A fault after an 8 s ' +
      'baseline; traffic until 8 s without a failure. The cluster-node-timeout / ' +
      `down-after-milliseconds is ${report.nodeTimeoutMs} ms. A killed server is started again ` +
      'once its replica is promoted (as a supervisor would) and rejoins as a replica. ' +
      '`waitForReplicas` on: `{ replicas: 1, timeoutMs: 500 }`. All on one shared 2-core machine.',
    '',
    '| run | fault | waitForReplicas | commit p50 / p99 (1 client) | write p50 / p99 (50 conns) | req/s | promoted after | replica back after | failed after fault (503 / other / conn. errors / timeouts) | failed reads / writes | last failure after fault | acknowledged appends | lost | stale reads | sessions vanished | app restarts |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const run of report.results) {
    const after = run.afterFault;
    const other = Object.values(after.otherStatuses).reduce((sum, count) => sum + count, 0);
    lines.push(
      `| ${run.name} | ${run.fault} | ${run.waitForReplicas ? 'on' : 'off'} | ` +
        `${run.commitLatencyMs.p50} / ${run.commitLatencyMs.p99} ms | ` +
        `${run.baseline.writeP50Ms} / ${run.baseline.writeP99Ms} ms | ${run.baseline.perSecond} | ` +
        `${ms(run.timeline.promotedAfterMs)} | ${ms(run.timeline.replicaBackAfterMs)} | ` +
        `${after.failed503} / ${other} / ${after.connectionErrors} / ${after.clientTimeouts} of ${after.requests} | ` +
        `${after.failedReads} / ${after.failedWrites} | ${ms(after.lastFailureMs)} | ` +
        `${run.acknowledgedAppends} | ${run.lostAppends}${run.unreadableAppends ? ` (+${run.unreadableAppends} unreadable)` : ''} | ` +
        `${run.staleReads} | ${run.sessionsVanished} | ${run.appProcessesRestarted} |`,
    );
  }
  lines.push(
    '',
    '## What `waitForReplicas` costs a commit',
    '',
    'At the store (no HTTP), one client, one commit after another, 5 interleaved rounds of 200 ' +
      'with the option off and on (`{ replicas: 1, timeoutMs: 500 }`), medians of the rounds:',
    '',
    '| deployment (run) | off p50 / p99 | on p50 / p99 | p50 cost |',
    '| --- | --- | --- | --- |',
    ...report.results.map((run) => {
      const cost = run.storeCommitCost;
      return (
        `| ${run.name} | ${cost.offP50Ms} / ${cost.offP99Ms} ms | ${cost.onP50Ms} / ${cost.onP99Ms} ms | ` +
        `+${Math.round((cost.onP50Ms - cost.offP50Ms) * 1000) / 1000} ms |`
      );
    }),
    '',
    '## What the failed requests said',
    '',
    ...report.results.flatMap((run) => [
      `- ${run.name}: ` +
        (run.afterFault.reasons.length === 0
          ? 'none'
          : run.afterFault.reasons
              .map(
                (r) =>
                  `${r.count}× "${r.reason}" (${ms(r.firstMs)} – ${ms(r.lastMs)} after the fault)`,
              )
              .join('; ')),
    ]),
    '',
    'Deployments: ' + [...new Set(report.results.map((run) => run.deployment))].join('; ') + '.',
    '',
    'Last failure per process after the fault: ' +
      report.results
        .map((run) => `${run.name} ${run.afterFault.lastFailureByProcessMs.map(ms).join(', ')}`)
        .join('; ') +
      '.',
    '',
    'Failures before the fault: ' +
      report.results.map((run) => `${run.name} ${run.failuresBeforeFault}`).join(', ') +
      '.',
    '',
  );
  return lines.join('\n');
}
