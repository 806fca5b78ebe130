import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { api, expectOk, expectProblem } from './auth-helpers.js';
import { KEYS_ENV, U_MONTHLY, newTenant, seedUsage, type SeededUsage } from './keys-helpers.js';

describe('GET /api/user/usage/monthly/{year}/{month}', () => {
  const server = useServer(KEYS_ENV);
  printLogsOnFailure();

  let u: SeededUsage;
  let year: number;
  let month: number;
  beforeAll(async () => {
    u = await seedUsage(server(), 'us-mon');
    const now = new Date();
    year = now.getUTCFullYear();
    month = now.getUTCMonth() + 1;
  });

  const monthly = (token: string | undefined, y: number | string, m: number | string) =>
    api(server(), 'get', `/api/user/usage/monthly/${y}/${m}`, { token });

  function daysIn(y: number, m: number): string[] {
    const n = new Date(Date.UTC(y, m, 0)).getUTCDate();
    return Array.from({ length: n }, (_, i) => `${y}-${String(m).padStart(2, '0')}-${String(i + 1).padStart(2, '0')}`);
  }

  it('200: the current UTC month — totals as verified, one row per calendar day', async () => {
    const b = expectOk(await monthly(u.tenant.token, year, month), 'get', U_MONTHLY, 200);
    expect(b).toMatchObject({ year, month, requests: 13, costUnits: 25, errors: 2 });
    expect(b.days.map((d: any) => d.date)).toEqual(daysIn(year, month));
    const sum = b.days.reduce(
      (a: any, d: any) => ({ requests: a.requests + d.requests, costUnits: a.costUnits + d.costUnits, errors: a.errors + d.errors }),
      { requests: 0, costUnits: 0, errors: 0 },
    );
    expect(sum).toEqual({ requests: 13, costUnits: 25, errors: 2 });
    const today = new Date().toISOString().slice(0, 10);
    const todayRow = b.days.find((d: any) => d.date === today);
    expect(todayRow.requests, 'today holds the calls (unless the test ran across midnight)').toBeGreaterThan(0);
  });

  it('200: a month without calls (and another organization\'s view) → zeros for every day', async () => {
    const b = expectOk(await monthly(u.tenant.token, 2024, 2), 'get', U_MONTHLY, 200);
    expect(b).toMatchObject({ year: 2024, month: 2, requests: 0, costUnits: 0, errors: 0 });
    expect(b.days.length).toBe(29);
    expect(b.days.every((d: any) => d.requests === 0 && d.costUnits === 0 && d.errors === 0)).toBe(true);
    const other = await newTenant(server(), 'us-mon-other');
    const o = expectOk(await monthly(other.token, year, month), 'get', U_MONTHLY, 200);
    expect(o).toMatchObject({ requests: 0, costUnits: 0, errors: 0 });
  });

  it('422: month 0 / 13, year 1999 / 2201', async () => {
    for (const [y, m] of [
      [year, 0],
      [year, 13],
      [1999, 1],
      [2201, 1],
    ] as const) {
      const r = await monthly(u.tenant.token, y, m);
      expectProblem(r, 'get', U_MONTHLY, 422, 'VALIDATION_FAILED');
    }
  });

  it('401: without a token', async () => {
    expectProblem(await monthly(undefined, year, month), 'get', U_MONTHLY, 401, 'UNAUTHORIZED');
  });
});
