// Nest 12 ships as ES modules only, so Jest runs in its native ESM mode
// (node --experimental-vm-modules, started by scripts/test.mjs) and ts-jest emits ESM.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The sample imports the package by name; tests run it against the source, not dist/.
    '^nestjs-typed-session$': '<rootDir>/src/index.ts',
    '^nestjs-typed-session/health$': '<rootDir>/src/health/index.ts',
    '^nestjs-typed-session/gateway$': '<rootDir>/src/gateway/index.ts',
    '^nestjs-typed-session/redis$': '<rootDir>/src/stores/redis/index.ts',
    '^nestjs-typed-session/postgres$': '<rootDir>/src/stores/postgres/index.ts',
    '^nestjs-typed-session/express-session$': '<rootDir>/src/stores/express-session/index.ts',
    '^nestjs-typed-session/testing$': '<rootDir>/src/testing/index.ts',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
};
