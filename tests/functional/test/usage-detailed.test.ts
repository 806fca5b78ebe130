import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { api, expectOk, expectProblem, expectValidationFailed } from './auth-helpers.js';
import { DAY, EVENT_STATUS, KEYS_ENV, U_DETAILED, iso, newTenant, seedUsage, type SeededUsage } from './keys-helpers.js';

describe('GET /api/user/usage/detailed', () => {
  const server = useServer(KEYS_ENV);
  printLogsOnFailure();

  let u: SeededUsage;
  beforeAll(async () => {
    u = await seedUsage(server(), 'us-det');
  });

  const detailed = (token: string | undefined, q = '') => api(server(), 'get', U_DETAILED + q, { token });

  /** Follows nextCursor from `q`; returns every page. */
  async function allPages(q: string): Promise<any[][]> {
    const pages: any[][] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 50; guard++) {
      const sep = q.includes('?') ? '&' : '?';
      const url: string = cursor === null ? q : `${q}${sep}cursor=${encodeURIComponent(cursor)}`;
      const b = expectOk(await detailed(u.tenant.token, url), 'get', U_DETAILED, 200);
      pages.push(b.items);
      cursor = b.nextCursor;
      if (cursor === null) break;
    }
    return pages;
  }

  function expectNewestFirst(items: any[]) {
    const t = items.map((x) => Date.parse(x.occurredAt));
    for (let i = 1; i < t.length; i++) expect(t[i]!, 'newest first').toBeLessThanOrEqual(t[i - 1]!);
  }

  it('200: every verified call once, newest first, each as recorded', async () => {
    const b = expectOk(await detailed(u.tenant.token), 'get', U_DETAILED, 200);
    expect(b.items.length).toBe(13);
    expect(b.nextCursor).toBeNull();
    expectNewestFirst(b.items);
    const byRid = new Map<string, any>(b.items.map((x: any) => [x.requestId, x]));
    expect(byRid.size).toBe(13);
    for (const c of u.calls) {
      const e = byRid.get(c.requestId);
      expect(e, `event of request ${c.requestId}`).toBeDefined();
      expect(e).toMatchObject({
        keyId: c.keyId,
        source: 'verify',
        method: c.method,
        endpoint: c.endpoint,
        statusCode: EVENT_STATUS[c.code],
        code: c.code,
        cost: c.cost,
      });
      expect(e.latencyMs).toBeGreaterThanOrEqual(0);
      expect(e.latencyMs).toBeLessThan(1000);
      expect(Math.abs(Date.parse(e.occurredAt) - Date.now())).toBeLessThan(5 * 60_000);
    }
    // Newest first = the reverse of the order the calls were made.
    expect(b.items.map((x: any) => x.requestId)).toEqual([...u.calls].reverse().map((c) => c.requestId));
  });

  it('200: cursor pagination — pages of 5, 5, 3, no duplicates, no gaps, last nextCursor null', async () => {
    const pages = await allPages('?limit=5');
    expect(pages.map((p) => p.length)).toEqual([5, 5, 3]);
    const flat = pages.flat();
    expectNewestFirst(flat);
    const rids = flat.map((x) => x.requestId);
    expect(new Set(rids).size).toBe(13);
    expect(new Set(rids)).toEqual(new Set(u.calls.map((c) => c.requestId)));
    // limit=13 → one full page; is nextCursor null or does the next page come back empty?
    const one = expectOk(await detailed(u.tenant.token, '?limit=13'), 'get', U_DETAILED, 200);
    expect(one.items.length).toBe(13);
    if (one.nextCursor !== null) {
      const next = expectOk(await detailed(u.tenant.token, `?limit=13&cursor=${encodeURIComponent(one.nextCursor)}`), 'get', U_DETAILED, 200);
      expect(next.items).toEqual([]);
      expect(next.nextCursor).toBeNull();
    }
  });

  it('200: filters keyId, endpoint (exact), statusClass — also combined with pagination', async () => {
    const ids = async (q: string) => (await allPages(q)).flat().map((x) => x.requestId).sort();
    const want = (pred: (c: (typeof u.calls)[number]) => boolean) => u.calls.filter(pred).map((c) => c.requestId).sort();
    expect(await ids(`?keyId=${u.keys.B.id}`)).toEqual(want((c) => c.keyName === 'B'));
    expect(await ids(`?keyId=${u.keys.A.id}&limit=4`)).toEqual(want((c) => c.keyName === 'A'));
    expect(await ids('?endpoint=%2Fv1%2Fsearch&limit=2')).toEqual(want((c) => c.endpoint === '/v1/search'));
    expect(await ids('?endpoint=%2Fv1%2Fitems')).toEqual(want((c) => c.endpoint === '/v1/items'));
    expect(await ids('?endpoint=%2Fv1')).toEqual([]);
    expect(await ids('?statusClass=4xx')).toEqual(want((c) => c.code !== 'VALID'));
    expect(await ids('?statusClass=2xx&limit=3')).toEqual(want((c) => c.code === 'VALID'));
    expect(await ids('?statusClass=5xx')).toEqual([]);
    expect(await ids(`?keyId=${u.keys.A.id}&endpoint=%2Fv1%2Fitems`)).toEqual(want((c) => c.keyName === 'A' && c.endpoint === '/v1/items'));
  });

  it('200: a range without calls, and another organization → empty', async () => {
    const to = Date.now() - 45 * DAY;
    const b = expectOk(await detailed(u.tenant.token, `?from=${iso(to - DAY)}&to=${iso(to)}`), 'get', U_DETAILED, 200);
    expect(b).toEqual({ items: [], nextCursor: null });
    const other = await newTenant(server(), 'us-det-other');
    const o = expectOk(await api(server(), 'get', U_DETAILED, { token: other.token }), 'get', U_DETAILED, 200);
    expect(o.items).toEqual([]);
    // Another organization's cursor is no way in either.
    const first = expectOk(await detailed(u.tenant.token, '?limit=2'), 'get', U_DETAILED, 200);
    const sneaky = await api(server(), 'get', `${U_DETAILED}?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`, { token: other.token });
    if (sneaky.status === 200) expect(sneaky.json.items).toEqual([]);
    else expectProblem(sneaky, 'get', U_DETAILED, 422, 'VALIDATION_FAILED');
  });

  describe('422 VALIDATION_FAILED', () => {
    const cases: Array<[string, string, string]> = [
      ['limit 0', '?limit=0', 'limit'],
      ['limit 501', '?limit=501', 'limit'],
      ['limit not a number', '?limit=ten', 'limit'],
      ['statusClass 6xx', '?statusClass=6xx', 'statusClass'],
      ['a cursor that is not one of ours', '?cursor=not-a-cursor', 'cursor'],
      ['endpoint over 512 characters', `?endpoint=${'e'.repeat(513)}`, 'endpoint'],
      ['keyId not a uuid', '?keyId=nope', 'keyId'],
    ];
    for (const [what, q, field] of cases) {
      it(what, async () => {
        expectValidationFailed(await detailed(u.tenant.token, q), U_DETAILED, field, 'get');
      });
    }
    it('from after to', async () => {
      const now = Date.now();
      expectProblem(await detailed(u.tenant.token, `?from=${iso(now)}&to=${iso(now - 1000)}`), 'get', U_DETAILED, 422, 'VALIDATION_FAILED');
    });
  });

  it('401: without a token', async () => {
    expectProblem(await detailed(undefined), 'get', U_DETAILED, 401, 'UNAUTHORIZED');
  });
});
