/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// TypeScript is transpiled by @swc/jest (no type-check; `npm run typecheck` does that) into ESM,
// which jest runs under `node --experimental-vm-modules` (see the `test` script).
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  // Sources import siblings as `./x.js` (NodeNext); map that back to the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 60_000,
  // One owner of temp dirs (test/helpers/tempDirs.ts): removed after each file, and the suite's own
  // TMPDIR must be empty at the end (test/helpers/globalSetup.ts, globalTeardown.ts).
  setupFilesAfterEnv: ['<rootDir>/test/helpers/afterEachFile.ts'],
  globalSetup: '<rootDir>/test/helpers/globalSetup.ts',
  globalTeardown: '<rootDir>/test/helpers/globalTeardown.ts',
  maxWorkers: 2,
};

export default config;
