// Jest runs the TypeScript sources directly through ts-jest (ESM, transpile-only; `npm run typecheck`
// does the type checking). Unit tests and integration tests (*.int.test.ts: tests that start a real
// server such as PostgreSQL, an SMTP peer, a browser or a SIP peer) are two projects.
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

const config: Config = {
  // CI runs with open-handle detection, so a leaked socket or timer fails loudly there.
  detectOpenHandles: Boolean(process.env['CI']),
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['**/test/**/*.test.ts'],
      testPathIgnorePatterns: [...shared.testPathIgnorePatterns, '\\.int\\.test\\.ts$'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/test/**/*.int.test.ts'],
    },
  ],
};

export default config;
