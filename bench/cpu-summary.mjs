// The CPU mode's results: medians over rounds, overhead over bare Nest, issue 10's targets, and
// the Markdown tables (bench/results/<out>-cpu.md).

/** The columns of the tables, per platform, in the order the chart draws them. */
export const ROLES = [
  { role: 'bare', label: 'bare Nest', match: (v) => v.kind === 'bare' },
  {
    role: 'noop-scoped',
    label: 'no-op interceptor, route-scoped',
    match: (v) => v.kind === 'floor' && v.floor === 'scoped',
  },
  {
    role: 'noop-params',
    label: 'no-op parameters',
    match: (v) => v.kind === 'floor' && v.floor === 'params',
  },
  {
    role: 'noop-global',
    label: 'no-op interceptor, global',
    match: (v) => v.kind === 'floor' && v.floor === 'global',
  },
  { role: 'lib', label: 'this library', match: (v) => v.kind === 'lib' },
  { role: 'peer', label: 'peer', match: (v) => v.kind === 'peer' },
];
export const PLATFORMS = [
  { platform: 'express', label: 'Express', peer: 'express-session' },
  { platform: 'fastify', label: 'Fastify', peer: '@fastify/session' },
];

function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Per variant × workload: medians over rounds, the per-round figures, and paired comparisons. */
export function summarizeCpu(results, selected, workloads, skipped, failures = new Map()) {
  const summary = { variants: {} };
  for (const v of selected) {
    const cells = {};
    for (const w of workloads) {
      const runs = results[v.name]?.[w.name] ?? [];
      const why = skipped.get(v.name) ?? failures.get(`${v.name}/${w.name}`);
      if (runs.length === 0) {
        cells[w.name] = { status: why ?? 'no result' };
        continue;
      }
      const wrong = runs.reduce((s, r) => s + r.wrong, 0);
      cells[w.name] = {
        status: wrong > 0 ? 'WRONG' : why ? `partly failed: ${why}` : 'ok',
        rounds: runs.length,
        cpuUs: median(runs.map((r) => r.cpuUsPerReq)),
        wallUs: median(runs.map((r) => r.wallUsPerReq)),
        mainUs: median(runs.map((r) => r.mainUsPerReq)),
        mainUsPerRound: runs.map((r) =>
          r.mainUsPerReq == null ? null : Math.round(r.mainUsPerReq * 10) / 10,
        ),
        cpuUsPerRound: runs.map((r) => Math.round(r.cpuUsPerReq * 10) / 10),
        wallUsPerRound: runs.map((r) => Math.round(r.wallUsPerReq * 10) / 10),
        checked: runs.reduce((s, r) => s + r.checked, 0),
        wrong,
        wrongSamples: [...new Set(runs.flatMap((r) => r.wrongSamples))].slice(0, 3),
      };
    }
    summary.variants[v.name] = {
      kind: v.kind,
      floor: v.floor ?? null,
      platform: v.platform,
      baseline: v.baseline,
      peer: v.peer ?? null,
      cells,
    };
  }
  // Paired with bare Nest on the same platform, round by round, then the median over rounds:
  // steadier on a noisy machine than the difference of two medians.
  for (const [name, entry] of Object.entries(summary.variants)) {
    for (const w of workloads) {
      const cell = entry.cells[w.name];
      if (cell.cpuUs == null || entry.kind === 'bare') continue;
      const a = results[name]?.[w.name] ?? [];
      const b = new Map((results[entry.baseline]?.[w.name] ?? []).map((r) => [r.round, r]));
      const pairs = a.filter((r) => b.has(r.round)).map((r) => [r, b.get(r.round)]);
      cell.overheadUs = median(pairs.map(([x, y]) => x.cpuUsPerReq - y.cpuUsPerReq));
      cell.vsBare = median(pairs.map(([x, y]) => x.cpuUsPerReq / y.cpuUsPerReq));
    }
  }
  return summary;
}

/** The variant of a role on a platform, if it ran. */
export function variantOf(summary, platform, role) {
  const spec = ROLES.find((r) => r.role === role);
  return Object.entries(summary.variants).find(([, v]) => v.platform === platform && spec.match(v));
}

/** Issue 10's in-process targets, each with its measured figures and a verdict. */
export function cpuTargets(summary) {
  const targets = [];
  for (const { platform, label, peer } of PLATFORMS) {
    const lib = variantOf(summary, platform, 'lib');
    const peerVariant = variantOf(summary, platform, 'peer');
    if (!lib) continue;
    const untouched = lib[1].cells.untouched;
    if (untouched?.vsBare != null) {
      // The controls: the no-op variants' GET /health is bare Nest's own method with nothing
      // attached, so their distance from bare is what this machine shows for a route that runs
      // no extra code in a process whose other routes do (an interceptor; custom parameters,
      // the shape this library's routes have).
      const controls = [
        ['interceptor', 'noop-scoped'],
        ['parameters', 'noop-params'],
      ]
        .map(([what, role]) => [what, variantOf(summary, platform, role)?.[1].cells.untouched])
        .filter(([, cell]) => cell?.vsBare != null)
        .map(([what, cell]) => `${what} ${cell.vsBare.toFixed(3)}×`);
      const controlText = controls.length
        ? `; controls, no extra code on the route, other routes with no-op ${controls.join(', ')}`
        : '';
      targets.push({
        platform,
        workload: 'untouched',
        target: `${label} untouched: within 3% of bare Nest`,
        measured: `${untouched.vsBare.toFixed(3)}× bare (${untouched.overheadUs >= 0 ? '+' : ''}${untouched.overheadUs.toFixed(1)} µs)${controlText}`,
        met: untouched.status === 'ok' && untouched.vsBare <= 1.03,
      });
    }
    for (const workload of ['read', 'write', 'login']) {
      const mine = lib[1].cells[workload];
      const theirs = peerVariant?.[1].cells[workload];
      if (mine?.overheadUs == null || theirs?.overheadUs == null) continue;
      const ratio = mine.overheadUs / theirs.overheadUs;
      targets.push({
        platform,
        workload,
        target: `${label} ${workload}: overhead over bare ≤ ½ of ${peer}'s`,
        measured: `+${mine.overheadUs.toFixed(1)} µs vs +${theirs.overheadUs.toFixed(1)} µs (${ratio.toFixed(2)}×)`,
        met:
          mine.status === 'ok' &&
          theirs.status === 'ok' &&
          mine.overheadUs <= 0.5 * theirs.overheadUs,
      });
    }
  }
  return targets;
}

