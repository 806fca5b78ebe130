/**
 * The usage spool across an upgrade and after damage. Events are spooled as COPY text rows; earlier versions wrote
 * one JSON object per line. A server started on a VAR_DIR holding an older segment ships its JSON lines, skips a
 * damaged line (a crash's torn tail glued to the next one) with a log entry instead of blocking every later batch,
 * and the rollups count exactly the shipped rows.
 */
import { describe, it, expect } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startServer, sharedDatabaseUrl, type TollgateServer } from '../harness/server.js';
import { createDatabase, dropDatabase } from '../harness/postgres.js';
import { makeTempDir, randomSecret, sleep } from '../harness/env.js';
import { dbQuery } from './auth-helpers.js';
import { KEYS_ENV, createKey, newTenant } from './keys-helpers.js';

describe('usage spool formats', () => {
  printLogsOnFailure();

  it('ships JSON lines of earlier versions and skips a damaged line without blocking the rest', { timeout: 60_000 }, async () => {
    const db = await createDatabase(sharedDatabaseUrl());
    const varDir = makeTempDir('tg-spool-');
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
      const t = await newTenant(s1, 'spool');
      const { key } = await createKey(s1, t.token, { name: 'spool' });
      await s1.stop();

      const now = Date.now() * 1000;
      const legacy = (i: number, extra: Record<string, unknown> = {}) =>
        JSON.stringify({
          id: crypto.randomUUID(), t: now + i, o: t.orgId, k: key.id, s: 'verify', m: 'GET', e: '/v1/legacy',
          st: 200, c: 'VALID', cost: 2, lat: 100 + i, rq: 10, rs: 20, ip: '203.0.113.9', ua: 'old\tagent', rid: `legacy-${i}`,
          ...extra,
        });
      const torn = legacy(99).slice(0, 40) + legacy(98); // a torn write glued to the next line
      const lines = [legacy(1), legacy(2, { st: 503, c: 'VALID' }), torn, 'garbage', legacy(3, { ua: 'caf\u00e9' })];
      const spoolDir = path.join(varDir, 'spool');
      fs.mkdirSync(spoolDir, { recursive: true });
      // A sequence number above the old server's segments: the new server writes after it.
      fs.writeFileSync(path.join(spoolDir, '0000000000009999.spool'), lines.join('\n') + '\n');

      const s2 = await startServer(env);
      servers.push(s2);
      let rows: Array<{ request_id: string; cost: string; status_code: number; user_agent: string }> = [];
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        rows = (
          await dbQuery(
            s2,
            `SELECT request_id, cost::text, status_code, user_agent FROM usage_events
              WHERE organization_id = $1 ORDER BY request_id`,
            [t.orgId],
          )
        ).rows;
        if (rows.length >= 3) break;
        await sleep(200);
      }
      expect(rows.map((r) => r.request_id)).toEqual(['legacy-1', 'legacy-2', 'legacy-3']);
      expect(rows.find((r) => r.request_id === 'legacy-2')!.status_code).toBe(503);
      expect(rows.find((r) => r.request_id === 'legacy-1')!.user_agent).toBe('old\tagent');
      expect(rows.find((r) => r.request_id === 'legacy-3')!.user_agent).toBe('café');
      await sleep(500);
      const again = await dbQuery(s2, 'SELECT count(*)::int AS n FROM usage_events WHERE organization_id = $1', [t.orgId]);
      expect(again.rows[0].n).toBe(3);

      const roll = await dbQuery(
        s2,
        `SELECT bucket, sum(requests)::int AS requests, sum(cost_units)::int AS cost, sum(server_errors)::int AS e5
           FROM usage_rollups WHERE organization_id = $1 GROUP BY bucket ORDER BY bucket`,
        [t.orgId],
      );
      expect(roll.rows).toEqual([
        { bucket: 'day', requests: 3, cost: 6, e5: 1 },
        { bucket: 'hour', requests: 3, cost: 6, e5: 1 },
      ]);
      expect(s2.logs()).toContain('unreadable usage spool line skipped');
      // The old segment is deleted once shipped.
      const segDeadline = Date.now() + 5_000;
      while (fs.existsSync(path.join(spoolDir, '0000000000009999.spool')) && Date.now() < segDeadline) await sleep(100);
      expect(fs.existsSync(path.join(spoolDir, '0000000000009999.spool'))).toBe(false);
    } finally {
      for (const s of servers) await s.stop('SIGKILL').catch(() => undefined);
      await dropDatabase(sharedDatabaseUrl(), db.name);
      fs.rmSync(varDir, { recursive: true, force: true });
    }
  });
});
