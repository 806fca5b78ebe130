/**
 * Fault suite: `kill -9` of Tollgate under metered load, 10 times in a row on one database and one VAR_DIR (each new
 * process also ships what the killed ones left in the spool, and may itself be killed while doing so). The load
 * mixes `POST /v1/keys/verify` and the gateway (`GET /gw/echo`). At the end: 0 acknowledged usage events lost
 * (every 2xx answer has its usage_events row, by X-Request-ID), 0 double counted (no request id twice), at most one
 * row per request that was in flight at a kill, and rollups equal the raw events.
 */
import { describe, it, expect } from 'vitest';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { printLogsOnFailure } from '../functional/harness/vitest-helpers.js';
import { startServer, sharedDatabaseUrl, type TollgateServer } from '../functional/harness/server.js';
import { createDatabase, dropDatabase } from '../functional/harness/postgres.js';
import { makeTempDir, randomSecret, sleep } from '../functional/harness/env.js';
import { dbQuery } from '../functional/test/auth-helpers.js';
import { KEYS_ENV, VERIFY, createKey, createServiceToken, fastClient, newTenant, setPlan, verifyOk } from '../functional/test/keys-helpers.js';

const ROUNDS = 10;
const PER_ROUND = 1200;
const CONCURRENCY = 32;

interface Call {
  kind: 'verify' | 'gateway';
  cost: number;
  status?: number;
  requestId?: string;
  error?: string;
}

