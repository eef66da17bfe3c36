/** Jest runs the TypeScript sources directly through ts-jest. Model-free tests and tests that need
 *  the native addon or the Python reference live side by side; the latter skip visibly when their
 *  prerequisite is absent (see test/helpers/requirements.ts). */
// Test workers skip LibTorch's slow static destructors at exit (native/addon/ProcessExit.h); workers inherit
// this process's environment.
process.env.EMBEDFORGE_FAST_EXIT = '1';

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
  testTimeout: 600000,
  maxWorkers: 2,
};
