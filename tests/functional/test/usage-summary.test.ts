import { describe, it, expect, beforeAll } from 'vitest';
import crypto from 'node:crypto';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { api, expectOk, expectProblem, expectValidationFailed } from './auth-helpers.js';
import { DAY, HOUR, KEYS_ENV, U_SUMMARY, ceilHour, floorHour, iso, newTenant, seedUsage, type SeededUsage } from './keys-helpers.js';

describe('GET /api/user/usage/summary', () => {
  const server = useServer(KEYS_ENV);
  printLogsOnFailure();

  let u: SeededUsage;
  beforeAll(async () => {
    u = await seedUsage(server(), 'us-sum');
  });

  const summary = (token: string | undefined, q = '') => api(server(), 'get', U_SUMMARY + q, { token });

  it('200: default range (last 30 days) totals equal what went through /v1/keys/verify', async () => {
    const before = Date.now();
    const b = expectOk(await summary(u.tenant.token), 'get', U_SUMMARY, 200);
    expect(b).toMatchObject({ requests: 13, costUnits: 25, errors: 2, serverErrors: 0, rejected: 2 });
    expect(b.errorRate).toBeCloseTo(2 / 13, 6);
    const to = Date.parse(b.to);
    const from = Date.parse(b.from);
    // to = now ceiled to the hour, from = to - 30 days floored to the hour.
    expect(to).toBeGreaterThanOrEqual(before - 1000);
    expect(to).toBeLessThanOrEqual(ceilHour(Date.now()) + 1000);
    expect(to - from).toBeGreaterThanOrEqual(30 * DAY - 1000);
    expect(to - from).toBeLessThanOrEqual(30 * DAY + 2 * HOUR);
    // Verify latencies are the time spent deciding: small.
    expect(b.latencyP50Ms).not.toBeNull();
    expect(b.latencyP95Ms).not.toBeNull();
    expect(b.latencyP50Ms).toBeGreaterThanOrEqual(0);
    expect(b.latencyP95Ms).toBeGreaterThanOrEqual(b.latencyP50Ms);
    expect(b.latencyP95Ms).toBeLessThan(1000);
  });

  it('200: explicit from/to are widened to whole hours (from floored, to ceiled)', async () => {
    const now = Date.now();
    const from = now - 2 * HOUR - 17 * 60_000;
    const to = now + 5 * 60_000;
    const b = expectOk(await summary(u.tenant.token, `?from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`), 'get', U_SUMMARY, 200);
    expect(Date.parse(b.from)).toBe(floorHour(from));
    expect(Date.parse(b.to)).toBe(ceilHour(to));
    expect(b.requests).toBe(13);
    expect(b.costUnits).toBe(25);
  });

  it('200: ?keyId narrows to one key', async () => {
    const a = expectOk(await summary(u.tenant.token, `?keyId=${u.keys.A.id}`), 'get', U_SUMMARY, 200);
    expect(a).toMatchObject({ requests: 9, costUnits: 15, errors: 0, rejected: 0, errorRate: 0 });
    const b = expectOk(await summary(u.tenant.token, `?keyId=${u.keys.B.id}`), 'get', U_SUMMARY, 200);
    expect(b).toMatchObject({ requests: 2, costUnits: 10, errors: 0 });
    const c = expectOk(await summary(u.tenant.token, `?keyId=${u.keys.C.id}`), 'get', U_SUMMARY, 200);
    expect(c).toMatchObject({ requests: 2, costUnits: 0, errors: 2, rejected: 2, serverErrors: 0 });
    expect(c.errorRate).toBe(1);
  });

  it('200: a range without calls → zeros, errorRate 0, null latencies', async () => {
    const to = Date.now() - 40 * DAY;
    const b = expectOk(await summary(u.tenant.token, `?from=${iso(to - 5 * DAY)}&to=${iso(to)}`), 'get', U_SUMMARY, 200);
    expect(b).toMatchObject({ requests: 0, costUnits: 0, errors: 0, serverErrors: 0, rejected: 0, errorRate: 0, latencyP50Ms: null, latencyP95Ms: null });
  });

  it('200: another organization sees none of it (also when naming this organization\'s key)', async () => {
    const other = await newTenant(server(), 'us-sum-other');
    const b = expectOk(await summary(other.token), 'get', U_SUMMARY, 200);
    expect(b).toMatchObject({ requests: 0, costUnits: 0 });
    const r = await summary(other.token, `?keyId=${u.keys.A.id}`);
    if (r.status === 200) expect(expectOk(r, 'get', U_SUMMARY, 200).requests).toBe(0);
    else expect([404, 422]).toContain(r.status);
  });

  describe('422 VALIDATION_FAILED', () => {
    const now = Date.now();
    const cases: Array<[string, string, string]> = [
      ['from after to', `?from=${iso(now)}&to=${iso(now - DAY)}`, 'from'],
      ['from equal to to', `?from=${iso(now - DAY)}&to=${iso(now - DAY)}`, 'from'],
      ['range over 400 days', `?from=${iso(now - 401 * DAY)}&to=${iso(now)}`, 'from'],
      ['from not a date-time', '?from=yesterday', 'from'],
      ['to not a date-time', '?to=2024-13-45T00:00:00Z', 'to'],
      ['keyId not a uuid', '?keyId=abc', 'keyId'],
    ];
    for (const [what, q, field] of cases) {
      it(what, async () => {
        const r = await summary(u.tenant.token, q);
        if (field === 'from' && (what.includes('after') || what.includes('equal') || what.includes('400'))) {
          // Range errors may name either bound.
          const body = expectProblem(r, 'get', U_SUMMARY, 422, 'VALIDATION_FAILED');
          expect(Array.isArray(body.errors)).toBe(true);
        } else {
          expectValidationFailed(r, U_SUMMARY, field, 'get');
        }
      });
    }
  });

  it('200: a range of 399 days is allowed and covers the calls', async () => {
    const to = Date.now() + 60_000;
    const b = expectOk(await summary(u.tenant.token, `?from=${iso(to - 399 * DAY)}&to=${iso(to)}`), 'get', U_SUMMARY, 200);
    expect(b.requests).toBe(13);
  });

  it('401: without a token', async () => {
    expectProblem(await summary(undefined), 'get', U_SUMMARY, 401, 'UNAUTHORIZED');
    expectProblem(await summary(crypto.randomUUID()), 'get', U_SUMMARY, 401, 'UNAUTHORIZED');
  });
});
