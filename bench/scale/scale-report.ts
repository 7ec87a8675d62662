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
