import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { sleep } from '../harness/env.js';
import { api, expectOk, expectProblem } from './auth-helpers.js';
import { KEYS_ENV, U_QUOTA, createKey, monthStartUtc, newTenant, seedUsage, setPlan, verifyOk, type SeededUsage } from './keys-helpers.js';

describe('GET /api/user/usage/quota', () => {
  const server = useServer(KEYS_ENV);
  printLogsOnFailure();

  let u: SeededUsage;
  beforeAll(async () => {
    u = await seedUsage(server(), 'us-quota');
  });

  const quota = (token: string | undefined) => api(server(), 'get', U_QUOTA, { token });

  /** GET the quota until `pred` holds (≤ withinMs); returns the last body. */
  async function quotaUntil(token: string, pred: (b: any) => boolean, withinMs: number): Promise<any> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const b = expectOk(await quota(token), 'get', U_QUOTA, 200);
      if (pred(b) || Date.now() > deadline) return b;
      await sleep(200);
    }
  }

  it('200: a new account — free plan, nothing used, the UTC calendar month', async () => {
    const t = await newTenant(server(), 'us-quota-new');
    const b = expectOk(await quota(t.token), 'get', U_QUOTA, 200);
    expect(b).toEqual({
      plan: { slug: 'free', name: 'Free' },
      limit: 1000,
      used: 0,
      remaining: 1000,
      percent: 0,
      policy: 'hard_cap',
      periodStart: b.periodStart,
      resetsAt: b.resetsAt,
    });
    expect(Date.parse(b.periodStart)).toBe(monthStartUtc());
    expect(Date.parse(b.resetsAt)).toBe(monthStartUtc(Date.now(), 1));
  });

  it('200: used = the cost units verified this period (rejected calls count nothing)', async () => {
    const b = await quotaUntil(u.tenant.token, (x) => x.used === 25, 10_000);
    expect(b).toMatchObject({ plan: { slug: 'free', name: 'Free' }, limit: 1000, used: 25, remaining: 975, policy: 'hard_cap' });
    expect(b.percent).toBeCloseTo(2.5, 6);
  });

  it('200: agrees with the quota the verification API reports', async () => {
    const t = await newTenant(server(), 'us-quota-agree');
    const svcToken = u.serviceToken;
    const { secret } = await createKey(server(), t.token, { name: 'q', rateLimitPerMinute: 1000 });
    let last: any;
    for (const cost of [7, 30, 100]) last = (await verifyOk(server(), svcToken, { key: secret, cost })).json;
    expect(last.quota.used).toBe(137);
    const b = await quotaUntil(t.token, (x) => x.used === 137, 10_000);
    expect(b).toMatchObject({ limit: 1000, used: 137, remaining: 863 });
    expect(Date.parse(b.resetsAt)).toBe(Date.parse(last.quota.reset));
  });

  it('200: a subscription — its plan, its period, allow_overage (plan changes show within 1 s)', async () => {
    const period = await setPlan(server(), u.tenant.orgId, 'pro');
    const b = await quotaUntil(u.tenant.token, (x) => x.plan.slug === 'pro', 1500);
    expect(b).toMatchObject({ plan: { slug: 'pro', name: 'Pro' }, limit: 500000, used: 25, remaining: 499975, policy: 'allow_overage' });
    expect(b.percent).toBeCloseTo(0.005, 6);
    expect(Date.parse(b.periodStart)).toBe(new Date(period.periodStart).getTime());
    expect(Date.parse(b.resetsAt)).toBe(new Date(period.periodEnd).getTime());
  });

  it('401: without a token', async () => {
    expectProblem(await quota(undefined), 'get', U_QUOTA, 401, 'UNAUTHORIZED');
  });
});
