// npm run scale [run names...]: compile the scale harness and app from the current sources into
// a private directory (not dist/), run bench/scale/run-scale.ts there, remove the directory.
// Writes bench/results/scale.json and scale.md (scale-partial.* when runs are named).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
// Under node_modules so the compiled files resolve Nest, ioredis and pg from the repository.
const out = join(repo, 'node_modules', '.cache', 'nts-scale', `bench-${process.pid}`);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
let status;
try {
  const tsc = spawnSync(
    process.execPath,
    [
      join(repo, 'node_modules/typescript/bin/tsc'),
      '-p',
      'bench/scale/tsconfig.json',
      '--outDir',
      out,
    ],
    { cwd: repo, stdio: 'inherit' },
  );
  if (tsc.status !== 0) throw new Error('compiling the scale harness failed');
  const run = spawnSync(
    process.execPath,
    [join(out, 'bench/scale/run-scale.js'), ...process.argv.slice(2)],
    { cwd: repo, stdio: 'inherit' },
  );
  status = run.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(status);
