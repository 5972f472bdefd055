// Jest runs the TypeScript sources directly through ts-jest (ESM, transpile-only; `npm run typecheck`
// does the type checking). Unit tests and integration tests (*.int.test.ts: tests that start a real
// server such as PostgreSQL, an SMTP peer, a browser or a SIP peer) are two projects. The fuzz suite
// (*.fuzz.test.ts and the SIP fuzz test: seeded, bounded in count and time) is a third project that
// only `npm run test:fuzz` selects; `npm test` selects the other two, so nothing runs twice.
import type { Config } from 'jest';

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@caruso/([a-z-]+)/testing$': '<rootDir>/packages/$1/src/testing/index.ts',
    '^@caruso/([a-z-]+)/expression$': '<rootDir>/packages/$1/src/expression/index.ts',
    '^@caruso/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.tests.json' }],
  },
  setupFilesAfterEnv: ['<rootDir>/test/setup-after-env.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  roots: ['<rootDir>/packages', '<rootDir>/tools', '<rootDir>/examples'],
};

/** The fuzz suite's files: run by `npm run test:fuzz` only. */
const FUZZ = '\\.fuzz\\.test\\.ts$';
/** The SIP fuzz test (owned with the SIP adapter's tests) belongs to the fuzz suite too. */
const SIP_FUZZ = '/test/sip/sip-fuzz\\.int\\.test\\.ts$';

const config: Config = {
  // Open handles are checked per test file by test/setup-after-env.ts (a file that leaves a server,
  // socket, child process or UDP port behind fails). Jest's own --detectOpenHandles is not switched on
  // here: it runs every file in one process, and with ESM modules re-loaded per file that process
  // ran out of heap on CI. Workers are recycled once they hold more than 1.5 GB between files.
  maxWorkers: 2,
  workerIdleMemoryLimit: '1536MB',
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['**/test/**/*.test.ts'],
      testPathIgnorePatterns: [...shared.testPathIgnorePatterns, '\\.int\\.test\\.ts$', FUZZ],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/test/**/*.int.test.ts'],
      testPathIgnorePatterns: [...shared.testPathIgnorePatterns, SIP_FUZZ],
    },
    {
      ...shared,
      displayName: 'fuzz',
      testMatch: ['**/test/**/*.fuzz.test.ts', '**/test/sip/sip-fuzz.int.test.ts'],
    },
  ],
};

export default config;
