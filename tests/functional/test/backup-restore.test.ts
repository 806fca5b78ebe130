/**
 * Restore drill (issue 7): seed a Tollgate with users, keys, metered usage and an invoice, stop it, `tollgate backup`,
 * `tollgate restore` into a fresh PostgreSQL cluster, start Tollgate on the restored database and prove nothing
 * changed: every table's rows are identical, the key still verifies, the password still signs in, usage totals
 * and invoices answer the same. Also: restore refuses a non-empty database without --force, and --force on a
 * failed restore (a corrupt file) leaves the database as it was; backup prunes dumps older than the retention.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { printLogsOnFailure } from '../harness/vitest-helpers.js';
import { sharedDatabaseUrl, startServer, type TollgateServer } from '../harness/server.js';
import { createDatabase, dropDatabase, startPostgres, withDatabase, type PostgresInstance } from '../harness/postgres.js';
import { REPO_ROOT, TOLLGATE_BIN, makeTempDir } from '../harness/env.js';
import { api, dbQuery, loginOk } from './auth-helpers.js';
import { KEYS_ENV, createKey, createServiceToken, newTenant, verifyOk } from './keys-helpers.js';
import { addUsage, insertPlan, localEnv, localSubscription, until } from './billing-helpers.js';

const run = promisify(execFile);
const HOUR = 3_600_000;

// Every table whose rows a restore must bring back unchanged (the analytics tables are derived and rebuilt).
const TABLES = [
  'users', 'organizations', 'organization_members', 'sessions', 'api_keys', 'service_tokens', 'plans', 'subscriptions',
  'billing_records', 'invoice_lines', 'usage_events', 'usage_rollups', 'audit_log', 'api_endpoints', 'schema_migrations',
];

async function fingerprints(url: string): Promise<Record<string, string>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const out: Record<string, string> = {};
    for (const t of TABLES) {
      const r = await c.query(`SELECT count(*)::text AS n, coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '-') AS h FROM ${t} x`);
      out[t] = `${r.rows[0].n}:${r.rows[0].h}`;
    }
    return out;
  } finally {
    await c.end();
  }
}

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TOLLGATE_BIN, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('backup and restore drill', () => {
  printLogsOnFailure();
  const servers: TollgateServer[] = [];
  let cluster: PostgresInstance | undefined;
  let source: { name: string; url: string } | undefined;
  afterAll(async () => {
    for (const s of servers) await s.stop().catch(() => undefined);
    await cluster?.destroy().catch(() => undefined);
    if (source) await dropDatabase(sharedDatabaseUrl(), source.name).catch(() => undefined);
  });

  it('a restored backup on a fresh cluster serves the same users, keys, usage and invoices', { timeout: 240_000 }, async () => {
    const env = localEnv({ ...KEYS_ENV, BILLING_JOB_INTERVAL_SECONDS: '1' });
    // The source database is ours (not the harness's), so it outlives the server for the comparison.
    source = await createDatabase(sharedDatabaseUrl());
    const a = await startServer({ ...env, DATABASE_URL: source.url });
    servers.push(a);

    // Seed: a tenant with a key, metered calls through verify and the gateway, and a billed period.
    const t = await newTenant(a, 'drill');
    const { key, secret } = await createKey(a, t.token, { name: 'drill key', rateLimitPerMinute: 1000 });
    const svc = await createServiceToken(a);
    for (let i = 0; i < 15; i++) await verifyOk(a, svc, { key: secret, cost: 1 + (i % 3) });
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${a.baseUrl}/gw/echo?i=${i}`, { headers: { 'X-API-Key': secret } });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    }
    await until('20 usage events shipped', async () => {
      const r = await dbQuery(a, 'SELECT count(*)::int AS n FROM usage_events WHERE organization_id = $1', [t.orgId]);
      return r.rows[0].n === 20 ? true : undefined;
    }, 30_000);
    const plan = await insertPlan(a, { name: 'Drill Metered', type: 'HYBRID', priceMonthly: 2900, includedUnits: 10, overagePrice: 3, overageBlock: 1, policy: 'allow_overage' });
    const end = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000);
    const start = new Date(end.getTime() - 30 * 24 * HOUR);
    await addUsage(a, t.orgId, key.id, new Date(start.getTime() + HOUR), 25);
    await localSubscription(a, t.orgId, plan.id, { start: `'${start.toISOString()}'::timestamptz`, end: `'${end.toISOString()}'::timestamptz` });
    await until('the period-end invoice', async () => {
      const r = await dbQuery(a, 'SELECT count(*)::int AS n FROM billing_records WHERE organization_id = $1', [t.orgId]);
      return r.rows[0].n === 1 ? true : undefined;
    }, 30_000);

    // One fixed range for both reads: the billed period and today's calls.
    const summaryPath = `/api/user/usage/summary?from=${encodeURIComponent(new Date(start.getTime() - 24 * HOUR).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 2 * HOUR).toISOString())}`;
    const sb = await api(a, 'get', summaryPath, { token: t.token });
    expect(sb.status, sb.text).toBe(200);
    const summaryBefore = sb.json;
    const invoicesBefore = (await api(a, 'get', '/api/user/billing/invoices', { token: t.token })).json;
    expect(JSON.stringify(summaryBefore)).toMatch(/"requests":2\d/);
    expect(JSON.stringify(invoicesBefore)).toContain('TG-');

    // Stop the source so nothing changes between the dump and the comparison (SIGTERM flushes the spool).
    await a.stop();
    const sourceUrl = a.env.DATABASE_URL;
    const before = await fingerprints(sourceUrl);
    expect(before.usage_events.startsWith('20:')).toBe(true);
    expect(before.billing_records.startsWith('1:')).toBe(true);

    // Backup: a custom-format dump; an old one past the retention is pruned, a foreign file is left alone.
    const dir = makeTempDir('tg-backups-');
    fs.writeFileSync(path.join(dir, 'tollgate-20200101T000000Z.dump'), 'old');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'keep me');
    const cliEnv = { TOLLGATE_ENV: 'test', VAR_DIR: makeTempDir('tg-bk-var-'), DATABASE_URL: sourceUrl, BACKUP_RETENTION_DAYS: '30' };
    const b = await cli(['backup', '--dir', dir], cliEnv);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/backup: .*tollgate-\d{8}T\d{6}Z\.dump .*; 1 older than 30 days pruned/);
    const dumps = fs.readdirSync(dir).filter((f) => f.endsWith('.dump'));
    expect(dumps).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, 'notes.txt'))).toBe(true);
    expect(fs.statSync(path.join(dir, dumps[0])).mode & 0o077).toBe(0);
    // The password of the database never reaches the output.
    expect(b.stdout + b.stderr).not.toMatch(/postgresql:\/\//);

    // Restore into a fresh cluster.
    cluster = await startPostgres();
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE tollgate_restored');
    await admin.end();
    const targetUrl = withDatabase(cluster.url, 'tollgate_restored');
    const file = path.join(dir, dumps[0]);
    const r = await cli(['restore', file], { ...cliEnv, DATABASE_URL: targetUrl });
    expect(r.code, r.stderr).toBe(0);
    const after = await fingerprints(targetUrl);
    expect(after).toEqual(before);

    // A second restore into the now non-empty database is refused; --force with a corrupt file changes nothing.
    const again = await cli(['restore', file], { ...cliEnv, DATABASE_URL: targetUrl });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not empty/);
    const corrupt = path.join(dir, 'corrupt.dump');
    fs.writeFileSync(corrupt, fs.readFileSync(file).subarray(0, 4096));
    const bad = await cli(['restore', corrupt, '--force'], { ...cliEnv, DATABASE_URL: targetUrl });
    expect(bad.code).toBe(1);
    expect(await fingerprints(targetUrl)).toEqual(before);
    // --force with the good file replaces the schema and ends with the same rows.
    const forced = await cli(['restore', file, '--force'], { ...cliEnv, DATABASE_URL: targetUrl });
    expect(forced.code, forced.stderr).toBe(0);
    expect(await fingerprints(targetUrl)).toEqual(before);

    // Tollgate on the restored database: the key verifies, the password signs in, usage and invoices match.
    const c = await startServer({ ...env, DATABASE_URL: targetUrl, JWT_SECRET: a.env.JWT_SECRET });
    servers.push(c);
    const session = await loginOk(c, t.email, t.password);
    const token = session.accessToken;
    const summaryAfter = await api(c, 'get', summaryPath, { token });
    const invoicesAfter = await api(c, 'get', '/api/user/billing/invoices', { token });
    expect(summaryAfter.status).toBe(200);
    expect(summaryAfter.json).toEqual(summaryBefore);
    expect(invoicesAfter.json).toEqual(invoicesBefore);
    const svc2 = await createServiceToken(c);
    const v = await verifyOk(c, svc2, { key: secret, cost: 0 });
    expect(v.json).toMatchObject({ valid: true, code: 'VALID', keyId: key.id, organizationId: t.orgId });
  });
});
