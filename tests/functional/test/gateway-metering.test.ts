/**
 * Metering of /gw calls: one usage_events row per call of a known key (source 'gateway', the catalog entry, the
 * upstream's or the refusal's status, the endpoint's cost when admitted), hour/day rollups, and the quota counted
 * with endpoint costs.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { sleep } from '../harness/env.js';
import { freePort } from '../harness/ports.js';
import type { FetchResult } from '../harness/http.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';
import { api, dbQuery, expectOk } from './auth-helpers.js';
import {
  KEY,
  U_BY_ENDPOINT,
  U_QUOTA,
  createKey,
  createServiceToken,
  forgeKey,
  newTenant,
  patchKey,
  requestIdOf,
  verifyOk,
  waitOrgEvents,
  type Tenant,
} from './keys-helpers.js';
import { GW_ENV, gw, insertEndpoints, waitRoute, within } from './gateway-helpers.js';

const NO_LIMIT = { rateLimitPerMinute: 100000 };

describe('/gw metering', () => {
  const server = useServer(GW_ENV);
  let up: Upstream;
  printLogsOnFailure();

  let svc: string;
  const ep: Record<string, string> = {};

  beforeAll(async () => {
    up = await startUpstream();
    up.route('/m3', (q) => (q.method === 'POST' ? { status: 201, body: 'created!!' } : { status: 200, body: 'listing' }));
    up.route('/err', { status: 500, headers: { 'content-type': 'text/plain' }, body: 'boom' });
    up.route('/lim', { status: 200, body: 'lim' });
    up.route('/pub', { status: 200, body: 'public' });
    up.route('/slow', { status: 200, delayMs: 1500, body: 'late' });
    const closedPort = await freePort();
    const ids = await insertEndpoints(server(), [
      { path: '/m3/*', upstream: up.url, cost: 3 },
      { method: 'GET', path: '/err/*', upstream: up.url, cost: 2 },
      { path: '/lim/*', upstream: up.url, cost: 5, rateLimit: 1 },
      { method: 'GET', path: '/pub/*', upstream: up.url, cost: 7, isPublic: true },
      { path: '/down/*', upstream: `http://127.0.0.1:${closedPort}`, cost: 4 },
      { path: '/slow/*', upstream: up.url, cost: 4, timeoutMs: 200 },
      { path: '/heavy/*', upstream: 'internal://echo', cost: 600 },
    ]);
    for (const [i, name] of ['m3', 'err', 'lim', 'pub', 'down', 'slow', 'heavy'].entries()) ep[name] = ids[i]!;
    svc = await createServiceToken(server());
    expect(await waitRoute(server(), '/pub/ready'), 'catalog loaded within 6 s').toBeGreaterThanOrEqual(0);
  });

  afterAll(async () => {
    await up?.close();
  });

  /** The usage_events rows of one X-Request-ID once at least one landed (≤ 10 s). */
  async function rowsOf(r: FetchResult): Promise<any[]> {
    const rid = requestIdOf(r);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const q = await dbQuery(server(), `SELECT *, host(client_ip) AS ip FROM usage_events WHERE request_id = $1`, [rid]);
      if (q.rows.length > 0 || Date.now() > deadline) return q.rows;
      await sleep(100);
    }
  }

  async function oneRow(r: FetchResult): Promise<any> {
    const rows = await rowsOf(r);
    expect(rows.length, `usage_events rows for ${r.status} ${requestIdOf(r)}`).toBe(1);
    return rows[0];
  }

  /** quota.used as the decision engine sees it (a cost-0 verify call counts nothing). */
  async function engineUsed(secret: string): Promise<number> {
    const v = await verifyOk(server(), svc, { key: secret, cost: 0 });
    expect(v.json.code).toBe('VALID');
    return v.json.quota.used;
  }

  async function quotaApiUsed(token: string, want: number): Promise<number> {
    let used = -1;
    await within(10_000, async () => {
      used = expectOk(await api(server(), 'get', U_QUOTA, { token }), 'get', U_QUOTA, 200).used;
      return used === want;
    }, 200);
    return used;
  }

  describe('usage_events', () => {
    it('an admitted call: one row with the catalog entry and pattern, method, upstream status, endpoint cost, body sizes, X-Request-ID', async () => {
      const t = await newTenant(server(), 'gm-row');
      const k = await createKey(server(), t.token, { name: 'row', ...NO_LIMIT });
      const before = Date.now();
      const r = await gw(server(), 'POST', '/m3/items/7?x=1', {
        key: k.secret,
        body: 'hello world',
        headers: { 'content-type': 'text/plain', 'user-agent': 'meter-test/1' },
      });
      expect(r.status).toBe(201);
      expect(r.text).toBe('created!!');
      const upstreamRid = up.requests.find((q) => q.headers['x-request-id'] === requestIdOf(r));
      expect(upstreamRid, 'the upstream got the same X-Request-ID').toBeDefined();
      const e = await oneRow(r);
      expect(e).toMatchObject({
        source: 'gateway',
        organization_id: t.orgId,
        api_key_id: k.key.id,
        api_endpoint_id: ep.m3,
        endpoint: '/m3/*',
        method: 'POST',
        status_code: 201,
        code: 'VALID',
        request_id: requestIdOf(r),
        ip: '127.0.0.1',
        user_agent: 'meter-test/1',
      });
      expect(Number(e.cost)).toBe(3);
      expect(Number(e.request_bytes), 'request body bytes').toBe(11);
      expect(Number(e.response_bytes), 'response body bytes').toBe(9);
      expect(new Date(e.occurred_at).getTime()).toBeGreaterThanOrEqual(before - 2000);
      expect(new Date(e.occurred_at).getTime()).toBeLessThanOrEqual(Date.now() + 2000);
      // last_used_at follows the shipped events.
      const key = await dbQuery(server(), `SELECT last_used_at FROM api_keys WHERE id = $1`, [k.key.id]);
      expect(key.rows[0].last_used_at).not.toBeNull();
    });

    it('an upstream\'s own error status is passed through and charged; a call the upstream never answered (502/504) is recorded with cost 0 (not billed); refusals carry the refusal status and cost 0', async () => {
      const t = await newTenant(server(), 'gm-status');
      const a = await createKey(server(), t.token, { name: 'a', ...NO_LIMIT });
      const b = await createKey(server(), t.token, { name: 'b', ...NO_LIMIT });
      expectOk(await patchKey(server(), t.token, b.key.id, { status: 'disabled' }), 'patch', KEY, 200);

      const err = await gw(server(), 'GET', '/err/x', { key: a.secret });
      expect(err.status, 'an upstream 500 is passed through').toBe(500);
      expect(err.text).toBe('boom');
      const lim1 = await gw(server(), 'GET', '/lim/a', { key: a.secret });
      expect(lim1.status).toBe(200);
      const lim2 = await gw(server(), 'GET', '/lim/b', { key: a.secret });
      expect(lim2.status).toBe(429);
      const down = await gw(server(), 'PUT', '/down/x', { key: a.secret, body: 'abc' });
      expect(down.status).toBe(502);
      const slow = await gw(server(), 'GET', '/slow/x', { key: a.secret });
      expect(slow.status).toBe(504);
      let disabled!: FetchResult;
      await within(1500, async () => {
        disabled = await gw(server(), 'DELETE', '/m3/x', { key: b.secret });
        return disabled.status === 403;
      }, 50);
      expect(disabled.status).toBe(403);

      const cases: Array<[FetchResult, Record<string, unknown>, number]> = [
        [err, { api_endpoint_id: ep.err, endpoint: '/err/*', method: 'GET', status_code: 500, code: 'VALID', api_key_id: a.key.id }, 2],
        [lim1, { api_endpoint_id: ep.lim, endpoint: '/lim/*', method: 'GET', status_code: 200, code: 'VALID', api_key_id: a.key.id }, 5],
        [lim2, { api_endpoint_id: ep.lim, endpoint: '/lim/*', method: 'GET', status_code: 429, code: 'RATE_LIMITED', api_key_id: a.key.id }, 0],
        [down, { api_endpoint_id: ep.down, endpoint: '/down/*', method: 'PUT', status_code: 502, api_key_id: a.key.id }, 0],
        [slow, { api_endpoint_id: ep.slow, endpoint: '/slow/*', method: 'GET', status_code: 504, api_key_id: a.key.id }, 0],
        [disabled, { api_endpoint_id: ep.m3, endpoint: '/m3/*', method: 'DELETE', status_code: 403, code: 'DISABLED', api_key_id: b.key.id }, 0],
      ];
      for (const [r, want, cost] of cases) {
        const e = await oneRow(r);
        expect(e, `row of ${want.method} ${want.endpoint} → ${r.status}`).toMatchObject({ source: 'gateway', organization_id: t.orgId, request_id: requestIdOf(r), ...want });
        expect(Number(e.cost), `cost of ${want.endpoint} → ${r.status}`).toBe(cost);
      }
      expect(Number((await oneRow(err)).response_bytes)).toBe(4);
      expect(Number((await oneRow(down)).request_bytes)).toBe(3);
    });

    it('USAGE_EXCEEDED is recorded as 429 with cost 0', async () => {
      const t = await newTenant(server(), 'gm-quota-row');
      const k = await createKey(server(), t.token, { name: 'q', ...NO_LIMIT });
      expect((await gw(server(), 'POST', '/heavy/1', { key: k.secret, body: 'x' })).status).toBe(200);
      const r = await gw(server(), 'POST', '/heavy/2', { key: k.secret, body: 'x' });
      expect(r.status).toBe(429);
      expect(r.json?.code).toBe('USAGE_EXCEEDED');
      const e = await oneRow(r);
      expect(e).toMatchObject({ source: 'gateway', api_endpoint_id: ep.heavy, endpoint: '/heavy/*', method: 'POST', status_code: 429, code: 'USAGE_EXCEEDED' });
      expect(Number(e.cost)).toBe(0);
    });

    it('no row: unknown key, no key, public endpoints (with or without a key)', async () => {
      const t = await newTenant(server(), 'gm-none');
      const k = await createKey(server(), t.token, { name: 'n', ...NO_LIMIT });
      const rs = [
        await gw(server(), 'GET', '/m3/x', { key: forgeKey() }),
        await gw(server(), 'GET', '/m3/x'),
        await gw(server(), 'GET', '/pub/x'),
        await gw(server(), 'GET', '/pub/x', { key: k.secret }),
        await gw(server(), 'GET', '/pub/y', { key: k.secret }),
      ];
      expect(rs.map((r) => r.status)).toEqual([401, 401, 200, 200, 200]);
      await sleep(1500);
      const q = await dbQuery(server(), `SELECT count(*)::int AS n FROM usage_events WHERE request_id = ANY($1::text[])`, [rs.map(requestIdOf)]);
      expect(q.rows[0].n).toBe(0);
      const org = await dbQuery(server(), `SELECT count(*)::int AS n FROM usage_events WHERE organization_id = $1`, [t.orgId]);
      expect(org.rows[0].n, 'public calls with a key are not metered').toBe(0);
      expect(await engineUsed(k.secret), 'public calls cost nothing').toBe(0);
    });
  });

  describe('rollups', () => {
    let t: Tenant;
    let keyA: string;
    let keyB: string;

    beforeAll(async () => {
      t = await newTenant(server(), 'gm-roll');
      const a = await createKey(server(), t.token, { name: 'a', ...NO_LIMIT });
      const b = await createKey(server(), t.token, { name: 'b', ...NO_LIMIT });
      keyA = a.key.id;
      keyB = b.key.id;
      const calls: Array<[string, string, string, string | undefined, number]> = [
        [a.secret, 'POST', '/m3/items', 'hello world', 201], // cost 3, 11 → 9 bytes
        [a.secret, 'GET', '/m3/items', undefined, 200], //       cost 3, 0 → 7 bytes
        [a.secret, 'POST', '/m3/items', 'hi', 201], //           cost 3, 2 → 9 bytes
        [a.secret, 'GET', '/err/x', undefined, 500], //          cost 2, 0 → 4 bytes
        [b.secret, 'GET', '/m3/other', undefined, 200], //       cost 3, 0 → 7 bytes
        [b.secret, 'GET', '/lim/1', undefined, 200], //          cost 5, 0 → 3 bytes
        [b.secret, 'GET', '/lim/2', undefined, 429], //          refused: cost 0
      ];
      for (const [secret, method, path, body, status] of calls) {
        const r = await gw(server(), method, path, { key: secret, body });
        expect(r.status, `${method} ${path}: ${r.text.slice(0, 200)}`).toBe(status);
      }
      const rows = await waitOrgEvents(server(), t.orgId, calls.length);
      expect(rows.length, 'all calls shipped within 10 s').toBe(calls.length);
    });

    async function rollups(bucket: 'hour' | 'day'): Promise<any[]> {
      const r = await dbQuery(
        server(),
        `SELECT api_key_id, method, endpoint, sum(requests)::int AS requests, sum(errors)::int AS errors,
                sum(server_errors)::int AS server_errors, sum(rejected)::int AS rejected, sum(cost_units)::int AS cost,
                sum(request_bytes)::int AS req, sum(response_bytes)::int AS res
           FROM usage_rollups WHERE organization_id = $1 AND bucket = $2
          GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
        [t.orgId, bucket],
      );
      return r.rows;
    }

    it('hour and day rollups per key, method and catalog pattern: requests, errors, server errors, rejected, cost, bytes', async () => {
      const want = [
        { api_key_id: keyA, method: 'GET', endpoint: '/err/*', requests: 1, errors: 1, server_errors: 1, rejected: 0, cost: 2, req: 0, res: 4 },
        { api_key_id: keyA, method: 'GET', endpoint: '/m3/*', requests: 1, errors: 0, server_errors: 0, rejected: 0, cost: 3, req: 0, res: 7 },
        { api_key_id: keyA, method: 'POST', endpoint: '/m3/*', requests: 2, errors: 0, server_errors: 0, rejected: 0, cost: 6, req: 13, res: 18 },
        { api_key_id: keyB, method: 'GET', endpoint: '/lim/*', requests: 2, errors: 1, server_errors: 0, rejected: 1, cost: 5, req: 0 },
        { api_key_id: keyB, method: 'GET', endpoint: '/m3/*', requests: 1, errors: 0, server_errors: 0, rejected: 0, cost: 3, req: 0, res: 7 },
      ].sort((x, y) => `${x.api_key_id}${x.method}${x.endpoint}`.localeCompare(`${y.api_key_id}${y.method}${y.endpoint}`));
      for (const bucket of ['hour', 'day'] as const) {
        const got = await rollups(bucket);
        expect(got.length, `${bucket} rollup groups: ${JSON.stringify(got)}`).toBe(want.length);
        for (const w of want) {
          const g = got.find((x) => x.api_key_id === w.api_key_id && x.method === w.method && x.endpoint === w.endpoint);
          expect(g, `${bucket} rollup of ${w.method} ${w.endpoint}`).toMatchObject(w);
        }
      }
    });

    it('rollups equal the raw events', async () => {
      const ev = await dbQuery(
        server(),
        `SELECT count(*)::int AS requests, count(*) FILTER (WHERE status_code >= 400)::int AS errors,
                sum(cost)::int AS cost, sum(request_bytes)::int AS req, sum(response_bytes)::int AS res
           FROM usage_events WHERE organization_id = $1`,
        [t.orgId],
      );
      for (const bucket of ['hour', 'day'] as const) {
        const rs = await rollups(bucket);
        const sum = (f: string) => rs.reduce((n, x) => n + Number(x[f]), 0);
        expect({ requests: sum('requests'), errors: sum('errors'), cost: sum('cost'), req: sum('req'), res: sum('res') }, bucket).toEqual(ev.rows[0]);
      }
    });

    it('the usage API reports the gateway calls by catalog pattern', async () => {
      const b = expectOk(await api(server(), 'get', U_BY_ENDPOINT, { token: t.token }), 'get', U_BY_ENDPOINT, 200);
      const items = b.items.map((x: any) => ({ method: x.method, endpoint: x.endpoint, requests: x.requests, errors: x.errors, costUnits: x.costUnits }));
      expect(items).toEqual(
        expect.arrayContaining([
          { method: 'GET', endpoint: '/m3/*', requests: 2, errors: 0, costUnits: 6 },
          { method: 'POST', endpoint: '/m3/*', requests: 2, errors: 0, costUnits: 6 },
          { method: 'GET', endpoint: '/lim/*', requests: 2, errors: 1, costUnits: 5 },
          { method: 'GET', endpoint: '/err/*', requests: 1, errors: 1, costUnits: 2 },
        ]),
      );
      expect(items.length).toBe(4);
    });

    it('the quota counts the endpoint costs of admitted calls (3+3+3+2+3+5 = 19)', async () => {
      expect(await quotaApiUsed(t.token, 19)).toBe(19);
    });
  });

  describe('quota', () => {
    it('counted with the endpoint cost, by the decision engine and by the usage API; the hard cap applies to it', async () => {
      const t = await newTenant(server(), 'gm-q');
      const k = await createKey(server(), t.token, { name: 'q', ...NO_LIMIT });
      for (let i = 0; i < 3; i++) expect((await gw(server(), 'GET', `/m3/${i}`, { key: k.secret })).status).toBe(200);
      expect(await engineUsed(k.secret), 'three calls of cost 3').toBe(9);
      expect((await gw(server(), 'GET', '/heavy/a', { key: k.secret })).status).toBe(200); // 609
      expect(await engineUsed(k.secret)).toBe(609);
      const over = await gw(server(), 'GET', '/heavy/b', { key: k.secret }); // 1,209 > 1,000
      expect(over.status).toBe(429);
      expect(over.json?.code).toBe('USAGE_EXCEEDED');
      expect(await engineUsed(k.secret), 'a refused call is not counted').toBe(609);
      expect((await gw(server(), 'GET', '/m3/after', { key: k.secret })).status).toBe(200); // 612
      expect(await quotaApiUsed(t.token, 612)).toBe(612);
      expect(await engineUsed(k.secret)).toBe(612);
    });

    it('a call refused by the endpoint\'s own limit consumes no quota', async () => {
      const t = await newTenant(server(), 'gm-q-lim');
      const k = await createKey(server(), t.token, { name: 'l', ...NO_LIMIT });
      expect((await gw(server(), 'GET', '/lim/1', { key: k.secret })).status).toBe(200); // 5
      for (let i = 0; i < 3; i++) expect((await gw(server(), 'GET', `/lim/x${i}`, { key: k.secret })).status).toBe(429);
      expect(await quotaApiUsed(t.token, 5), 'usage API').toBe(5);
      expect(await engineUsed(k.secret), 'the decision engine\'s count').toBe(5);
    });
  });
});
