import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { api, expectOk, expectProblem, expectValidationFailed } from './auth-helpers.js';
import { DAY, KEYS_ENV, U_BY_ENDPOINT, iso, newTenant, seedUsage, type SeededUsage } from './keys-helpers.js';

describe('GET /api/user/usage/by-endpoint', () => {
  const server = useServer(KEYS_ENV);
  printLogsOnFailure();

  let u: SeededUsage;
  beforeAll(async () => {
    u = await seedUsage(server(), 'us-be');
  });

  const byEndpoint = (token: string | undefined, q = '') => api(server(), 'get', U_BY_ENDPOINT + q, { token });
  const strip = (items: any[]) => items.map((x) => ({ method: x.method, endpoint: x.endpoint, requests: x.requests, errors: x.errors, costUnits: x.costUnits }));

  it('200: one row per method + endpoint, busiest first, with the verified counts', async () => {
    const b = expectOk(await byEndpoint(u.tenant.token), 'get', U_BY_ENDPOINT, 200);
    expect(strip(b.items)).toEqual([
      { method: 'POST', endpoint: '/v1/search', requests: 6, errors: 0, costUnits: 12 },
      { method: 'GET', endpoint: '/v1/items', requests: 5, errors: 0, costUnits: 13 },
      { method: 'DELETE', endpoint: '/v1/items/1', requests: 2, errors: 2, costUnits: 0 },
    ]);
    for (const x of b.items) {
      expect(x.latencyP50Ms).not.toBeNull();
      expect(x.latencyP95Ms).toBeGreaterThanOrEqual(x.latencyP50Ms);
      expect(x.latencyP95Ms).toBeLessThan(1000);
    }
  });

  it('200: ?keyId', async () => {
    const a = expectOk(await byEndpoint(u.tenant.token, `?keyId=${u.keys.A.id}`), 'get', U_BY_ENDPOINT, 200);
    expect(strip(a.items)).toEqual([
      { method: 'POST', endpoint: '/v1/search', requests: 6, errors: 0, costUnits: 12 },
      { method: 'GET', endpoint: '/v1/items', requests: 3, errors: 0, costUnits: 3 },
    ]);
    const b = expectOk(await byEndpoint(u.tenant.token, `?keyId=${u.keys.B.id}`), 'get', U_BY_ENDPOINT, 200);
    expect(strip(b.items)).toEqual([{ method: 'GET', endpoint: '/v1/items', requests: 2, errors: 0, costUnits: 10 }]);
  });

  it('200: a range without calls, and another organization → no rows', async () => {
    const to = Date.now() - 60 * DAY;
    expect(expectOk(await byEndpoint(u.tenant.token, `?from=${iso(to - DAY)}&to=${iso(to)}`), 'get', U_BY_ENDPOINT, 200).items).toEqual([]);
    const other = await newTenant(server(), 'us-be-other');
    expect(expectOk(await byEndpoint(other.token), 'get', U_BY_ENDPOINT, 200).items).toEqual([]);
  });

  it('422: bad range, bad keyId', async () => {
    const now = Date.now();
    expectProblem(await byEndpoint(u.tenant.token, `?from=${iso(now)}&to=${iso(now - DAY)}`), 'get', U_BY_ENDPOINT, 422, 'VALIDATION_FAILED');
    expectProblem(await byEndpoint(u.tenant.token, `?from=${iso(now - 500 * DAY)}&to=${iso(now)}`), 'get', U_BY_ENDPOINT, 422, 'VALIDATION_FAILED');
    expectValidationFailed(await byEndpoint(u.tenant.token, '?from=not-a-date'), U_BY_ENDPOINT, 'from', 'get');
    expectValidationFailed(await byEndpoint(u.tenant.token, '?keyId=zzz'), U_BY_ENDPOINT, 'keyId', 'get');
  });

  it('401: without a token', async () => {
    expectProblem(await byEndpoint(undefined), 'get', U_BY_ENDPOINT, 401, 'UNAUTHORIZED');
  });
});
