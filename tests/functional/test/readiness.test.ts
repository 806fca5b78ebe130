import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startServer, type TollgateServer } from '../harness/server.js';
import { startPostgres, type PostgresInstance } from '../harness/postgres.js';
import { startRedis, type RedisInstance } from '../harness/redis.js';
import { request, type FetchResult } from '../harness/http.js';
import { validateResponse } from '../harness/openapi.js';
import { sleep } from '../harness/env.js';

const READY_BUDGET_MS = 2000;

describe('readiness against a private PostgreSQL that goes down and comes back', () => {
  let pg: PostgresInstance;
  let server: TollgateServer;
  const healthz: FetchResult[] = [];

  beforeAll(async () => {
    pg = await startPostgres();
    server = await startServer({}, { adminDatabaseUrl: pg.url });
  });
  afterAll(async () => {
    await server?.stop();
    await pg?.destroy();
  });
  printLogsOnFailure(() => `--- private postgres log: ${pg?.dir}/postgres.log ---`);

  async function readyz(): Promise<FetchResult> {
    const r = await request(server.baseUrl + '/readyz', { timeoutMs: 10_000 });
    expect(r.ms, `/readyz took ${Math.round(r.ms)} ms (status ${r.status})`).toBeLessThan(READY_BUDGET_MS);
    expect([200, 503], `/readyz ${r.status}: ${r.text.slice(0, 300)}`).toContain(r.status);
    validateResponse('get', '/readyz', r.status, r.contentType, r.text);
    return r;
  }

  async function checkHealthz(): Promise<void> {
    const r = await request(server.baseUrl + '/healthz', { timeoutMs: 5000 });
    healthz.push(r);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ok' });
    expect(r.ms).toBeLessThan(1000);
  }

  it('200 ready while PostgreSQL is up (database up, migrations current, redis disabled)', async () => {
    const r = await readyz();
    expect(r.status).toBe(200);
    expect(r.json.status).toBe('ready');
    expect(r.json.checks.database.status).toBe('up');
    expect(r.json.checks.migrations.status).toBe('current');
    expect(r.json.checks.redis.status).toBe('disabled');
    await checkHealthz();
  });

  it('503 not_ready with Retry-After, each answer < 2 s, once PostgreSQL is stopped', async () => {
    await pg.stop();
    const t0 = Date.now();
    let first: FetchResult | undefined;
    while (Date.now() - t0 < 6000) {
      const r = await readyz();
      if (r.status === 503) {
        first = r;
        break;
      }
      await sleep(200);
    }
    expect(first, 'no 503 within 6 s of stopping PostgreSQL').toBeDefined();
    for (const r of [first!, await readyz(), await readyz(), await readyz()]) {
      expect(r.status).toBe(503);
      expect(r.json.status).toBe('not_ready');
      expect(r.json.checks.database.status).toBe('down');
      const ra = Number(r.headers.get('retry-after'));
      expect(Number.isInteger(ra) && ra > 0, `Retry-After=${r.headers.get('retry-after')}`).toBe(true);
      await checkHealthz();
    }
  });

  it('/api/version still answers (no database needed) while PostgreSQL is down', async () => {
    const r = await request(server.baseUrl + '/api/version', { timeoutMs: 5000 });
    expect(r.status).toBe(200);
    validateResponse('get', '/api/version', 200, r.contentType, r.text);
  });

  it('back to 200 within ~15 s after PostgreSQL restarts on the same port, without restarting the server', async () => {
    const pid = server.proc.pid;
    await pg.start();
    const t0 = Date.now();
    let ok: FetchResult | undefined;
    while (Date.now() - t0 < 15_000) {
      const r = await readyz();
      await checkHealthz();
      if (r.status === 200) {
        ok = r;
        break;
      }
      await sleep(500);
    }
    expect(ok, 'no 200 within 15 s of restarting PostgreSQL').toBeDefined();
    expect(ok!.json.status).toBe('ready');
    expect(ok!.json.checks.database.status).toBe('up');
    expect(server.proc.pid).toBe(pid);
    expect(server.proc.exitCode).toBeNull();
  });

  it('/healthz stayed 200 throughout', () => {
    expect(healthz.length).toBeGreaterThan(3);
    expect(healthz.every((r) => r.status === 200)).toBe(true);
  });
});

describe('readiness reports Redis but never requires it', () => {
  let redis: RedisInstance;
  let server: TollgateServer;
  beforeAll(async () => {
    redis = await startRedis();
    server = await startServer({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });
  printLogsOnFailure();

  it('200 with redis up', async () => {
    const r = await request(server.baseUrl + '/readyz');
    expect(r.status).toBe(200);
    validateResponse('get', '/readyz', 200, r.contentType, r.text);
    expect(r.json.checks.redis.status).toBe('up');
  });

  it('still 200 (redis reported down) once Redis is stopped, answered < 2 s', async () => {
    await redis.stop();
    const t0 = Date.now();
    let last: FetchResult | undefined;
    while (Date.now() - t0 < 6000) {
      last = await request(server.baseUrl + '/readyz', { timeoutMs: 10_000 });
      expect(last.ms).toBeLessThan(READY_BUDGET_MS);
      expect(last.status).toBe(200);
      validateResponse('get', '/readyz', 200, last.contentType, last.text);
      if (last.json.checks.redis.status === 'down') break;
      await sleep(250);
    }
    expect(last!.json.status).toBe('ready');
    expect(last!.json.checks.redis.status).toBe('down');
  });
});
