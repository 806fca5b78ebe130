/**
 * Fault suite: PostgreSQL restarts under load (`pg_ctl restart -m fast` and `-m immediate`) on a private cluster
 * (run with synchronous_commit = on, the production default: see beforeAll).
 *
 * Load: 16 concurrent clients sending an open-loop, steady 320 requests/s (planned times, whatever the answers) of a
 * mix: half metered `POST /v1/keys/verify` (cost 1), half DB-backed /api requests with a bearer token
 * (GET /api/user/profile, PATCH /api/user/profile, GET /api/user/api-keys, PATCH /api/user/api-keys/{id});
 * /readyz is polled every 100 ms and PostgreSQL itself is probed every 20 ms from outside Tollgate.
 * Not asserted: that verify keeps answering from the key cache during the outage. It does not: a restart drops the
 * LISTEN connection, and Tollgate then clears the whole key cache (docs/architecture.md, "Metering"), so verify needs
 * the database like the rest; the share still answered 200 is printed.
 *
 * Per case it asserts:
 *   - no request hangs: every request gets an HTTP answer within MAX_LATENCY_MS
 *     (DB_CONNECT_TIMEOUT 2 s + DB_STATEMENT_TIMEOUT 5 s);
 *   - no failure among the requests answered before pg_ctl started;
 *   - every 5xx of the run is 503 application/problem+json with a positive integer Retry-After (no 500/502/504);
 *   - ≥ 99 % of the requests sent in the 5 s after PostgreSQL is back (pg_ctl returned: ready) succeed, and there
 *     is no 5xx at all among those sent in the 5 s after that;
 *   - /readyz answers 503 (with Retry-After) during the outage, 200 again within 5 s of PostgreSQL being back, and
 *     stays 200;
 *   - nothing metered is lost: after recovery every VALID verify answer has exactly one usage_events row (by
 *     X-Request-ID), no row lacks a VALID answer, and the hour and day rollups equal the raw events.
 * Printed besides: the restart's duration, when PostgreSQL refused and answered queries again (probe), Tollgate's
 * last 5xx relative to both, latencies, how many verify calls were answered during the outage, dial errors.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import crypto from 'node:crypto';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { printLogsOnFailure } from '../functional/harness/vitest-helpers.js';
import { startServer, type TollgateServer } from '../functional/harness/server.js';
import { startPostgres, type PostgresInstance } from '../functional/harness/postgres.js';
import { sleep } from '../functional/harness/env.js';
import { dbQuery } from '../functional/test/auth-helpers.js';
import { KEYS_ENV, VERIFY, createKey, createServiceToken, newTenant, setPlan, verifyOk, type Tenant } from '../functional/test/keys-helpers.js';

const run = promisify(execFile);

const PG_BIN = '/usr/lib/postgresql/15/bin';
const CLIENTS = 16;
/** Requests per second, all clients together (open loop: sent on schedule whatever the answers). */
const RATE = 320;
/** DB_CONNECT_TIMEOUT (2 s) + DB_STATEMENT_TIMEOUT (5 s): no request may take longer. */
const MAX_LATENCY_MS = 7000;
const WARMUP_MS = 2500;
const RECOVERY_MS = 5000;
const STEADY_MS = 5000;
/** Share of the requests sent in the RECOVERY_MS after PostgreSQL is back that must succeed. */
const RECOVERY_SUCCESS_MIN = 0.99;
const TENANTS = 4;

type Op = 'verify' | 'profile' | 'profile-patch' | 'keys-list' | 'key-patch';
/** Request i of the schedule is MIX[i % 8]: half verify, half DB-backed /api (two of those are writes). */
const MIX: Op[] = ['verify', 'profile', 'verify', 'keys-list', 'verify', 'profile-patch', 'verify', 'key-patch'];

