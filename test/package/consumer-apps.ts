import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The two apps the package test installs the tarball into, generated from app-template/: a
 * CommonJS Nest 11 app as `nest new` makes it (tsc `module: commonjs`, Jest with ts-jest in
 * CommonJS mode) and an ES module Nest 12 app (tsc `nodenext`, Jest in its ESM mode). Both get
 * the same sources, tests and dependencies apart from Nest's major and the module system.
 */
export interface ConsumerApp {
  name: string;
  nest: string;
  format: 'commonjs' | 'module';
}

export const CONSUMER_APPS: ConsumerApp[] = [
  { name: 'nest11-commonjs', nest: '^11.1.0', format: 'commonjs' },
  { name: 'nest12-esm', nest: '^12.0.0', format: 'module' },
];

const template = resolve('test/package/app-template');
const repoManifest = JSON.parse(readFileSync('package.json', 'utf8'));
const repoVersion = (name: string): string => repoManifest.devDependencies[name];

/** Writes `app` into `dir`, depending on the packed package at `tarball`. */
export function writeConsumerApp(app: ConsumerApp, dir: string, tarball: string): void {
  cpSync(template, dir, { recursive: true });
  if (app.format === 'commonjs') stripJsExtensions(dir);
  const nest = (name: string) => [`@nestjs/${name}`, app.nest];
  const shared = (name: string) => [name, repoVersion(name)];
  const manifest = {
    name: app.name,
    private: true,
    type: app.format,
    dependencies: Object.fromEntries([
      ['nestjs-typed-session', `file:${tarball}`],
      ...['common', 'core', 'platform-express', 'platform-fastify', 'testing'].map(nest),
      ...['class-transformer', 'class-validator', 'reflect-metadata', 'rxjs'].map(shared),
    ]),
    devDependencies: Object.fromEntries([
      ...['typescript', 'jest', 'ts-jest', '@types/jest', '@types/node'].map(shared),
      ['supertest', '^7.1.0'],
      ['@types/supertest', '^6.0.3'],
    ]),
    jest: app.format === 'commonjs' ? COMMONJS_JEST : ESM_JEST,
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  const compilerOptions = {
    ...(app.format === 'commonjs'
      ? { module: 'commonjs', esModuleInterop: true } // moduleResolution: node10, the default
      : { module: 'nodenext', moduleResolution: 'nodenext' }),
    target: 'ES2022',
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    useDefineForClassFields: false,
    skipLibCheck: true,
    outDir: 'dist',
    rootDir: '.',
    types: ['node', 'jest'],
  };
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions, include: ['src', 'test'] }, null, 2),
  );
  writeFileSync(
    join(dir, `conformance.node.${app.format === 'commonjs' ? 'cjs' : 'mjs'}`),
    app.format === 'commonjs' ? NODE_TEST_COMMONJS : NODE_TEST_ESM,
  );
}

const COMMONJS_JEST = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  testRegex: '.*\\.e2e-spec\\.ts$',
  transform: { '^.+\\.(t|j)s$': 'ts-jest' },
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
};

const ESM_JEST = {
  rootDir: '.',
  testRegex: '.*\\.e2e-spec\\.ts$',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
};

const conformanceCall = `runSessionStoreConformance({
  name: 'memory store under node:test',
  runner: nodeTest,
  create: (clock) => new MemorySessionStore({ now: clock.now }),
  nativeTtl: false,
  manySessions: 500,
});
`;

const NODE_TEST_COMMONJS = `const nodeTest = require('node:test');
const { MemorySessionStore } = require('nestjs-typed-session');
const { runSessionStoreConformance } = require('nestjs-typed-session/testing');
${conformanceCall}`;

const NODE_TEST_ESM = `import * as nodeTest from 'node:test';
import { MemorySessionStore } from 'nestjs-typed-session';
import { runSessionStoreConformance } from 'nestjs-typed-session/testing';
${conformanceCall}`;

/** `nest new` apps import relative files without an extension. */
function stripJsExtensions(dir: string): void {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) stripJsExtensions(path);
    else if (path.endsWith('.ts')) {
      writeFileSync(
        path,
        readFileSync(path, 'utf8').replace(/(from '\.{1,2}\/[^']*)\.js'/g, "$1'"),
      );
    }
  }
}
