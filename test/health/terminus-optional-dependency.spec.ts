import { describe, expect, it, jest } from '@jest/globals';

// @nestjs/terminus is an optional peer: only the `./health` entry imports it, so an app without
// it can load the core entry; the health entry says what it needs when it is imported.
jest.unstable_mockModule('@nestjs/terminus', () => {
  throw new Error("Cannot find package '@nestjs/terminus'");
});

describe('the package without @nestjs/terminus installed', () => {
  it('loads its core entry', async () => {
    const core = await import('../../src/index.js');
    expect(typeof core.SessionModule.forRoot).toBe('function');
  });

  it('fails to load only the health entry, naming the missing package', async () => {
    await expect(import('../../src/health/index.js')).rejects.toThrow(/@nestjs\/terminus/);
  });
});
