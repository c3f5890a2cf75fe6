import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The third-party feed corpus stays outside the repository (its authors' licences): its suites run where it is.
const root = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(process.env.CRIER_CORPUS_DIR ?? path.join(root, '../shared/corpus/feeds'));
const corpusPresent = fs.existsSync(path.join(corpus, 'MANIFEST.tsv'));
if (!corpusPresent) {
  process.stderr.write(`third-party feed corpus not found at ${corpus} (set CRIER_CORPUS_DIR): corpus and round-trip suites not run\n`);
}

/** Jest runs the TypeScript sources as ESM (got is ESM-only). */
const typescript = {
  rootDir: root,
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

/**
 * Two projects: `unit` is pure code (no PostgreSQL, Redis or build; `npm run test:unit`),
 * `integration` runs against real services and the build (`global-setup.js` checks the
 * services and makes the template database from dist/). `npm test` runs both.
 */
export default {
  projects: [
    {
      ...typescript,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        ...(corpusPresent ? [] : ['/test/unit/feeds/(corpus|corpus-json-feed|corpus-meaning|round-trip)\\.test\\.ts$']),
      ],
    },
    {
      ...typescript,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/global-setup.js',
      globalTeardown: '<rootDir>/test/global-teardown.js',
    },
  ],
  testTimeout: 30000,
  maxWorkers: 2,
};
