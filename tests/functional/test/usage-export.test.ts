import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { validateResponse } from '../harness/openapi.js';
import type { FetchResult } from '../harness/http.js';
import { api, expectProblem } from './auth-helpers.js';
import {
  DAY, EVENT_STATUS, KEYS_ENV, U_EXPORT, createKey, createServiceToken, iso, newTenant, seedUsage, verifyOk, waitOrgEvents,
  type SeededUsage,
} from './keys-helpers.js';

const HEADER = ['occurredAt', 'keyId', 'method', 'endpoint', 'statusCode', 'code', 'cost', 'latencyMs', 'requestBytes', 'responseBytes', 'requestId'];

/** RFC 4180: quoted fields, doubled quotes, CRLF or LF line ends. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

describe('GET /api/user/usage/export', () => {
  const server = useServer(KEYS_ENV);
  printLogsOnFailure();

  let u: SeededUsage;
  beforeAll(async () => {
    u = await seedUsage(server(), 'us-exp');
  });

  const exportCsv = (token: string | undefined, q = '') => api(server(), 'get', U_EXPORT + q, { token });

  /** 200 text/csv with an attachment disposition and the documented header; returns the rows as objects. */
  function expectCsv(r: FetchResult): Array<Record<string, string>> {
    expect(r.status, `export → ${r.status}: ${r.text.slice(0, 300)}`).toBe(200);
    expect(r.contentType).toMatch(/^text\/csv\b/i);
    validateResponse('get', U_EXPORT, 200, r.contentType, r.text);
    expect(r.headers.get('content-disposition') ?? '').toMatch(/^attachment\b/i);
    const rows = parseCsv(r.text);
    expect(rows[0]).toEqual(HEADER);
    return rows.slice(1).map((cells) => {
      expect(cells.length, `row ${JSON.stringify(cells)}`).toBe(HEADER.length);
      return Object.fromEntries(HEADER.map((h, i) => [h, cells[i]!]));
    });
  }

  it('200: text/csv attachment, the header row, one row per verified call with its values', async () => {
    const rows = expectCsv(await exportCsv(u.tenant.token));
    expect(rows.length).toBe(13);
    const byRid = new Map(rows.map((x) => [x.requestId, x]));
    expect(byRid.size).toBe(13);
    for (const c of u.calls) {
      const x = byRid.get(c.requestId);
      expect(x, `row of request ${c.requestId}`).toBeDefined();
      expect(x).toMatchObject({
        keyId: c.keyId,
        method: c.method,
        endpoint: c.endpoint,
        statusCode: String(EVENT_STATUS[c.code]),
        code: c.code,
        cost: String(c.cost),
      });
      expect(Number.isNaN(Date.parse(x!.occurredAt))).toBe(false);
      expect(Math.abs(Date.parse(x!.occurredAt) - Date.now())).toBeLessThan(5 * 60_000);
      expect(Number(x!.latencyMs)).toBeGreaterThanOrEqual(0);
      expect(Number(x!.latencyMs)).toBeLessThan(1000);
      expect(x!.requestBytes).toMatch(/^\d+$/);
      expect(x!.responseBytes).toMatch(/^\d+$/);
    }
    const costSum = rows.reduce((a, x) => a + Number(x.cost), 0);
    expect(costSum).toBe(25);
  });

  it('200: ?keyId and an explicit range', async () => {
    const now = Date.now();
    const rows = expectCsv(await exportCsv(u.tenant.token, `?keyId=${u.keys.A.id}&from=${iso(now - DAY)}&to=${iso(now + 60_000)}`));
    expect(rows.map((x) => x.requestId).sort()).toEqual(u.calls.filter((c) => c.keyName === 'A').map((c) => c.requestId).sort());
  });

  it('200: no calls in range, or another organization → the header row only', async () => {
    const to = Date.now() - 50 * DAY;
    expect(expectCsv(await exportCsv(u.tenant.token, `?from=${iso(to - DAY)}&to=${iso(to)}`))).toEqual([]);
    const other = await newTenant(server(), 'us-exp-other');
    expect(expectCsv(await exportCsv(other.token))).toEqual([]);
  });

  it('422: more than 31 days, from after to, bad keyId', async () => {
    const now = Date.now();
    expectProblem(await exportCsv(u.tenant.token, `?from=${iso(now - 32 * DAY)}&to=${iso(now)}`), 'get', U_EXPORT, 422, 'VALIDATION_FAILED');
    expectProblem(await exportCsv(u.tenant.token, `?from=${iso(now)}&to=${iso(now - DAY)}`), 'get', U_EXPORT, 422, 'VALIDATION_FAILED');
    expectProblem(await exportCsv(u.tenant.token, '?keyId=123'), 'get', U_EXPORT, 422, 'VALIDATION_FAILED');
  });

  it('401: without a token', async () => {
    expectProblem(await exportCsv(undefined), 'get', U_EXPORT, 401, 'UNAUTHORIZED');
  });

  it('200: endpoints and methods a spreadsheet would run as formulas (= + - @, or after a tab or CR) are prefixed with \'', async () => {
    const t = await newTenant(server(), 'us-exp-formula');
    const token = await createServiceToken(server());
    const k = await createKey(server(), t.token, { name: 'F', rateLimitPerMinute: 100000 });
    const evil = ['=HYPERLINK("https://evil.example")', '+1+1', '-2', '@SUM(A1)', '\t=cmd|x', '\r=cmd|y'];
    for (const endpoint of evil) {
      const r = await verifyOk(server(), token, { key: k.secret, endpoint, method: '=M' });
      expect(r.json.code).toBe('VALID');
    }
    await verifyOk(server(), token, { key: k.secret, endpoint: '/v1/a=b', method: 'GET' });
    expect((await waitOrgEvents(server(), t.orgId, evil.length + 1)).length).toBe(evil.length + 1);
    const rows = expectCsv(await exportCsv(t.token));
    expect(rows.map((x) => x.endpoint).sort()).toEqual([...evil.map((e) => `'${e}`), '/v1/a=b'].sort());
    for (const x of rows) {
      for (const cell of Object.values(x)) expect(/^[=+\-@\t\r]/.test(cell), `cell ${JSON.stringify(cell)}`).toBe(false);
    }
    expect(rows.filter((x) => x.method === "'=M").length).toBe(evil.length);
  });
});
