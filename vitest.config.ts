import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests (pure logic, in-process servers on loopback) and
// integration tests that boot real nodes, run ansible and talk to moto. Both run in CI.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          globalSetup: ['test/global-setup.ts'],
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.e2e.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          globalSetup: ['test/global-setup.ts'],
          include: ['test/**/*.e2e.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
