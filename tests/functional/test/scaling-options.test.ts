/**
 * Scale-out options (docs/scaling.md):
 * - DB_TRANSACTION_POOLING behind a real PgBouncer (Debian's, pool_mode = transaction, which refuses the `options`
 *   startup parameter): sign-up, keys, verify, usage shipping (COPY into a temporary table) and revocation through
 *   LISTEN on DATABASE_LISTEN_URL all work;
 * - DATABASE_READ_URL: usage ranges and the admin analytics read through it (a role that may only SELECT: any write
 *   routed there would fail), the quota reads the primary;
 * - RESPONSE_CACHE_TTL: usage summaries and admin analytics are cached in Redis and invalidated by new rollups.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { printLogsOnFailure } from '../harness/vitest-helpers.js';
import { sharedDatabaseUrl, sharedRedisUrl, startServer, type TollgateServer } from '../harness/server.js';
import { createDatabase, dropDatabase } from '../harness/postgres.js';
import { freePort, canConnect } from '../harness/ports.js';
import { makeTempDir, randomSecret, sleep } from '../harness/env.js';
import { trackChild } from '../harness/cleanup.js';
import { api, dbQuery } from './auth-helpers.js';
import { KEYS_ENV, createKey, createServiceToken, newTenant, revokeKey, verifyOk, verifyUntil } from './keys-helpers.js';
import { ADMIN_ENV, adminSignIn } from './admin-helpers.js';
import { until } from './billing-helpers.js';

const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => fs.existsSync(p));

function urlParts(url: string): { host: string; port: number; db: string } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 5432), db: u.pathname.slice(1) };
}

describe.skipIf(!PGBOUNCER)('DB_TRANSACTION_POOLING behind PgBouncer (transaction mode)', () => {
  printLogsOnFailure();
  let bouncer: ChildProcess | undefined;
  let db: { name: string; url: string };
  let s: TollgateServer;

  beforeAll(async () => {
    db = await createDatabase(sharedDatabaseUrl());
    const { host, port: pgPort, db: name } = urlParts(db.url);
    const port = await freePort();
    const dir = makeTempDir('tg-pgbouncer-');
    fs.writeFileSync(
      path.join(dir, 'pgbouncer.ini'),
      `[databases]
${name} = host=${host} port=${pgPort} dbname=${name} user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${dir}/users.txt
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
logfile = ${dir}/pgbouncer.log
pidfile = ${dir}/pgbouncer.pid
`,
    );
    fs.writeFileSync(path.join(dir, 'users.txt'), '"postgres" ""\n');
    // PgBouncer refuses to run as root, like PostgreSQL.
    const root = process.getuid?.() === 0;
    if (root) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
    const cmd = root ? ['runuser', ['-u', 'postgres', '--', PGBOUNCER!, path.join(dir, 'pgbouncer.ini')]] : [PGBOUNCER!, [path.join(dir, 'pgbouncer.ini')]];
    bouncer = spawn(cmd[0] as string, cmd[1] as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(bouncer);
    let out = '';
    bouncer.stderr!.on('data', (d) => (out += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (bouncer.exitCode !== null || Date.now() > deadline) throw new Error(`pgbouncer did not start: ${out}`);
      await sleep(50);
    }
    const pooled = `postgresql://postgres@127.0.0.1:${port}/${name}`;
    s = await startServer({ ...KEYS_ENV, DATABASE_URL: pooled, DB_TRANSACTION_POOLING: 'true', DATABASE_LISTEN_URL: db.url });
  }, 90_000);

  afterAll(async () => {
    await s?.stop().catch(() => undefined);
    bouncer?.kill('SIGTERM');
    if (db) await dropDatabase(sharedDatabaseUrl(), db.name).catch(() => undefined);
  });

  it('migrations, sign-up, keys, verify, usage shipping and revocation work through the pooler', async () => {
    const t = await newTenant(s, 'bouncer');
    const { key, secret } = await createKey(s, t.token, { name: 'pooled' });
    const svc = await createServiceToken(s);
    for (let i = 0; i < 5; i++) expect((await verifyOk(s, svc, { key: secret, cost: 1 })).json.code).toBe('VALID');
    await until('usage shipped through the pooler', async () => {
      const r = await dbQuery(s, 'SELECT count(*)::int AS n FROM usage_events WHERE api_key_id = $1', [key.id]);
      return r.rows[0].n === 5 ? true : undefined;
    }, 20_000);
    const summary = await api(s, 'get', '/api/user/usage/summary', { token: t.token });
    expect(summary.status).toBe(200);
    expect(summary.json.requests).toBe(5);
    // Revocation reaches the key cache through LISTEN on the direct connection.
    expect((await revokeKey(s, t.token, key.id)).status).toBe(204);
    const w = await verifyUntil(s, svc, { key: secret, cost: 0 }, 'REVOKED', 1500);
    expect(w.sentAtMs, w.seen.join(',')).toBeGreaterThanOrEqual(0);
  });

  it('without DATABASE_LISTEN_URL the setting is refused at start (exit 2, one message)', async () => {
    await expect(startServer({ DATABASE_URL: db.url, DB_TRANSACTION_POOLING: 'true' }, { startTimeoutMs: 5000 })).rejects.toThrow();
  });
});

describe('DATABASE_READ_URL and RESPONSE_CACHE_TTL', () => {
  printLogsOnFailure();
  const reader = `tg_reader_${randomSecret(6).toLowerCase().replace(/[^a-z0-9]/g, '')}`;
  let db: { name: string; url: string };
  let s: TollgateServer;
  const server = () => s;
  const asDb = (url: string) => ({ env: { DATABASE_URL: url } }) as unknown as TollgateServer;
  beforeAll(async () => {
    db = await createDatabase(sharedDatabaseUrl());
    // The "replica": a role that may read everything and write nothing (roles are per cluster).
    await dbQuery(asDb(db.url), `CREATE ROLE ${reader} LOGIN`);
    s = await startServer({
      ...KEYS_ENV,
      ...ADMIN_ENV,
      DATABASE_URL: db.url,
      DATABASE_READ_URL: db.url.replace('postgresql://postgres@', `postgresql://${reader}@`),
      REDIS_URL: sharedRedisUrl(),
      RESPONSE_CACHE_TTL: '60s',
    });
    // Migrated by now (startServer waits for /readyz): SELECT on what exists.
    await dbQuery(s, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${reader}`);
  }, 90_000);
  afterAll(async () => {
    await s?.stop().catch(() => undefined);
    if (db) await dropDatabase(sharedDatabaseUrl(), db.name).catch(() => undefined);
    await dbQuery(asDb(sharedDatabaseUrl()), `DROP ROLE IF EXISTS ${reader}`).catch(() => undefined);
  });

  it('usage ranges are read through DATABASE_READ_URL, cached, and a new rollup invalidates the cache at once', async () => {
    const t = await newTenant(server(), 'read');
    const { key, secret } = await createKey(server(), t.token, { name: 'read' });
    const svc = await createServiceToken(server());
    expect((await verifyOk(server(), svc, { key: secret, cost: 2 })).json.code).toBe('VALID');
    await until('first call shipped', async () => {
      const r = await dbQuery(server(), 'SELECT count(*)::int AS n FROM usage_events WHERE api_key_id = $1', [key.id]);
      return r.rows[0].n === 1 ? true : undefined;
    });
    const first = await api(server(), 'get', '/api/user/usage/summary', { token: t.token });
    expect(first.status, first.text).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(first.json).toMatchObject({ requests: 1, costUnits: 2 });
    const second = await api(server(), 'get', '/api/user/usage/summary', { token: t.token });
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.json).toEqual(first.json);
    // The reader role served it: its connections exist and it ran the summary.
    const readers = await dbQuery(server(), 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [reader]);
    expect(readers.rows[0].n).toBeGreaterThan(0);

    expect((await verifyOk(server(), svc, { key: secret, cost: 3 })).json.code).toBe('VALID');
    const fresh = await until('the new rollup invalidates the cached summary', async () => {
      const r = await api(server(), 'get', '/api/user/usage/summary', { token: t.token });
      return r.json.requests === 2 ? r : undefined;
    });
    expect(fresh.json).toMatchObject({ requests: 2, costUnits: 5 });
    // The quota reads the primary (and is never cached).
    const quota = await api(server(), 'get', '/api/user/usage/quota', { token: t.token });
    expect(quota.status).toBe(200);
    expect(quota.headers.get('x-cache')).toBeNull();
  });

  it('the admin analytics report is read through DATABASE_READ_URL and cached', async () => {
    const admin = await adminSignIn(server(), 'read-admin');
    const a = await api(server(), 'get', '/api/admin/analytics', { token: admin.token });
    expect(a.status, a.text).toBe(200);
    expect(a.headers.get('x-cache')).toBe('miss');
    const b = await api(server(), 'get', '/api/admin/analytics', { token: admin.token });
    expect(b.headers.get('x-cache')).toBe('hit');
    expect(b.json).toEqual(a.json);
  });
});
