// The built library the bench measures: a private snapshot of `dist/`, and its exports gathered
// from every entry point that package.json's "exports" declares (`.`, and `./redis`,
// `./postgres`, ... once the stores move to entries of their own).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/**
 * A private copy of the built library (`dist/`, or BENCH_LIB's folder) that every process of this
 * run imports: others may rebuild `dist/` (rm -rf, then tsc) while the bench runs. Waits up to
 * 60 s for a build in progress to finish. Sets BENCH_LIB_SNAPSHOT for child processes and returns
 * the entry's file URL.
 */
export async function snapshotLibrary() {
  const entry = process.env.BENCH_LIB
    ? resolve(process.env.BENCH_LIB)
    : join(root, 'dist', 'index.js');
  const source = dirname(entry);
  // Under node_modules/.cache: ignored by git, ESLint and Prettier, and bare imports
  // (@nestjs/common, ...) still resolve to the project's node_modules.
  const target = join(root, 'node_modules', '.cache', 'nestjs-typed-session-bench', 'lib');
  for (let waited = 0; ; waited += 2) {
    // A build in progress has removed dist/ or not yet written index.js: wait, then copy.
    if (existsSync(entry)) {
      await new Promise((r) => setTimeout(r, 1_000)); // let tsc finish writing its files
      if (existsSync(entry)) break;
    }
    if (waited >= 60) throw new Error(`${entry} does not exist; run \`npm run build\``);
    await new Promise((r) => setTimeout(r, 2_000));
  }
  rmSync(target, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true });
  process.env.BENCH_LIB_SNAPSHOT = join(target, 'index.js');
  return pathToFileURL(join(target, 'index.js')).href;
}

/** The ESM files package.json's "exports" points at, relative to the build folder (dist/). */
function entryFiles() {
  const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const files = new Set(['index.js']);
  const pick = (target) => {
    if (typeof target === 'string') return target;
    if (target && typeof target === 'object')
      return pick(target.import ?? target.default ?? target.node);
    return undefined;
  };
  for (const [key, target] of Object.entries(exports ?? {})) {
    const file = pick(target);
    if (key === './package.json' || !file || !/\.m?js$/.test(file)) continue;
    files.add(relative(join(root, 'dist'), join(root, file)));
  }
  return [...files].filter((file) => !file.startsWith('..'));
}

/** Every export of every entry point of the library at `libUrl` (the snapshot's index.js). */
export async function loadLibrary(libUrl) {
  const base = dirname(fileURLToPath(libUrl));
  const merged = {};
  for (const file of entryFiles()) {
    const path = join(base, file);
    if (!existsSync(path)) continue;
    Object.assign(merged, await import(pathToFileURL(path).href));
  }
  return merged;
}
