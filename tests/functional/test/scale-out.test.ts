/**
 * Scale-out (issue 7, docs/scaling.md): three stateless Tollgate instances share one PostgreSQL and one Redis behind
 * nginx (Debian's, round-robin, on loopback). Checks:
 * - three instances started at once apply each migration exactly once;
 * - one global per-key rate limit is enforced across the instances within [95 %, 110 %] of the theoretical maximum;
 * - usage recorded by all instances adds up exactly to the answers given (raw events and rollups);
 * - a revoked key is refused by every instance within 1 s;
 * - background work runs once, not once per instance (a verification mail per sign-up, one invoice per period).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { printLogsOnFailure } from '../harness/vitest-helpers.js';
import { sharedDatabaseUrl, startServer, type TollgateServer } from '../harness/server.js';
import { createDatabase, dropDatabase } from '../harness/postgres.js';
import { startRedis, type RedisInstance } from '../harness/redis.js';
import { startSmtpSink, type SmtpSink } from '../harness/smtp.js';
import { freePort, canConnect } from '../harness/ports.js';
import { REPO_ROOT, makeTempDir, randomSecret, sleep } from '../harness/env.js';
import { trackChild } from '../harness/cleanup.js';
import { PUBLIC_URL, SUBJECTS, api, dbQuery, registerAccount } from './auth-helpers.js';
import { KEYS_ENV, VERIFY, createKey, createServiceToken, fastClient, newTenant, revokeKey, setPlan, verifyOk, verifyUntil } from './keys-helpers.js';
import { addUsage, insertPlan, localSubscription, until } from './billing-helpers.js';

const INSTANCES = 3;
const WINDOW_MS = 2000;
const LIMIT = 100;
const WINDOWS = 10;
const CLIENTS = 64;
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));

function nginxConf(dir: string, port: number, upstreams: number[]): string {
  // Root starts workers as `nobody` by default; they must be able to use the temp paths under `dir`.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${user}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream tollgate {
${upstreams.map((p) => `    server 127.0.0.1:${p};`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://tollgate;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream off;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
}

describe.skipIf(!NGINX)('three instances behind nginx on one PostgreSQL and one Redis', () => {
  printLogsOnFailure();
  let redis: RedisInstance;
  let sink: SmtpSink;
  let db: { name: string; url: string };
  let nginx: ChildProcess | undefined;
  const servers: TollgateServer[] = [];
  /** A TollgateServer-shaped handle whose baseUrl is the load balancer (helpers take a server). */
  let lb: TollgateServer;
  let svc: string;

  beforeAll(async () => {
    redis = await startRedis();
    sink = await startSmtpSink();
    db = await createDatabase(sharedDatabaseUrl());
    const env = {
      ...KEYS_ENV,
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      JWT_SECRET: randomSecret(48),
      KEY_RATE_WINDOW: '2s',
      SMTP_URL: sink.url,
      PUBLIC_URL,
      STRIPE_SECRET_KEY: '',
      BILLING_JOB_INTERVAL_SECONDS: '1',
      TRUSTED_PROXIES: '127.0.0.1/32',
      AUTO_MIGRATE: 'true',
    };
    // All three at once, on an empty database: they race for the migrations.
    servers.push(...(await Promise.all(Array.from({ length: INSTANCES }, () => startServer(env)))));
    const port = await freePort();
    const dir = makeTempDir('tg-nginx-');
    fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(dir, port, servers.map((s) => s.port)));
    nginx = spawn(NGINX!, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(nginx);
    let nginxOut = '';
    nginx.stderr!.on('data', (d) => (nginxOut += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (nginx.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not start: ${nginxOut}`);
      await sleep(50);
    }
    lb = { ...servers[0], baseUrl: `http://127.0.0.1:${port}`, port } as TollgateServer;
    svc = await createServiceToken(servers[0]);
  }, 120_000);

  afterAll(async () => {
    nginx?.kill('SIGTERM');
    for (const s of servers) await s.stop().catch(() => undefined);
    await sink?.close().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
    if (db) await dropDatabase(sharedDatabaseUrl(), db.name).catch(() => undefined);
  });

  it('migrations raced by three instances are applied once each', async () => {
    const files = fs.readdirSync(path.join(REPO_ROOT, 'migrations')).filter((f) => /^\d+_.*\.sql$/.test(f));
    const rows = (await dbQuery(servers[0], 'SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => Number(r.version));
    expect(rows).toEqual(files.map((f) => Number(f.split('_')[0])).sort((a, b) => a - b));
    const applied = servers.map((s) => s.logs().split('\n').filter((l) => l.includes('"migration applied"')).length);
    expect(applied.reduce((a, b) => a + b, 0), `"migration applied" lines per instance: ${applied}`).toBe(files.length);
  });

  it('the load balancer spreads calls over every instance', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const r = await fetch(`${lb.baseUrl}/healthz`);
      await r.arrayBuffer();
      seen.add(r.headers.get('x-upstream') ?? '');
    }
    expect(seen.size).toBe(INSTANCES);
  });

  it(`one global per-key limit across the instances: 2× the limit over ${WINDOWS} windows admits [95 %, 110 %] of the maximum; usage adds up exactly`, { timeout: 120_000 }, async () => {
    const t = await newTenant(lb, 'scale-rl');
    await setPlan(servers[0], t.orgId, 'pro'); // allow_overage: only the rate limit refuses
    const { key, secret } = await createKey(lb, t.token, { name: 'scale', rateLimitPerMinute: LIMIT });
    // Every instance has seen the plan change before the run (a cost-0 call takes no slot of the window).
    for (const s of servers) {
      const w = await verifyUntil(s, svc, { key: secret, cost: 0 }, 'VALID', 3000);
      expect(w.r.json.plan).toBe('pro');
    }
    await sleep(WINDOW_MS + 100);

    const client = fastClient(CLIENTS);
    const url = lb.baseUrl + VERIFY;
    const headers = { authorization: `Bearer ${svc}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ key: secret, endpoint: '/v1/scale', method: 'GET', cost: 1 });
    const offered = 2 * LIMIT * WINDOWS;
    const counts: Record<string, number> = {};
    let next = 0;
    const wall = Date.now();
    const startWall = Math.ceil((wall + 50) / WINDOW_MS) * WINDOW_MS + 5;
    const t0 = performance.now() + (startWall - wall);
    const duration = WINDOWS * WINDOW_MS;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= offered) return;
        const wait = t0 + (i * duration) / offered - performance.now();
        if (wait > 0) await sleep(wait);
        let code: string;
        try {
          const r = await client.post(url, headers, body);
          code = r.status === 200 ? String(JSON.parse(r.text).code) : `HTTP ${r.status}`;
        } catch (e) {
          code = `ERR ${(e as Error).message}`;
        }
        counts[code] = (counts[code] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, worker));
    client.close();
    const allowed = counts.VALID ?? 0;
    const max = WINDOWS * LIMIT;
    const detail = `${JSON.stringify(counts)}; theoretical maximum ${max}`;
    // eslint-disable-next-line no-console
    console.info(`[scale-out rate limit] ${detail}`);
    expect(allowed + (counts.RATE_LIMITED ?? 0), detail).toBe(offered);
    // Per-instance limits would admit about three times the maximum.
    expect(allowed, detail).toBeGreaterThanOrEqual(Math.floor(0.95 * max));
    expect(allowed, detail).toBeLessThanOrEqual(Math.ceil(1.1 * max));

    // Usage: every answer of every instance is one usage event, by code; rollups agree with the raw events.
    const answers = { ...counts };
    answers.VALID = (answers.VALID ?? 0) + INSTANCES; // the cost-0 warm-up calls
    const byCode = await until('usage from all instances shipped', async () => {
      const r = await dbQuery(servers[0], 'SELECT code, count(*)::int AS n FROM usage_events WHERE api_key_id = $1 GROUP BY code', [key.id]);
      const got: Record<string, number> = Object.fromEntries(r.rows.map((x) => [x.code, x.n]));
      const total = Object.values(got).reduce((a, b) => a + b, 0);
      return total >= offered + INSTANCES ? got : undefined;
    }, 30_000);
    expect(byCode).toEqual(answers);
    const raw = (await dbQuery(servers[0], 'SELECT count(*)::int AS n, coalesce(sum(cost), 0)::int AS cost FROM usage_events WHERE api_key_id = $1', [key.id])).rows[0];
    const rolled = (
      await dbQuery(servers[0], "SELECT coalesce(sum(requests), 0)::int AS n, coalesce(sum(cost_units), 0)::int AS cost FROM usage_rollups WHERE api_key_id = $1 AND bucket = 'hour'", [key.id])
    ).rows[0];
    expect(rolled).toEqual(raw);
    // No answer was recorded twice (each instance spools and ships its own events).
    const distinct = await dbQuery(servers[0], 'SELECT count(DISTINCT request_id)::int AS n FROM usage_events WHERE api_key_id = $1', [key.id]);
    expect(distinct.rows[0].n).toBe(raw.n);
  });

  it('a key revoked through the load balancer is refused by every instance within 1 s', async () => {
    const t = await newTenant(lb, 'scale-revoke');
    const k = await createKey(lb, t.token, { name: 'revoke', rateLimitPerMinute: 100000 });
    // Each instance has the key in its cache.
    for (const s of servers) expect((await verifyOk(s, svc, { key: k.secret, cost: 0 })).json.code).toBe('VALID');
    const r = await revokeKey(lb, t.token, k.key.id);
    expect(r.status, r.text).toBe(204);
    const seen = await Promise.all(servers.map((s) => verifyUntil(s, svc, { key: k.secret, cost: 0 }, 'REVOKED', 1500, 25)));
    for (const [i, w] of seen.entries()) {
      expect(w.sentAtMs, `instance ${i}: ${w.seen.join(',')}`).toBeGreaterThanOrEqual(0);
      expect(w.sentAtMs, `instance ${i}: ${w.seen.join(',')}`).toBeLessThanOrEqual(1000);
    }
  });

  it('background work runs once: one verification mail per sign-up, one invoice per billed period', { timeout: 60_000 }, async () => {
    const accounts = await Promise.all(Array.from({ length: 6 }, (_, i) => registerAccount(lb, {}, `scale-mail-${i}`)));
    for (const a of accounts) await sink.waitForMail({ to: a.email, subject: SUBJECTS.verify }, 20_000);
    // Three instances poll the outbox every second: give them time to send a duplicate, then count.
    await sleep(3000);
    for (const a of accounts) expect(sink.matching({ to: a.email, subject: SUBJECTS.verify })).toHaveLength(1);

    const t = await newTenant(lb, 'scale-bill');
    const { key } = await createKey(lb, t.token, { name: 'bill' });
    const plan = await insertPlan(servers[0], { name: 'Scale Metered', type: 'HYBRID', priceMonthly: 1000, includedUnits: 10, overagePrice: 2, overageBlock: 1, policy: 'allow_overage' });
    const end = new Date(Math.floor((Date.now() - 3_600_000) / 1000) * 1000);
    const start = new Date(end.getTime() - 30 * 86_400_000);
    await addUsage(servers[0], t.orgId, key.id, new Date(start.getTime() + 3_600_000), 15);
    await localSubscription(servers[0], t.orgId, plan.id, { start: `'${start.toISOString()}'::timestamptz`, end: `'${end.toISOString()}'::timestamptz` });
    await until('the invoice', async () => {
      const r = await dbQuery(servers[0], 'SELECT count(*)::int AS n FROM billing_records WHERE organization_id = $1', [t.orgId]);
      return r.rows[0].n > 0 ? true : undefined;
    }, 20_000);
    await sleep(3000); // several more ticks on every instance
    const recs = await dbQuery(servers[0], 'SELECT total_minor::int AS total FROM billing_records WHERE organization_id = $1', [t.orgId]);
    expect(recs.rows).toEqual([{ total: 1000 + 5 * 2 }]);
    const me = await api(lb, 'get', '/api/user/billing/invoices', { token: t.token });
    expect(me.status).toBe(200);
  });
});

