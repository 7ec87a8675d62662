// Summarise a V8 .cpuprofile (from `npm run bench -- --profile VARIANT:WORKLOAD`, or
// BENCH_CPU_PROF=1 in the socket mode): self time by package and by function, and inclusive time
// of the library's own functions (and class-validator's / class-transformer's).
//   node bench/profile-summary.mjs bench/results/profiles/<file>.cpuprofile [top]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LIBRARY = 'nestjs-typed-session (this library)';

/** Which package a script URL belongs to. */
function where(url) {
  if (!url) return '(native/V8: GC, builtins, program)';
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1] === '.cache' ? LIBRARY : m[1];
  if (url.includes('/dist/')) return LIBRARY;
  if (url.startsWith('node:')) return 'node core';
  if (url.includes('/bench/')) return 'bench app';
  return url;
}

/** The summary of the profile in `file`, as text. */
export function summarizeProfile(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Time per node: each sample weighted by its time delta.
  const self = new Map();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  // '(idle)': the thread had nothing to do (waiting on sockets); not part of the work shared out.
  let idle = 0;
  for (const [id, us] of self) {
    if (byId.get(id).callFrame.functionName === '(idle)') {
      idle += us;
      self.delete(id);
    }
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const pct = (us) => `${((us / total) * 100).toFixed(1)}%`;

  const selfByFn = new Map();
  const selfByPkg = new Map();
  const inclusiveLib = new Map();
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const pkg = where(cf.url);
    const key = `${cf.functionName || '(anonymous)'}  ${pkg}${cf.url ? ` ${cf.url.split('/').pop()}:${cf.lineNumber + 1}` : ''}`;
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + us);
    selfByPkg.set(pkg, (selfByPkg.get(pkg) ?? 0) + us);
    // Inclusive: every distinct library / class-validator / class-transformer frame on the stack.
    const seen = new Set();
    for (let p = id; p !== undefined; p = parent.get(p)) {
      const f = byId.get(p).callFrame;
      if (where(f.url) !== LIBRARY && !/class-(validator|transformer)/.test(f.url)) continue;
      const k = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
      if (seen.has(k)) continue;
      seen.add(k);
      inclusiveLib.set(k, (inclusiveLib.get(k) ?? 0) + us);
    }
  }
  const lines = [
    `${file}: ${(total / 1e6).toFixed(2)} s busy sampled (+${(idle / 1e6).toFixed(2)} s idle, left out)`,
  ];
  const show = (title, map, n) => {
    lines.push('', title);
    for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n))
      lines.push(`  ${pct(us).padStart(6)}  ${k}`);
  };
  show('self time by package', selfByPkg, 15);
  show('self time by function', selfByFn, top);
  show('inclusive time of library / class-validator / class-transformer frames', inclusiveLib, top);
  return lines.join('\n') + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [top]');
    process.exit(2);
  }
  process.stdout.write(summarizeProfile(file, Number(topArg ?? 25)));
}
