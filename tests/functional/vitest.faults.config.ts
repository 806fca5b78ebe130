import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The fault suite (tests/faults, `make test-faults`): it kills and pauses PostgreSQL, Redis, the SMTP sink and
// Tollgate itself under load, so its files run one at a time. Its files import only `vitest`, node built-ins and
// this package's harness (bare packages would not resolve from tests/faults).
const here = path.dirname(fileURLToPath(import.meta.url));
export default defineConfig({
  test: {
    root: path.resolve(here, '..'),
    environment: 'node',
    include: ['faults/**/*.test.ts'],
    globalSetup: [path.join(here, 'harness/global-setup.ts')],
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    minWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
