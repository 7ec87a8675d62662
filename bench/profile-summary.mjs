// Summarise a V8 .cpuprofile (from BENCH_CPU_PROF=1 npm run bench): self time by function and by
// package, and inclusive time of the library's own functions.
//   node bench/profile-summary.mjs bench/results/profiles/<file>.cpuprofile [top]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Sample counts per node, weighted by time deltas.
const self = new Map();
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

function where(url) {
  if (!url) return '(native/V8)';
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1] === '.cache' ? 'nestjs-typed-session (this library)' : m[1];
  if (url.includes('/dist/')) return 'nestjs-typed-session (this library)';
  if (url.startsWith('node:')) return 'node core';
  if (url.includes('/bench/')) return 'bench app';
  return url;
}
const pct = (us) => `${((us / total) * 100).toFixed(1)}%`;

const selfByFn = new Map();
const selfByPkg = new Map();
const inclusiveLib = new Map();
for (const [id, us] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const key = `${cf.functionName || '(anonymous)'}  ${where(cf.url)}${cf.url ? ':' + (cf.lineNumber + 1) : ''} ${cf.url.split('/').pop()}`;
  selfByFn.set(key, (selfByFn.get(key) ?? 0) + us);
  const pkg = where(cf.url);
  selfByPkg.set(pkg, (selfByPkg.get(pkg) ?? 0) + us);
  // inclusive: every distinct library frame on the stack
  const seen = new Set();
  for (let p = id; p !== undefined; p = parent.get(p)) {
    const f = byId.get(p).callFrame;
    if (
      where(f.url) !== 'nestjs-typed-session (this library)' &&
      !/class-(validator|transformer)/.test(f.url)
    )
      continue;
    const k = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    if (seen.has(k)) continue;
    seen.add(k);
    inclusiveLib.set(k, (inclusiveLib.get(k) ?? 0) + us);
  }
}
const show = (title, map, n) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`  ${pct(us).padStart(6)}  ${k}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
show('self time by package', selfByPkg, 15);
show('self time by function', selfByFn, top);
show('inclusive time of library / class-validator / class-transformer frames', inclusiveLib, top);