const fmt = (value, digits = 0) => (value == null ? '-' : value.toFixed(digits));
const signed = (value) => (value == null ? '-' : `${value >= 0 ? '+' : ''}${value.toFixed(0)}`);

export function renderCpuMarkdown(meta, summary, targets, workloads, skipped, failures) {
  const lines = [];
  const roles = ROLES;
  lines.push('# nestjs-typed-session benchmark: CPU per request, in-process');
  lines.push('');
  lines.push(
    `${meta.date} · Node ${meta.node} · ${meta.cpu} · ${meta.platform} · load average ${meta.loadAvg ?? '?'} at the start · ` +
      `${meta.rounds} interleaved rounds × ${meta.requestsPerBatch} requests per variant and workload, each round in ${meta.slicesPerRound} slices alternating the variants, ` +
      `fresh processes every round (warm-up ${meta.warmupRequests} requests of each workload, ${meta.reWarmRequests} more before each workload's first slice) · no sockets: light-my-request (Express), ` +
      `Fastify's inject() · memory stores · library: ${meta.libraryLabel ?? meta.library}`,
  );
  lines.push('');
  lines.push(
    'µs of CPU time (user + system, the whole process) per request, median over the rounds; lower is better. ' +
      'It includes the injection itself (light-my-request or inject() builds the request and response ' +
      'objects), which bare Nest pays too. Overhead = variant − bare Nest on the same platform, ' +
      'taken within each round and then the median over rounds. "Main thread" (every-round table): the ' +
      "CPU time of the thread that runs the requests alone (Linux schedstat), without V8's GC and " +
      'compiler helper threads.',
  );
  for (const { platform, label, peer } of PLATFORMS) {
    const columns = roles
      .map((r) => [r, variantOf(summary, platform, r.role)])
      .filter(([, v]) => v);
    if (columns.length === 0) continue;
    const title = (r) => (r.role === 'peer' ? peer : r.label);
    lines.push('');
    lines.push(`## ${label}: µs CPU per request (overhead over bare in brackets)`);
    lines.push('');
    lines.push(`| workload | ${columns.map(([r]) => title(r)).join(' | ')} |`);
    lines.push(`| --- | ${columns.map(() => '---:').join(' | ')} |`);
    for (const w of workloads) {
      const cells = columns.map(([r, [, v]]) => {
        const c = v.cells[w.name];
        if (c?.cpuUs == null) return c?.status ?? '-';
        const mark = c.status === 'ok' ? '' : ' **WRONG**';
        return r.role === 'bare'
          ? `${fmt(c.cpuUs)}${mark}`
          : `${fmt(c.cpuUs)} (${signed(c.overheadUs)})${mark}`;
      });
      lines.push(`| ${w.name} | ${cells.join(' | ')} |`);
    }
  }
  lines.push('');
  lines.push('## Targets (issue 10)');
  lines.push('');
  lines.push('| target | measured | met |');
  lines.push('| --- | --- | --- |');
  for (const t of targets)
    lines.push(`| ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`);
  lines.push('');
  lines.push('## Every round');
  lines.push('');
  lines.push(
    '| variant | workload | µs CPU/req per round | main thread µs/req per round | µs wall/req (median) | ×bare | checked | check |',
  );
  lines.push('| --- | --- | --- | --- | ---: | ---: | ---: | --- |');
  for (const [name, v] of Object.entries(summary.variants)) {
    for (const w of workloads) {
      const c = v.cells[w.name];
      if (c?.cpuUs == null) {
        lines.push(`| ${name} | ${w.name} | - | - | - | - | - | ${c?.status ?? '-'} |`);
        continue;
      }
      const check =
        c.wrong > 0
          ? `**WRONG ${c.wrong}**: ${String(c.wrongSamples[0]).replace(/\|/g, '\\|')}`
          : c.status;
      lines.push(
        `| ${name} | ${w.name} | ${c.cpuUsPerRound.join(', ')} | ${c.mainUsPerRound.map((v) => v ?? '-').join(', ')} | ${fmt(c.wallUs, 1)} | ${c.vsBare == null ? '-' : fmt(c.vsBare, 2)} | ${c.checked} | ${check} |`,
      );
    }
  }
  const notRun = [...skipped, ...failures];
  if (notRun.length) {
    lines.push('');
    lines.push('Not run or failed:');
    for (const [name, why] of notRun) lines.push(`- ${name}: ${why}`);
  }
  lines.push('');
  return lines.join('\n');
}
