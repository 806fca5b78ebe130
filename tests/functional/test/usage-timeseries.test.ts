import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { api, expectOk, expectProblem, expectValidationFailed } from './auth-helpers.js';
import { DAY, HOUR, KEYS_ENV, U_TIMESERIES, floorHour, iso, newTenant, seedUsage, type SeededUsage } from './keys-helpers.js';

describe('GET /api/user/usage/timeseries', () => {
  const server = useServer(KEYS_ENV);
  printLogsOnFailure();

  let u: SeededUsage;
  beforeAll(async () => {
    u = await seedUsage(server(), 'us-ts');
  });

  const ts = (token: string | undefined, q = '') => api(server(), 'get', U_TIMESERIES + q, { token });

  function sums(points: any[]) {
    return points.reduce(
      (acc, p) => ({ requests: acc.requests + p.requests, errors: acc.errors + p.errors, costUnits: acc.costUnits + p.costUnits }),
      { requests: 0, errors: 0, costUnits: 0 },
    );
  }

  /** Oldest first, consecutive buckets of `step` ms, aligned; zero buckets have null latencies. */
  function expectSeries(points: any[], step: number) {
    const ts = points.map((p) => Date.parse(p.t));
    for (let i = 0; i < ts.length; i++) {
      expect(ts[i]! % step, `bucket ${points[i].t} aligned to ${step} ms (UTC)`).toBe(0);
      if (i > 0) expect(ts[i]! - ts[i - 1]!, `consecutive buckets at ${points[i].t}`).toBe(step);
      if (points[i].requests === 0) {
        expect(points[i].errors).toBe(0);
        expect(points[i].costUnits).toBe(0);
        expect(points[i].latencyP50Ms).toBeNull();
      } else {
        expect(points[i].latencyP50Ms).not.toBeNull();
        expect(points[i].latencyP95Ms).toBeGreaterThanOrEqual(points[i].latencyP50Ms);
      }
    }
  }

  it('200: a range of hours → hourly, zero-filled buckets whose sums are what was verified', async () => {
    const now = Date.now();
    const from = floorHour(now) - 5 * HOUR;
    const b = expectOk(await ts(u.tenant.token, `?from=${iso(from)}&to=${iso(now)}`), 'get', U_TIMESERIES, 200);
    expect(b.granularity).toBe('hour');
    expect(b.points.length).toBe(6);
    expect(Date.parse(b.points[0].t)).toBe(from);
    expectSeries(b.points, HOUR);
    expect(sums(b.points)).toEqual({ requests: 13, errors: 2, costUnits: 25 });
    expect(b.points.slice(0, 4).every((p: any) => p.requests === 0), 'hours before the calls are zero').toBe(true);
  });

  it('200: default range (30 days) → daily points', async () => {
    const b = expectOk(await ts(u.tenant.token), 'get', U_TIMESERIES, 200);
    expect(b.granularity).toBe('day');
    expect(b.points.length).toBeGreaterThanOrEqual(30);
    expect(b.points.length).toBeLessThanOrEqual(32);
    expectSeries(b.points, DAY);
    expect(sums(b.points)).toEqual({ requests: 13, errors: 2, costUnits: 25 });
  });

  it('200: up to 3 days defaults to hour, longer to day; an explicit granularity wins', async () => {
    const now = Date.now();
    const two = expectOk(await ts(u.tenant.token, `?from=${iso(now - 2 * DAY)}&to=${iso(now)}`), 'get', U_TIMESERIES, 200);
    expect(two.granularity).toBe('hour');
    expect(two.points.length).toBeGreaterThanOrEqual(48);
    expect(two.points.length).toBeLessThanOrEqual(50);
    expectSeries(two.points, HOUR);
    const four = expectOk(await ts(u.tenant.token, `?from=${iso(now - 4 * DAY)}&to=${iso(now)}`), 'get', U_TIMESERIES, 200);
    expect(four.granularity).toBe('day');
    expectSeries(four.points, DAY);
    expect(sums(four.points).requests).toBe(13);
    const hourly = expectOk(await ts(u.tenant.token, `?from=${iso(now - 5 * DAY)}&to=${iso(now)}&granularity=hour`), 'get', U_TIMESERIES, 200);
    expect(hourly.granularity).toBe('hour');
    expect(hourly.points.length).toBeGreaterThanOrEqual(120);
    expect(hourly.points.length).toBeLessThanOrEqual(122);
    expect(sums(hourly.points)).toEqual({ requests: 13, errors: 2, costUnits: 25 });
    const daily = expectOk(await ts(u.tenant.token, `?from=${iso(now - 2 * DAY)}&to=${iso(now)}&granularity=day`), 'get', U_TIMESERIES, 200);
    expect(daily.granularity).toBe('day');
    expectSeries(daily.points, DAY);
    expect(sums(daily.points).costUnits).toBe(25);
  });

  it('200: ?keyId', async () => {
    const now = Date.now();
    const b = expectOk(await ts(u.tenant.token, `?from=${iso(now - 3 * HOUR)}&to=${iso(now)}&keyId=${u.keys.B.id}`), 'get', U_TIMESERIES, 200);
    expect(sums(b.points)).toEqual({ requests: 2, errors: 0, costUnits: 10 });
  });

  it('200: another organization gets the same buckets, all zero', async () => {
    const other = await newTenant(server(), 'us-ts-other');
    const now = Date.now();
    const b = expectOk(await ts(other.token, `?from=${iso(floorHour(now) - 2 * HOUR)}&to=${iso(now)}`), 'get', U_TIMESERIES, 200);
    expect(b.points.length).toBe(3);
    expect(sums(b.points)).toEqual({ requests: 0, errors: 0, costUnits: 0 });
  });

  it('422: more than 2,000 points, an unknown granularity, a bad range', async () => {
    const now = Date.now();
    // 100 days of hours = 2,400 points.
    expectProblem(await ts(u.tenant.token, `?from=${iso(now - 100 * DAY)}&to=${iso(now)}&granularity=hour`), 'get', U_TIMESERIES, 422, 'VALIDATION_FAILED');
    expectValidationFailed(await ts(u.tenant.token, '?granularity=minute'), U_TIMESERIES, 'granularity', 'get');
    expectProblem(await ts(u.tenant.token, `?from=${iso(now)}&to=${iso(now - HOUR)}`), 'get', U_TIMESERIES, 422, 'VALIDATION_FAILED');
    expectProblem(await ts(u.tenant.token, `?from=${iso(now - 401 * DAY)}&to=${iso(now)}&granularity=day`), 'get', U_TIMESERIES, 422, 'VALIDATION_FAILED');
    expectValidationFailed(await ts(u.tenant.token, '?keyId=1'), U_TIMESERIES, 'keyId', 'get');
  });

  it('401: without a token', async () => {
    expectProblem(await ts(undefined), 'get', U_TIMESERIES, 401, 'UNAUTHORIZED');
  });
});
