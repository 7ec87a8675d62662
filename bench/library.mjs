// The built library the bench measures: a private snapshot of `dist/`, and its exports gathered
// from every entry point that package.json's "exports" declares (`.`, and `./redis`,
// `./postgres`, ... once the stores move to entries of their own).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/** What package.json's "exports" maps each entry to for `import` (e.g. './dist/esm/index.js'). */
function exportedFiles() {
  const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const pick = (target) => {
    if (typeof target === 'string') return target;
    if (target && typeof target === 'object')
      return pick(target.import ?? target.default ?? target.node);
    return undefined;
  };
  const files = new Map();
  for (const [key, target] of Object.entries(exports ?? {})) {
    const file = pick(target);
    if (key !== './package.json' && file && /\.m?js$/.test(file)) files.set(key, file);
  }
  return files;
}

/** The built ESM entry of the package ('.'), or BENCH_LIB. */
function mainEntry() {
  if (process.env.BENCH_LIB) return resolve(process.env.BENCH_LIB);
  return join(root, exportedFiles().get('.') ?? './dist/index.js');
}

/**
 * A private copy of the built library (the folder of the package's ESM entry, e.g. `dist/` or
 * `dist/esm/`, or BENCH_LIB's folder) that every process of this run imports: others may rebuild
 * `dist/` (rm -rf, then tsc) while the bench runs. Waits up to 60 s for a build in progress to
 * finish. Sets BENCH_LIB_SNAPSHOT for child processes and returns the entry's file URL.
 */
export async function snapshotLibrary() {
  const entry = mainEntry();
  const source = dirname(entry);
  // Under node_modules/.cache: ignored by git, ESLint and Prettier, and bare imports
  // (@nestjs/common, ...) still resolve to the project's node_modules.
  const target = join(root, 'node_modules', '.cache', 'nestjs-typed-session-bench', 'lib');
  for (let waited = 0; ; waited += 2) {
    // A build in progress has removed dist/ or not yet written the entry: wait, then copy.
    if (existsSync(entry)) {
      await new Promise((r) => setTimeout(r, 1_000)); // let the build finish writing its files
      if (existsSync(entry)) break;
    }
    if (waited >= 60) throw new Error(`${entry} does not exist; run \`npm run build\``);
    await new Promise((r) => setTimeout(r, 2_000));
  }
  rmSync(target, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true });
  const copied = join(target, basename(entry));
  process.env.BENCH_LIB_SNAPSHOT = copied;
  return pathToFileURL(copied).href;
}

/** The ESM files of every entry point, relative to the folder of the main entry. */
function entryFiles() {
  if (process.env.BENCH_LIB) return [basename(mainEntry())];
  const base = dirname(mainEntry());
  const files = [...exportedFiles().values()].map((file) => relative(base, join(root, file)));
  return files.filter((file) => !file.startsWith('..'));
}

/** Every export of every entry point of the library at `libUrl` (the snapshot's index.js). */
export async function loadLibrary(libUrl) {
  const base = dirname(fileURLToPath(libUrl));
  const merged = { ...(await import(libUrl)) };
  for (const file of entryFiles()) {
    const path = join(base, file);
    if (!existsSync(path)) continue;
    Object.assign(merged, await import(pathToFileURL(path).href));
  }
  return merged;
}
