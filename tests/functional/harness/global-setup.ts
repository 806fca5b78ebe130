import fs from 'node:fs';
import type { TestProject } from 'vitest/node';
import { TOLLGATE_BIN, REPO_ROOT } from './env.js';
import { startPostgres, type PostgresInstance } from './postgres.js';
import { startRedis, type RedisInstance } from './redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}

/**
 * Shared infrastructure. When the lead's script exported TEST_DATABASE_URL / TEST_REDIS_URL we use
 * those; otherwise we start a throwaway PostgreSQL cluster (scripts/pg.sh) and redis-server and stop
 * them at teardown.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!fs.existsSync(TOLLGATE_BIN)) {
    throw new Error(
      `TOLLGATE_BIN not found: ${TOLLGATE_BIN}. Build the server (build/release/tollgate) or set TOLLGATE_BIN.`,
    );
  }
  if (!fs.existsSync(`${REPO_ROOT}/api/openapi.yaml`)) {
    throw new Error(`REPO_ROOT looks wrong (no api/openapi.yaml): ${REPO_ROOT}`);
  }

  let pg: PostgresInstance | undefined;
  let redis: RedisInstance | undefined;

  let databaseUrl = process.env.TEST_DATABASE_URL;
  if (!databaseUrl) {
    pg = await startPostgres();
    databaseUrl = pg.url;
    process.env.TEST_DATABASE_URL = databaseUrl;
  }
  let redisUrl = process.env.TEST_REDIS_URL;
  if (!redisUrl) {
    redis = await startRedis();
    redisUrl = redis.url;
    process.env.TEST_REDIS_URL = redisUrl;
  }
  project.provide('databaseUrl', databaseUrl);
  project.provide('redisUrl', redisUrl);

  return async () => {
    if (redis) await redis.stop().catch(() => undefined);
    if (pg) await pg.destroy().catch(() => undefined);
  };
}
