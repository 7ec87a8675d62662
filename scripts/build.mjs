// The package's two builds from one source: ES modules in dist/esm (for `import`, Nest 12 and
// ESM apps) and CommonJS in dist/cjs (for `require`, Nest 11 apps and Jest in CommonJS mode),
// each with its own declarations. dist/cjs/package.json marks that folder as CommonJS, so Node
// and TypeScript read its .js and .d.ts files as CommonJS despite the root's "type": "module".
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.build-cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
}
writeFileSync('dist/cjs/package.json', `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
