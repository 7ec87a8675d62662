import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(process.cwd());
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const versionOf = (name: string): string => manifest.devDependencies[name];

/**
 * The package as a user gets it: `npm pack`, installed into a scratch app outside the repo,
 * type-checked against the shipped .d.ts, booted, and one request round-trips its session.
 */
describe('the packed package in an app outside the repo', () => {
  let app: string;
  let tarball: string;

  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'typed-session-consumer-'));
    execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: 'pipe' });
    const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', app], {
      cwd: repo,
      encoding: 'utf8',
    });
    tarball = join(app, JSON.parse(packed)[0].filename);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: {
          'nestjs-typed-session': `file:${tarball}`,
          '@nestjs/common': versionOf('@nestjs/common'),
          '@nestjs/core': versionOf('@nestjs/core'),
          '@nestjs/platform-express': versionOf('@nestjs/platform-express'),
          'class-transformer': versionOf('class-transformer'),
          'class-validator': versionOf('class-validator'),
          'reflect-metadata': versionOf('reflect-metadata'),
          rxjs: versionOf('rxjs'),
          '@types/node': versionOf('@types/node'),
        },
      }),
    );
    execFileSync(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
      {
        cwd: app,
        stdio: 'pipe',
      },
    );
  }, 240_000);

  afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('is installed without its optional peers (pg, ioredis, Fastify, Terminus)', () => {
    // So the type-check and the boot below prove that neither needs them.
    for (const optional of ['pg', 'ioredis', '@nestjs/platform-fastify', '@nestjs/terminus']) {
      expect(existsSync(join(app, 'node_modules', optional))).toBe(false);
    }
  });

  it('ships ESM with type declarations behind an exports map', () => {
    const installed = JSON.parse(
      readFileSync(join(app, 'node_modules/nestjs-typed-session/package.json'), 'utf8'),
    );
    expect(installed.exports['.'].types).toBe('./dist/index.d.ts');
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
    expect(listing).toContain('package/dist/index.d.ts');
    expect(listing).not.toContain('package/src/');
    expect(listing).not.toContain('package/test/');
  });

  it('type-checks a TypeScript consumer against the shipped declarations', () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { SessionModule, SessionHandle, MemorySessionStore, RedisSessionStore, PostgresSessionStore, type SessionModuleOptions } from 'nestjs-typed-session';
export const stores = [RedisSessionStore, PostgresSessionStore];
const options: SessionModuleOptions = { secret: 'x'.repeat(32), store: new MemorySessionStore() };
export const mod = SessionModule.forRoot(options);
export function use(session: SessionHandle): number | undefined { return session.get<number>('n'); }
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          experimentalDecorators: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(repo, 'node_modules/typescript/bin/tsc');
    let diagnostics = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', app], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      diagnostics = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(diagnostics).toBe('');
  }, 60_000);

  it('boots a Nest app that uses the installed package, and a session round-trips', async () => {
    writeFileSync(
      join(app, 'main.mjs'),
      `import 'reflect-metadata';
import { Controller, Get, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IsInt } from 'class-validator';
import { Session, SessionModule, SessionSchema } from 'nestjs-typed-session';

class Counter { n = 0; }
IsInt()(Counter.prototype, 'n');
SessionSchema('counter')(Counter);

class CounterController {
  bump(counter) { counter.n += 1; return { n: counter.n }; }
  read(counter) { return { n: counter.n }; }
}
Session(Counter)(CounterController.prototype, 'bump', 0);
Post('bump')(CounterController.prototype, 'bump', Object.getOwnPropertyDescriptor(CounterController.prototype, 'bump'));
Session(Counter)(CounterController.prototype, 'read', 0);
Get('read')(CounterController.prototype, 'read', Object.getOwnPropertyDescriptor(CounterController.prototype, 'read'));
Controller()(CounterController);

class AppModule {}
Module({ imports: [SessionModule.forRoot({ secret: 'consumer-secret-consumer-secret-00' })], controllers: [CounterController] })(AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const url = await app.getUrl();
const first = await fetch(url + '/bump', { method: 'POST' });
const cookie = first.headers.get('set-cookie').split(';')[0];
await fetch(url + '/bump', { method: 'POST', headers: { cookie } });
const read = await (await fetch(url + '/read', { headers: { cookie } })).json();
console.log(JSON.stringify(read));
await app.close();
`,
    );
    const output = await new Promise<string>((done, fail) => {
      const child = spawn(process.execPath, ['main.mjs'], { cwd: app });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.stderr.on('data', (chunk) => (err += chunk));
      child.on('exit', (code) =>
        code === 0 ? done(out) : fail(new Error(`exit ${code}: ${err}`)),
      );
    });
    expect(JSON.parse(output.trim())).toEqual({ n: 2 });
  }, 60_000);
});
