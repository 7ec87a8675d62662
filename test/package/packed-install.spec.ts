import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CONSUMER_APPS, writeConsumerApp } from './consumer-apps.js';

const repo = resolve(process.cwd());
const { name, version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));

interface Ran {
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string): Promise<Ran> {
  return new Promise((done, fail) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return done({ stdout, stderr });
      const what = `${command} ${args.join(' ')} in ${cwd}`;
      fail(new Error(`${what}: ${error.message}\n${stdout}\n${stderr}`.slice(0, 20_000)));
    });
  });
}

/**
 * The package as users get it: cloned fresh from HEAD (so `prepack` must build it), packed,
 * and installed from the registry's Nest into two apps outside the repo: a CommonJS Nest 11 app
 * and an ES module Nest 12 app. Each is type-checked and compiled, booted on Express and on
 * Fastify, and runs its own Jest tests and the shipped conformance suite under node:test.
 * Dependencies come through npm's cache (`--prefer-offline`), so a warm CI run downloads nothing.
 */
describe('the packed package in a Nest 11 CommonJS app and a Nest 12 ESM app', () => {
  const work = mkdtempSync(join(tmpdir(), 'typed-session-package-'));
  const tarball = join(work, `${name}-${version}.tgz`);
  const appDir = (app: string) => join(work, app);

  beforeAll(async () => {
    const clone = join(work, 'clone');
    await run('git', ['clone', '--quiet', repo, clone], work);
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    // The clone builds with the repo's tools; `npm pack` runs `prepack`, which builds.
    symlinkSync(join(repo, 'node_modules'), join(clone, 'node_modules'), 'dir');
    await run('npm', ['pack', '--pack-destination', work, '--loglevel=error'], clone);
    await Promise.all(
      CONSUMER_APPS.map(async (app) => {
        mkdirSync(appDir(app.name));
        writeConsumerApp(app, appDir(app.name), tarball);
        await run(
          'npm',
          ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
          appDir(app.name),
        );
      }),
    );
  }, 480_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('holds both builds, each with its declarations, and no sources or tests', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball], work);
    const files = stdout.split('\n');
    for (const build of ['esm', 'cjs']) {
      for (const entry of [
        'index',
        'stores/redis/index',
        'stores/postgres/index',
        'stores/express-session/index',
        'health/index',
        'testing/index',
      ]) {
        expect(files).toContain(`package/dist/${build}/${entry}.js`);
        expect(files).toContain(`package/dist/${build}/${entry}.d.ts`);
      }
    }
    expect(files).toContain('package/dist/cjs/package.json');
    expect(files.filter((file) => /^package\/(src|test|bench|sample)\//.test(file))).toEqual([]);
  });

  describe.each(CONSUMER_APPS)('$name', (app) => {
    const dir = () => appDir(app.name);

    it('is installed without the optional peers (ioredis, pg, Terminus, the event emitter)', () => {
      expect(existsSync(join(dir(), 'node_modules/@nestjs/core'))).toBe(true);
      const nest = JSON.parse(
        readFileSync(join(dir(), 'node_modules/@nestjs/core/package.json'), 'utf8'),
      );
      expect(nest.version.split('.')[0]).toBe(app.nest.replace('^', '').split('.')[0]);
      for (const optional of ['ioredis', 'pg', '@nestjs/terminus', '@nestjs/event-emitter']) {
        expect(existsSync(join(dir(), 'node_modules', optional))).toBe(false);
      }
    });

    it('type-checks against the shipped declarations and compiles', async () => {
      await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], dir());
      const main = readFileSync(join(dir(), 'dist/src/main.js'), 'utf8');
      expect(main.includes('require(')).toBe(app.format === 'commonjs');
    }, 120_000);

    it.each(['express', 'fastify'])(
      'boots on %s and round-trips a session over HTTP',
      async (platform) => {
        const { stdout } = await run(process.execPath, ['dist/src/main.js', platform], dir());
        expect(JSON.parse(stdout.trim())).toEqual({
          platform,
          read: { n: 2 },
          stores: ['function', 'function'],
        });
      },
      60_000,
    );

    it('passes its own Jest tests: the store overridden, the testing helpers, conformance', async () => {
      const jest = ['node_modules/jest/bin/jest.js', '--ci', '--json', '--outputFile=jest.json'];
      const flags = app.format === 'module' ? ['--experimental-vm-modules'] : [];
      await run(process.execPath, [...flags, ...jest], dir());
      const results = JSON.parse(readFileSync(join(dir(), 'jest.json'), 'utf8'));
      const titles = results.testResults.flatMap((file: { assertionResults: object[] }) =>
        file.assertionResults.map((test) => (test as { fullName: string }).fullName),
      );
      expect(titles).toContain(
        'the app on fastify with its store overridden round-trips a session through the overriding store',
      );
      expect(titles).toContain(
        'the app on express on a movable clock expires an idle session when the clock passes its idle timeout',
      );
      expect(results.numFailedTests).toBe(0);
      expect(results.numPassedTests).toBe(results.numTotalTests);
      expect(results.numTotalTests).toBeGreaterThan(30);
    }, 180_000);

    it('runs the shipped conformance suite under node:test', async () => {
      const file = `conformance.node.${app.format === 'commonjs' ? 'cjs' : 'mjs'}`;
      const { stdout } = await run(
        process.execPath,
        ['--test', '--test-reporter=tap', file],
        dir(),
      );
      expect(stdout).toMatch(/^# fail 0$/m);
      expect(Number(/^# pass (\d+)$/m.exec(stdout)?.[1])).toBeGreaterThan(25);
    }, 120_000);
  });

  it('shares SessionStore between its CommonJS and ESM builds, and refuses a second core', async () => {
    const script = `import 'reflect-metadata';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const core = await import('nestjs-typed-session');
const redisFromCommonJs = require('nestjs-typed-session/redis');
const store = Object.create(redisFromCommonJs.RedisSessionStore.prototype);
let second = 'loaded';
try { require('nestjs-typed-session'); } catch (error) { second = error.message; }
console.log(JSON.stringify({ instance: store instanceof core.SessionStore, second }));
`;
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', script],
      appDir('nest12-esm'),
    );
    const result = JSON.parse(stdout.trim());
    expect(result.instance).toBe(true);
    expect(result.second).toMatch(/loaded as ES module and now as CommonJS/);
  });
});
