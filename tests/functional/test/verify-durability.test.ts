/**
 * Acceptance: usage is recorded exactly once across `kill -9`. 5,000 verify calls at concurrency 32 against one
 * server, SIGKILL at a random moment in the middle, a new server on the same DATABASE_URL and VAR_DIR (the spool
 * lives in VAR_DIR/spool), then: every VALID answer has exactly one usage_events row (by X-Request-ID), no row is
 * duplicated, no more rows exist than requests that may have reached the server, and usage_rollups agree with the
 * raw events.
 */
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startServer, sharedDatabaseUrl, type TollgateServer } from '../harness/server.js';
import { createDatabase, dropDatabase } from '../harness/postgres.js';
import { makeTempDir, randomSecret, sleep } from '../harness/env.js';
import { dbQuery } from './auth-helpers.js';
import { KEYS_ENV, VERIFY, createKey, createServiceToken, fastClient, newTenant, setPlan, verifyOk } from './keys-helpers.js';

const TOTAL = 5000;
const CONCURRENCY = 32;

interface Outcome {
  cost: number;
  status?: number;
  requestId?: string;
  code?: string;
  error?: string;
}

describe('verify usage survives kill -9 exactly once', () => {
  printLogsOnFailure();

  it('5,000 calls, SIGKILL mid-way, restart: one row per VALID answer, none extra, rollups = raw events', { timeout: 180_000 }, async () => {
    const adminUrl = sharedDatabaseUrl();
    const db = await createDatabase(adminUrl);
    const varDir = makeTempDir('tg-durable-');
    const env: Record<string, string> = {
      ...KEYS_ENV,
      DATABASE_URL: db.url,
      VAR_DIR: varDir,
      LOG_DIR: path.join(varDir, 'log'),
      JWT_SECRET: randomSecret(64),
    };
    const servers: TollgateServer[] = [];
    try {
      const s1 = await startServer(env);
      servers.push(s1);
      const t = await newTenant(s1, 'durable');
      await setPlan(s1, t.orgId, 'pro'); // 500,000 units, allow_overage: quota never refuses
      const { key, secret } = await createKey(s1, t.token, { name: 'durable', rateLimitPerMinute: 1_000_000 });
      const svc = await createServiceToken(s1);
      const warm = await verifyOk(s1, svc, { key: secret, cost: 0 });
      expect(warm.json.code).toBe('VALID');
      const warmRid = warm.headers.get('x-request-id')!;

      const killAfter = 1500 + Math.floor(Math.random() * 2000);
      const outcomes: Outcome[] = [];
      const client = fastClient(CONCURRENCY);
      let next = 0;
      let completed = 0;
      let killed = false;
      const url = s1.baseUrl + VERIFY;
      const headers = { authorization: `Bearer ${svc}`, 'content-type': 'application/json' };
      const worker = async () => {
        while (!killed && next < TOTAL) {
          const i = next++;
          const cost = 1 + (i % 3);
          outcomes[i] = { cost };
          try {
            const r = await client.post(url, headers, JSON.stringify({ key: secret, endpoint: '/v1/durable', method: 'POST', cost }));
            const o = outcomes[i]!;
            o.status = r.status;
            o.requestId = String(r.headers['x-request-id'] ?? '');
            try {
              o.code = JSON.parse(r.text).code;
            } catch {
              o.code = undefined;
            }
            completed++;
            if (!killed && completed >= killAfter) {
              killed = true;
              s1.proc.kill('SIGKILL');
            }
          } catch (e) {
            outcomes[i]!.error = (e as Error).message;
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      client.close();
      const exit = await s1.exited;
      expect(exit.signal, 'the first server died of SIGKILL').toBe('SIGKILL');
      await s1.stop(); // bookkeeping only: the process is gone; the database and VAR_DIR are ours and stay

      const sent = outcomes.length;
      const answered = outcomes.filter((o) => o.status !== undefined);
      const valid = answered.filter((o) => o.status === 200 && o.code === 'VALID');
      const unanswered = sent - answered.length;
      expect(answered.length).toBeGreaterThanOrEqual(killAfter);
      expect(answered.every((o) => o.status === 200 && o.code === 'VALID'), 'every answer before the kill was 200 VALID').toBe(true);
      expect(unanswered, 'requests in flight at the kill').toBeLessThanOrEqual(CONCURRENCY);
      expect(new Set(valid.map((o) => o.requestId)).size, 'distinct X-Request-IDs').toBe(valid.length);

      // Same DATABASE_URL and VAR_DIR: the new process ships what the killed one had spooled.
      const restartedAt = new Date();
      const s2 = await startServer(env);
      servers.push(s2);
      const validIds = valid.map((o) => o.requestId!);
      const deadline = Date.now() + 15_000;
      let rows: Array<{ request_id: string; n: number; cost: string; codes: string[]; keys: string[] }> = [];
      let stableSince = Date.now();
      let lastTotal = -1;
      for (;;) {
        const r = await dbQuery(
          s2,
          `SELECT request_id, count(*)::int AS n, sum(cost)::text AS cost, array_agg(DISTINCT code) AS codes,
                  array_agg(DISTINCT api_key_id::text) AS keys
             FROM usage_events WHERE organization_id = $1 GROUP BY request_id`,
          [t.orgId],
        );
        rows = r.rows;
        const total = rows.reduce((a, x) => a + x.n, 0);
        if (total !== lastTotal) {
          lastTotal = total;
          stableSince = Date.now();
        }
        const have = new Set(rows.map((x) => x.request_id));
        const allThere = validIds.every((id) => have.has(id));
        if ((allThere && Date.now() - stableSince > 1500) || Date.now() > deadline) break;
        await sleep(250);
      }

      const byRid = new Map(rows.map((x) => [x.request_id, x]));
      const missing = validIds.filter((id) => !byRid.has(id));
      expect(missing.length, `VALID answers without a usage row (of ${validIds.length}; killed after ${killAfter}): ${missing.slice(0, 5).join(', ')}`).toBe(0);
      const dup = rows.filter((x) => x.n !== 1);
      expect(dup.length, `request ids with more than one row: ${JSON.stringify(dup.slice(0, 5))}`).toBe(0);
      for (const o of valid) {
        const row = byRid.get(o.requestId!)!;
        expect(Number(row.cost), `cost of ${o.requestId}`).toBe(o.cost);
        expect(row.codes).toEqual(['VALID']);
        expect(row.keys).toEqual([key.id]);
      }
      const late = await dbQuery(s2, `SELECT count(*)::int AS n FROM usage_events WHERE organization_id = $1 AND ingested_at >= $2`, [t.orgId, restartedAt]);
      // eslint-disable-next-line no-console
      console.info(
        `[durability] killed after ${killAfter} answers; sent ${sent}, answered ${answered.length}, unanswered ${unanswered}; ` +
          `rows ${rows.length} (${late.rows[0].n} shipped by the restarted server)`,
      );
      // Rows for requests whose answer was lost in the kill are allowed — at most one per unanswered request.
      const answeredIds = new Set([...validIds, warmRid]);
      const extra = rows.filter((x) => !answeredIds.has(x.request_id));
      expect(extra.length, `rows without an answered request (unanswered: ${unanswered})`).toBeLessThanOrEqual(unanswered);
      const total = rows.reduce((a, x) => a + x.n, 0);
      expect(total).toBeLessThanOrEqual(sent + 1);
      expect(byRid.get(warmRid)?.n, 'the warm-up call').toBe(1);

      // Rollups (hour and day) = raw events, for requests and cost units.
      const raw = await dbQuery(s2, `SELECT count(*)::text AS requests, coalesce(sum(cost), 0)::text AS cost FROM usage_events WHERE organization_id = $1`, [t.orgId]);
      for (const bucket of ['hour', 'day']) {
        const ru = await dbQuery(
          s2,
          `SELECT coalesce(sum(requests), 0)::text AS requests, coalesce(sum(cost_units), 0)::text AS cost
             FROM usage_rollups WHERE organization_id = $1 AND bucket = $2`,
          [t.orgId, bucket],
        );
        expect(ru.rows[0], `usage_rollups (${bucket}) = usage_events`).toEqual(raw.rows[0]);
      }

      // The restarted server keeps counting.
      const after = await verifyOk(s2, svc, { key: secret, cost: 5 });
      expect(after.json.code).toBe('VALID');
      const rid = after.headers.get('x-request-id')!;
      const until = Date.now() + 10_000;
      let n = 0;
      while (Date.now() < until) {
        n = (await dbQuery(s2, `SELECT count(*)::int AS n FROM usage_events WHERE request_id = $1`, [rid])).rows[0].n;
        if (n > 0) break;
        await sleep(100);
      }
      expect(n).toBe(1);
    } finally {
      for (const s of servers.reverse()) await s.stop('SIGTERM').catch(() => undefined);
      await dropDatabase(adminUrl, db.name);
      fs.rmSync(varDir, { recursive: true, force: true });
    }
  });
});
