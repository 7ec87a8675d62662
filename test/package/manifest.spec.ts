import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(process.cwd());
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const ENTRIES = [
  '.',
  './redis',
  './postgres',
  './express-session',
  './health',
  './gateway',
  './testing',
];
const GRAPHQL_PEERS = [
  '@nestjs/graphql',
  '@nestjs/apollo',
  '@nestjs/mercurius',
  '@apollo/server',
  'mercurius',
  'graphql',
];

function run(command: string, args: string[], cwd = repo): Promise<string> {
  return new Promise((done, fail) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      error
        ? fail(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stdout}\n${stderr}`))
        : done(stdout),
    );
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** `import { A, type B } from 'nestjs-typed-session…'` lines of the README's TypeScript blocks. */
function documentedImports(): Array<{ specifier: string; values: string[]; types: string[] }> {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
  const imports = blocks.flatMap((block) => [
    ...block.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'(nestjs-typed-session[^']*)'/g),
  ]);
  return imports.map(([, typeOnly, names, specifier]) => {
    const list = names
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    const isType = (name: string) => Boolean(typeOnly) || name.startsWith('type ');
    return {
      specifier,
      values: list.filter((name) => !isType(name)),
      types: list.filter(isType).map((name) => name.replace(/^type\s+/, '')),
    };
  });
}

describe('package.json and the README against the build', () => {
  let consumer: string;

  beforeAll(async () => {
    await run('npm', ['run', 'build', '--silent']);
    // An app outside the repo whose node_modules/nestjs-typed-session is this repo.
    consumer = mkdtempSync(join(tmpdir(), 'typed-session-manifest-'));
    mkdirSync(join(consumer, 'node_modules'));
    symlinkSync(repo, join(consumer, 'node_modules', manifest.name), 'dir');
    const reflect = join(repo, 'node_modules/reflect-metadata');
    symlinkSync(reflect, join(consumer, 'node_modules/reflect-metadata'), 'dir');
  }, 120_000);

  it('maps every entry, for import and for require, to code and types that exist', () => {
    expect(Object.keys(manifest.exports).sort()).toEqual([...ENTRIES, './package.json'].sort());
    for (const entry of ENTRIES) {
      for (const condition of ['import', 'require']) {
        const target = manifest.exports[entry][condition];
        // `types` first: TypeScript takes the first condition that matches.
        expect(Object.keys(target)).toEqual(['types', 'default']);
        expect(statSync(join(repo, target.types)).isFile()).toBe(true);
        expect(statSync(join(repo, target.default)).isFile()).toBe(true);
        expect(target.default).toContain(condition === 'import' ? '/esm/' : '/cjs/');
      }
    }
    // TypeScript's `moduleResolution: node10` (the default of `module: commonjs`) ignores
    // `exports`: the root `types` and `typesVersions` give it the CommonJS declarations.
    expect(manifest.types).toBe(manifest.exports['.'].require.types);
    for (const entry of ENTRIES.slice(1)) {
      expect(manifest.typesVersions['*'][entry.slice(2)]).toEqual([
        manifest.exports[entry].require.types,
      ]);
    }
  });

  it('builds prepack, and packs the builds, the README and nothing else', async () => {
    expect(manifest.scripts.prepack).toBe('npm run build');
    const [packed] = JSON.parse(
      await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts']),
    );
    const files: string[] = packed.files.map((file: { path: string }) => file.path);
    for (const entry of ENTRIES) {
      for (const condition of ['import', 'require']) {
        const { types, default: code } = manifest.exports[entry][condition];
        expect(files).toContain(types.slice(2));
        expect(files).toContain(code.slice(2));
      }
    }
    expect(files).toContain('dist/cjs/package.json');
    const outside = files.filter((file) => !file.startsWith('dist/'));
    expect(outside.sort()).toEqual(['README.md', 'package.json']);
  });

  it('declares every package the source imports, and no peer that nothing imports', () => {
    const imported = new Set<string>();
    for (const file of filesUnder(join(repo, 'src'))) {
      const text = readFileSync(file, 'utf8');
      const statements = /^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^'.][^']*)'/gm;
      const dynamic = /\bimport\(\s*'([^'.][^']*)'\s*\)/g;
      for (const [, specifier] of [...text.matchAll(statements), ...text.matchAll(dynamic)]) {
        if (specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
        imported.add(packageOf(specifier));
      }
    }
    const declared = { ...manifest.dependencies, ...manifest.peerDependencies };
    expect([...imported].filter((name) => !(name in declared))).toEqual([]);
    // Peers without an import: reflect-metadata (the library calls the Reflect.* API it adds),
    // the WebSocket adapters the gateway entry supports (the application picks and loads one),
    // and the GraphQL stack, whose resolvers the core finds by @nestjs/graphql's metadata keys
    // and arguments, never by importing it (declared for the versions it was written against).
    const unimported = new Set([
      'reflect-metadata',
      '@nestjs/platform-socket.io',
      '@nestjs/platform-ws',
      ...GRAPHQL_PEERS,
    ]);
    const unused = Object.keys(manifest.peerDependencies).filter(
      (name) => !imported.has(name) && !unimported.has(name),
    );
    expect(unused).toEqual([]);
  });

  it('core entry never loads ioredis, pg or a GraphQL package', async () => {
    const script = `require('reflect-metadata');
require('nestjs-typed-session');
const loaded = Object.keys(require.cache).filter((path) => /node_modules\\/(ioredis|pg|graphql|mercurius|@apollo|@nestjs\\/(graphql|apollo|mercurius))\\//.test(path));
console.log(JSON.stringify(loaded));`;
    expect(JSON.parse(await run(process.execPath, ['-e', script], consumer))).toEqual([]);
  });

  it('resolves every import the README shows, with require and with import', async () => {
    const imports = documentedImports();
    expect(imports.length).toBeGreaterThan(3);
    const script = `require('reflect-metadata');
const imports = ${JSON.stringify(imports)};
(async () => {
  const missing = [];
  for (const { specifier, values } of imports) {
    const required = require(specifier);
    const imported = await import(specifier);
    for (const name of values) {
      if (!(name in required)) missing.push('require ' + specifier + ' ' + name);
      if (!(name in imported)) missing.push('import ' + specifier + ' ' + name);
    }
  }
  console.log(JSON.stringify(missing));
})();`;
    expect(JSON.parse(await run(process.execPath, ['-e', script], consumer))).toEqual([]);

    // And the types, under both module systems: a .cts file resolves through `require`, an
    // .mts file through `import`.
    // One import per specifier: several README blocks import the same names.
    const bySpecifier = new Map<string, Set<string>>();
    for (const { specifier, values, types } of imports) {
      const names = bySpecifier.get(specifier) ?? new Set<string>();
      for (const name of values) names.add(name);
      for (const name of types) if (!names.has(name)) names.add(`type ${name}`);
      bySpecifier.set(specifier, names);
    }
    const lines = [...bySpecifier].map(
      ([specifier, names]) => `import { ${[...names].join(', ')} } from '${specifier}';`,
    );
    writeFileSync(join(consumer, 'readme.cts'), `${lines.join('\n')}\nexport {};\n`);
    writeFileSync(join(consumer, 'readme.mts'), `${lines.join('\n')}\nexport {};\n`);
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          experimentalDecorators: true,
          types: [],
        },
        files: ['readme.cts', 'readme.mts'],
      }),
    );
    await run(
      process.execPath,
      [join(repo, 'node_modules/typescript/bin/tsc'), '-p', consumer],
      consumer,
    );
  }, 60_000);
});
