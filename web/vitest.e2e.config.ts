import { defineConfig } from 'vitest/config';

// Browser tests against a running server (E2E_BASE_URL); one at a time, slow machines welcome.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    maxConcurrency: 1,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    retry: 0,
  },
});
