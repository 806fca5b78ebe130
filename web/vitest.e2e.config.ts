import { fileURLToPath } from 'node:url';
import { searchForWorkspaceRoot } from 'vite';
import { defineConfig } from 'vitest/config';

// Browser tests against a running server (E2E_BASE_URL); one at a time, slow machines welcome.
export default defineConfig({
  server: {
    fs: {
      // The billing test runs the functional tests' fake Stripe (tests/functional/harness/fake-stripe.ts) in-process.
      allow: [searchForWorkspaceRoot(process.cwd()), fileURLToPath(new URL('../tests/functional/harness', import.meta.url))],
    },
  },
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