function get(agent: http.Agent, url: string, headers: Record<string, string>): Promise<{ status: number; requestId: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'GET', agent, headers }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, requestId: String(res.headers['x-request-id'] ?? '') }));
      res.on('error', reject);
    });
    req.setTimeout(15_000, () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('kill -9 under metered load, 10 times', () => {
  printLogsOnFailure();

  it(`${ROUNDS} rounds of ${PER_ROUND} calls (verify + gateway) at concurrency ${CONCURRENCY}, SIGKILL at a random moment each: 0 lost, 0 double counted`, { timeout: 600_000 }, async () => {
    const adminUrl = sharedDatabaseUrl();
    const db = await createDatabase(adminUrl);
    const varDir = makeTempDir('tg-kill9-');
    const env: Record<string, string> = {
      ...KEYS_ENV,
      DATABASE_URL: db.url,
      VAR_DIR: varDir,
      LOG_DIR: path.join(varDir, 'log'),
      JWT_SECRET: randomSecret(64),
    };
    const servers: TollgateServer[] = [];
    try {
      const first = await startServer(env);
      servers.push(first);
      const t = await newTenant(first, 'kill9');
      await setPlan(first, t.orgId, 'pro'); // allow_overage: the quota never refuses
      const { secret } = await createKey(first, t.token, { name: 'kill9', rateLimitPerMinute: 1_000_000 });
      const svc = await createServiceToken(first);
      const calls: Call[] = [];
      const kills: number[] = [];
      let server = first;

      for (let round = 0; round < ROUNDS; round++) {
        if (round > 0) {
          server = await startServer(env);
          servers.push(server);
        }
        // Each process answers a few calls before the load, so a kill never lands before it is ready.
        expect((await verifyOk(server, svc, { key: secret, cost: 0 })).json.code).toBe('VALID');
        const killAfter = 100 + Math.floor(Math.random() * (PER_ROUND - 300));
        kills.push(killAfter);
        const client = fastClient(CONCURRENCY);
        const base = server.baseUrl;
        const s = server;
        let completed = 0;
        let killed = false;
        let next = 0;
        const worker = async () => {
          while (!killed && next < PER_ROUND) {
            const i = next++;
            const call: Call = { kind: i % 4 === 3 ? 'gateway' : 'verify', cost: i % 4 === 3 ? 1 : 1 + (i % 3) };
            calls.push(call);
            try {
              if (call.kind === 'verify') {
                const r = await client.post(base + VERIFY, { authorization: `Bearer ${svc}`, 'content-type': 'application/json' },
                  JSON.stringify({ key: secret, endpoint: '/v1/kill9', method: 'POST', cost: call.cost }));
                call.status = r.status;
                call.requestId = String(r.headers['x-request-id'] ?? '');
                if (r.status === 200 && JSON.parse(r.text).code !== 'VALID') call.status = -1;
              } else {
                const r = await get(client.agent, `${base}/gw/echo?i=${i}`, { 'x-api-key': secret });
                call.status = r.status;
                call.requestId = r.requestId;
              }
              completed++;
              if (!killed && completed >= killAfter) {
                killed = true;
                s.proc.kill('SIGKILL');
              }
            } catch (e) {
              call.error = (e as Error).message;
            }
          }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
        client.close();
        const exit = await s.exited;
        expect(exit.signal, `round ${round}: died of SIGKILL`).toBe('SIGKILL');
        await s.stop();
      }

      // One last process ships whatever the last kill left behind.
      const last = await startServer(env);
      servers.push(last);
      const acknowledged = calls.filter((c) => c.status !== undefined && c.status >= 200 && c.status < 300);
      const unanswered = calls.filter((c) => c.status === undefined).length;
      expect(calls.filter((c) => c.status !== undefined && (c.status < 200 || c.status >= 300)), 'every answer was a 2xx VALID').toEqual([]);
      const ids = acknowledged.map((c) => c.requestId!);
      expect(new Set(ids).size, 'distinct X-Request-IDs').toBe(ids.length);

      let rows: Array<{ request_id: string; n: number; cost: string }> = [];
      const deadline = Date.now() + 30_000;
      let lastTotal = -1;
      let stableSince = Date.now();
      for (;;) {
        rows = (
          await dbQuery(last, `SELECT request_id, count(*)::int AS n, sum(cost)::text AS cost FROM usage_events WHERE organization_id = $1 GROUP BY request_id`, [t.orgId])
        ).rows;
        const total = rows.reduce((a, x) => a + x.n, 0);
        if (total !== lastTotal) {
          lastTotal = total;
          stableSince = Date.now();
        }
        const have = new Set(rows.map((x) => x.request_id));
        if ((ids.every((id) => have.has(id)) && Date.now() - stableSince > 1500) || Date.now() > deadline) break;
        await sleep(250);
      }
      const byRid = new Map(rows.map((x) => [x.request_id, x]));
      const lost = acknowledged.filter((c) => !byRid.has(c.requestId!));
      const doubled = rows.filter((x) => x.n !== 1);
      const wrongCost = acknowledged.filter((c) => byRid.has(c.requestId!) && Number(byRid.get(c.requestId!)!.cost) !== c.cost);
      const answeredIds = new Set(ids);
      const extra = rows.filter((x) => !answeredIds.has(x.request_id)).length;
      // eslint-disable-next-line no-console
      console.info(
        `[kill -9 ×${ROUNDS}] kills after ${kills.join(', ')} answers; ${calls.length} sent, ${acknowledged.length} acknowledged, ` +
          `${unanswered} in flight at the kills; ${rows.length} usage rows (${extra} for in-flight or warm-up calls); lost ${lost.length}, doubled ${doubled.length}`,
      );
      expect(lost.length, `acknowledged calls without a usage row: ${lost.slice(0, 5).map((c) => c.requestId).join(', ')}`).toBe(0);
      expect(doubled.length, `request ids counted twice: ${JSON.stringify(doubled.slice(0, 5))}`).toBe(0);
      expect(wrongCost.length, 'rows with the wrong cost').toBe(0);
      // Rows beyond the acknowledged ones: the warm-up call of each round, and at most one per in-flight call.
      expect(extra).toBeLessThanOrEqual(unanswered + ROUNDS);

      const raw = await dbQuery(last, 'SELECT count(*)::text AS requests, coalesce(sum(cost), 0)::text AS cost FROM usage_events WHERE organization_id = $1', [t.orgId]);
      for (const bucket of ['hour', 'day']) {
        const ru = await dbQuery(last,
          'SELECT coalesce(sum(requests), 0)::text AS requests, coalesce(sum(cost_units), 0)::text AS cost FROM usage_rollups WHERE organization_id = $1 AND bucket = $2',
          [t.orgId, bucket]);
        expect(ru.rows[0], `usage_rollups (${bucket}) = usage_events`).toEqual(raw.rows[0]);
      }
    } finally {
      for (const s of servers.reverse()) await s.stop('SIGTERM').catch(() => undefined);
      await dropDatabase(adminUrl, db.name).catch(() => undefined);
      fs.rmSync(varDir, { recursive: true, force: true });
    }
  });
});