interface Sample {
  op: Op;
  /** ms since the case's t0, when the request was sent / answered. */
  start: number;
  end: number;
  status?: number;
  error?: string;
  contentType?: string;
  retryAfter?: string;
  code?: string;
  requestId?: string;
}

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function send(agent: http.Agent, url: string, method: string, headers: Record<string, string>, body?: string, timeoutMs = 15_000): Promise<Res> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    const h: Record<string, string> = { ...headers };
    if (payload) h['content-length'] = String(payload.length);
    const req = http.request(url, { method, agent, headers: h }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Opens a PostgreSQL session over the wire protocol (trust authentication, no TLS) and resolves true once the server
 * says ReadyForQuery, false on an error message, a closed or refused connection, or after 2 s. (The `pg` client
 * would throw from an idle client when the server shuts down under it.)
 */
function pgSession(port: number, database: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      if (ok) sock.end(Buffer.from([0x58, 0, 0, 0, 4])); // Terminate
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 2000);
    sock.once('connect', () => {
      const params = Buffer.from(`user\0postgres\0database\0${database}\0\0`, 'utf8');
      const head = Buffer.alloc(8);
      head.writeInt32BE(8 + params.length, 0);
      head.writeInt32BE(196608, 4); // protocol 3.0
      sock.write(Buffer.concat([head, params]));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 5) {
        const type = String.fromCharCode(buf[0]!);
        const len = buf.readInt32BE(1);
        if (buf.length < 1 + len) return;
        if (type === 'E') return done(false);
        if (type === 'R' && buf.readInt32BE(5) !== 0) return done(false); // not trust: asks for a password
        if (type === 'Z') return done(true);
        buf = buf.subarray(1 + len);
      }
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

function pgCtl(dir: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const cmd = [`${PG_BIN}/pg_ctl`, '-D', `${dir}/data`, ...args];
  // PostgreSQL refuses to run as root: as root, pg_ctl runs as postgres (like scripts/pg.sh).
  if (process.getuid?.() === 0) return run('runuser', ['-u', 'postgres', '--', ...cmd], { timeout: 90_000 });
  return run(cmd[0]!, cmd.slice(1), { timeout: 90_000 });
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function metric(s: TollgateServer, name: string): Promise<number> {
  const r = await fetch(`${s.baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await r.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name + ' ') || line.startsWith(name + '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

describe('PostgreSQL restarts under load', () => {
  let pg: PostgresInstance;
  let server: TollgateServer;
  let svc: string;
  const tenants: Array<Tenant & { verifySecret: string; renameKeyId: string }> = [];

  beforeAll(async () => {
    pg = await startPostgres();
    server = await startServer({ ...KEYS_ENV }, { adminDatabaseUrl: pg.url });
    // scripts/pg.sh runs test clusters with synchronous_commit = off: a COMMIT is acknowledged before its WAL is
    // written, so `-m immediate` (a crash of PostgreSQL) may take back transactions it already acknowledged —
    // shipped usage batches included, whose spool offset Tollgate then rightly moved on. Production runs with the
    // default (on); so does this cluster.
    await dbQuery(server, `ALTER SYSTEM SET synchronous_commit = 'on'`);
    await dbQuery(server, 'SELECT pg_reload_conf()');
    for (let n = 0; (await dbQuery(server, 'SHOW synchronous_commit')).rows[0].synchronous_commit !== 'on'; n++) {
      expect(n, 'synchronous_commit = on took effect').toBeLessThan(50);
      await sleep(100);
    }
    svc = await createServiceToken(server);
    for (let i = 0; i < TENANTS; i++) {
      const t = await newTenant(server, `pgfault${i}`);
      await setPlan(server, t.orgId, 'pro'); // allow_overage: the quota never refuses
      const v = await createKey(server, t.token, { name: 'verify', rateLimitPerMinute: 1_000_000 });
      const k = await createKey(server, t.token, { name: 'renamed' });
      tenants.push({ ...t, verifySecret: v.secret, renameKeyId: k.key.id });
      // Load the key (and the plan change) into the verify path.
      for (let n = 0; ; n++) {
        const r = await verifyOk(server, svc, { key: v.secret, cost: 0 });
        if (r.json.code === 'VALID' && r.json.plan === 'pro') break;
        expect(n, `key of tenant ${i} VALID on the pro plan: ${r.text}`).toBeLessThan(50);
        await sleep(100);
      }
    }
  });
  afterAll(async () => {
    await server?.stop();
    await pg?.destroy();
  });
  printLogsOnFailure(() => `--- private postgres log: ${pg?.dir}/postgres.log ---`);

  for (const mode of ['fast', 'immediate'] as const) {
    it(`pg_ctl restart -m ${mode}: fast 503s with Retry-After, no hang, back within 5 s, no usage lost`, { timeout: 110_000 }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
      const readyAgent = new http.Agent({ keepAlive: true });
      const dbName = new URL(server.env.DATABASE_URL!).pathname.slice(1);
      const endpoint = `/v1/fault-pg-${mode}`;
      const samples: Sample[] = [];
      const readyz: Array<{ start: number; end: number; status?: number; retryAfter?: string; error?: string }> = [];
      const t0 = performance.now();
      const now = () => performance.now() - t0;
      let stop = false;

      const doOp = async (op: Op, t: (typeof tenants)[number]): Promise<Res> => {
        const auth = { authorization: `Bearer ${t.token}` };
        const json = { 'content-type': 'application/json' };
        switch (op) {
          case 'verify':
            return send(agent, server.baseUrl + VERIFY, 'POST', { authorization: `Bearer ${svc}`, ...json },
              JSON.stringify({ key: t.verifySecret, endpoint, method: 'GET', cost: 1 }));
          case 'profile':
            return send(agent, server.baseUrl + '/api/user/profile', 'GET', auth);
          case 'profile-patch':
            return send(agent, server.baseUrl + '/api/user/profile', 'PATCH', { ...auth, ...json },
              JSON.stringify({ company: `c-${crypto.randomBytes(4).toString('hex')}` }));
          case 'keys-list':
            return send(agent, server.baseUrl + '/api/user/api-keys', 'GET', auth);
          case 'key-patch':
            return send(agent, server.baseUrl + `/api/user/api-keys/${t.renameKeyId}`, 'PATCH', { ...auth, ...json },
              JSON.stringify({ name: `k-${crypto.randomBytes(4).toString('hex')}` }));
        }
      };

      // Open loop: the requests are planned at a steady rate and sent on time whatever the answers (a failing
      // request is quick; a closed loop would send more of them and overweight the outage).
      let next = 0;
      const client = async () => {
        while (!stop) {
          const i = next++;
          const at = (i * 1000) / RATE;
          if (at > now()) await sleep(at - now());
          if (stop) return;
          const op = MIX[i % MIX.length]!;
          const t = tenants[Math.floor(i / MIX.length) % TENANTS]!;
          const s: Sample = { op, start: now(), end: 0 };
          samples.push(s);
          try {
            const r = await doOp(op, t);
            s.status = r.status;
            s.contentType = String(r.headers['content-type'] ?? '');
            s.retryAfter = r.headers['retry-after'] as string | undefined;
            s.requestId = String(r.headers['x-request-id'] ?? '');
            try {
              s.code = JSON.parse(r.text).code;
            } catch {
              s.code = undefined;
            }
          } catch (e) {
            s.error = (e as Error).message;
          }
          s.end = now();
        }
      };
      // PostgreSQL itself, from outside Tollgate: when does it accept sessions again?
      const probe: Array<{ t: number; ok: boolean }> = [];
      let probing = false;
      const prober = async () => {
        while (!stop) {
          if (probing) {
            const t = now();
            const ok = await pgSession(pg.port, dbName);
            probe.push({ t, ok });
          }
          await sleep(20);
        }
      };
      // /readyz every 100 ms, each on its own (a probe that waits does not hold back the next one).
      const readyCalls: Array<Promise<void>> = [];
      const poller = async () => {
        while (!stop) {
          const p: (typeof readyz)[number] = { start: now(), end: 0 };
          readyz.push(p);
          readyCalls.push(
            send(readyAgent, server.baseUrl + '/readyz', 'GET', {}).then(
              (r) => {
                p.status = r.status;
                p.retryAfter = r.headers['retry-after'] as string | undefined;
                p.end = now();
              },
              (e: Error) => {
                p.error = e.message;
                p.end = now();
              },
            ),
          );
          await sleep(100);
        }
        await Promise.all(readyCalls);
      };

      const errorsBefore = await metric(server, 'tollgate_db_pool_errors_total');
      const load = Promise.all([...Array.from({ length: CLIENTS }, () => client()), poller(), prober()]);
      await sleep(WARMUP_MS);
      probing = true;
      const tDown = now();
      await pgCtl(pg.dir, ['-l', `${pg.dir}/postgres.log`, '-m', mode, '-w', '-t', '60', 'restart']);
      const tUp = now();
      await sleep(RECOVERY_MS + STEADY_MS);
      stop = true;
      await load;
      agent.destroy();
      readyAgent.destroy();
      const dialErrors = (await metric(server, 'tollgate_db_pool_errors_total')) - errorsBefore;

      // ------------------------------------------------------------------------------------------ figures
      const ok = (s: Sample) => s.status !== undefined && s.status < 500 && s.error === undefined;
      const in_ = (a: number, b: number) => samples.filter((s) => s.start >= a && s.start < b);
      const before = samples.filter((s) => s.end < tDown);
      const outage = in_(tDown, tUp);
      const recovery = in_(tUp, tUp + RECOVERY_MS);
      const steady = in_(tUp + RECOVERY_MS, Infinity);
      const fails = samples.filter((s) => !ok(s));
      const lat = samples.map((s) => s.end - s.start);
      const outLat = outage.map((s) => s.end - s.start);
      const statusCounts: Record<string, number> = {};
      for (const s of samples) {
        const k = s.error ? `ERR ${s.error}` : `${s.op} ${s.status}${s.status === 200 && s.op === 'verify' ? ` ${s.code}` : s.status !== undefined && s.status >= 400 ? ` ${s.code}` : ''}`;
        statusCounts[k] = (statusCounts[k] ?? 0) + 1;
      }
      const lastFail = fails.length ? Math.max(...fails.map((s) => s.start)) : tDown;
      const firstFail = fails.length ? Math.min(...fails.map((s) => s.start)) : tDown;
      const recOk = recovery.filter(ok).length;
      const ready503 = readyz.filter((p) => p.status === 503);
      const firstReady200 = readyz.find((p) => p.start >= tUp && p.status === 200);
      const verifyOutage = outage.filter((s) => s.op === 'verify');
      const pgDown = probe.find((x) => !x.ok);
      const pgBack = pgDown ? probe.find((x) => x.t > pgDown.t && x.ok) : undefined;
      // eslint-disable-next-line no-console
      console.info(
        `[pg ${mode}] restart took ${Math.round(tUp - tDown)} ms (pg_ctl); PostgreSQL refused sessions from ${pgDown ? Math.round(pgDown.t - tDown) : '-'} ms and accepted them again ` +
          `${pgBack ? Math.round(pgBack.t - tUp) : '-'} ms after pg_ctl returned (probe every 20 ms); Tollgate's last 5xx ${pgBack ? Math.round(lastFail - pgBack.t) : '-'} ms after that; ${samples.length} requests ` +
          `(${before.length} before, ${outage.length} during, ${recovery.length} in the 5 s after, ${steady.length} in the next ${Math.round(now() - tUp - RECOVERY_MS)} ms); ` +
          `failures ${fails.length}: first at ${Math.round(firstFail - tDown)} ms after pg_ctl started, last ${Math.round(lastFail - tUp)} ms after pg_ctl returned; ` +
          `success in the 5 s after ${((100 * recOk) / Math.max(1, recovery.length)).toFixed(2)} %; ` +
          `latency p50 ${pct(lat, 50).toFixed(1)} / p99 ${pct(lat, 99).toFixed(1)} / max ${Math.max(...lat).toFixed(1)} ms ` +
          `(during the outage max ${outLat.length ? Math.max(...outLat).toFixed(1) : '-'} ms); ` +
          `verify during the outage: ${verifyOutage.filter(ok).length}/${verifyOutage.length} answered 200; ` +
          `/readyz: ${ready503.length} × 503 (first at ${ready503.length ? Math.round(ready503[0]!.start - tDown) : '-'} ms), ` +
          `200 again ${firstReady200 ? Math.round(firstReady200.end - tUp) : '-'} ms after pg_ctl returned; dial errors ${dialErrors}\n` +
          `  ${JSON.stringify(statusCounts)}`,
      );

      // ---------------------------------------------------------------------------------------- assertions
      // Soft where one broken promise should not hide the others: every figure is checked and reported.
      const errs = samples.filter((s) => s.error !== undefined);
      expect.soft(errs.map((s) => `${s.op} at ${Math.round(s.start - tDown)} ms: ${s.error}`), 'requests that failed without an HTTP answer').toEqual([]);
      const slow = samples.filter((s) => s.end - s.start > MAX_LATENCY_MS);
      expect.soft(slow.map((s) => `${s.op} ${s.status} took ${Math.round(s.end - s.start)} ms`), `requests slower than ${MAX_LATENCY_MS} ms`).toEqual([]);
      expect.soft(before.filter((s) => !ok(s)).map((s) => `${s.op} ${s.status} ${s.code}`), 'failures before the restart').toEqual([]);
      const bad5xx = samples.filter(
        (s) => s.status !== undefined && s.status >= 500 &&
          !(s.status === 503 && /^application\/problem\+json\b/i.test(s.contentType ?? '') && /^[1-9]\d*$/.test(s.retryAfter ?? '')),
      );
      expect.soft(
        bad5xx.map((s) => `${s.op} ${s.status} ${s.contentType} Retry-After=${s.retryAfter} code=${s.code} rid=${s.requestId} at ${Math.round(s.start - tDown)} ms`),
        '5xx other than 503 problem+json with Retry-After',
      ).toEqual([]);
      expect.soft(fails.length, 'the restart was noticed at all (some 503s)').toBeGreaterThan(0);
      expect(recovery.length).toBeGreaterThan(100);
      expect.soft(recOk / recovery.length, `success rate of the requests sent in the 5 s after PostgreSQL was back (${recOk}/${recovery.length}; last 5xx ${Math.round(lastFail - tUp)} ms after pg_ctl returned, ${pgBack ? Math.round(lastFail - pgBack.t) : '?'} ms after PostgreSQL accepted sessions again)`).toBeGreaterThanOrEqual(RECOVERY_SUCCESS_MIN);
      expect(steady.length).toBeGreaterThan(100);
      expect.soft(
        steady.filter((s) => !ok(s)).map((s) => `${s.op} ${s.status} ${s.code} at +${Math.round(s.start - tUp)} ms`),
        '5xx later than 5 s after PostgreSQL was back',
      ).toEqual([]);

      expect.soft(readyz.filter((p) => p.error !== undefined || p.end - p.start >= MAX_LATENCY_MS).map((p) => `${p.status ?? p.error} in ${Math.round(p.end - p.start)} ms`), '/readyz always answered in time').toEqual([]);
      expect.soft(ready503.length, '/readyz went 503 during the outage').toBeGreaterThan(0);
      expect.soft(ready503.every((p) => /^[1-9]\d*$/.test(p.retryAfter ?? '')), '/readyz 503 carries Retry-After').toBe(true);
      expect(firstReady200, '/readyz 200 again after the restart').toBeDefined();
      expect.soft(firstReady200!.end - tUp, '/readyz 200 within 5 s of PostgreSQL being back').toBeLessThanOrEqual(RECOVERY_MS);
      expect.soft(readyz.filter((p) => p.start >= tUp + RECOVERY_MS && p.status !== 200).length, '/readyz stays 200 after recovery').toBe(0);

      // ----------------------------------------------------------------------------------- usage: nothing lost
      const valid = samples.filter((s) => s.op === 'verify' && s.status === 200 && s.code === 'VALID');
      const validIds = new Set(valid.map((s) => s.requestId!));
      expect(validIds.size, 'distinct X-Request-IDs').toBe(valid.length);
      const orgs = tenants.map((t) => t.orgId);
      const deadline = Date.now() + 20_000;
      let rows: Array<{ request_id: string; n: number }> = [];
      for (;;) {
        rows = (
          await dbQuery(
            server,
            `SELECT request_id, count(*)::int AS n FROM usage_events
              WHERE organization_id = ANY($1::uuid[]) AND endpoint = $2 GROUP BY request_id`,
            [orgs, endpoint],
          )
        ).rows;
        const got = new Set(rows.map((r) => r.request_id));
        if ([...validIds].every((id) => got.has(id)) || Date.now() > deadline) break;
        await sleep(250);
      }
      const have = new Map(rows.map((r) => [r.request_id, r.n]));
      const missing = [...validIds].filter((id) => !have.has(id));
      const dup = rows.filter((r) => r.n !== 1);
      const extra = rows.filter((r) => !validIds.has(r.request_id));
      // eslint-disable-next-line no-console
      console.info(`[pg ${mode}] usage: ${valid.length} VALID answers, ${rows.length} usage_events request ids, ${missing.length} missing, ${dup.length} duplicated, ${extra.length} extra`);
      expect.soft(missing.length, `VALID answers without a usage row: ${missing.slice(0, 5).join(', ')}`).toBe(0);
      expect.soft(dup.length, `request ids with more than one row: ${JSON.stringify(dup.slice(0, 5))}`).toBe(0);
      expect.soft(extra.length, `rows without a VALID answer: ${JSON.stringify(extra.slice(0, 5))}`).toBe(0);
      const raw = await dbQuery(
        server,
        `SELECT count(*)::text AS requests, coalesce(sum(cost), 0)::text AS cost FROM usage_events WHERE organization_id = ANY($1::uuid[])`,
        [orgs],
      );
      for (const bucket of ['hour', 'day']) {
        const ru = await dbQuery(
          server,
          `SELECT coalesce(sum(requests), 0)::text AS requests, coalesce(sum(cost_units), 0)::text AS cost
             FROM usage_rollups WHERE organization_id = ANY($1::uuid[]) AND bucket = $2`,
          [orgs, bucket],
        );
        expect.soft(ru.rows[0], `usage_rollups (${bucket}) = usage_events`).toEqual(raw.rows[0]);
      }
    });
  }
});
