/** GET /api/plans: the public catalog, without signing in; archived and non-public plans are not listed. */
import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { api, dbQuery, expectOk } from './auth-helpers.js';

describe('GET /api/plans', () => {
  const server = useServer({});
  printLogsOnFailure();

  it('200: the seeded plans in display order, prices in minor units, no sign-in needed', async () => {
    const r = await api(server(), 'get', '/api/plans');
    const body = expectOk(r, 'get', '/api/plans', 200);
    expect(r.headers.get('cache-control')).toBe('public, max-age=60');
    const slugs = body.plans.map((p: any) => p.slug);
    expect(slugs.slice(0, 4)).toEqual(['free', 'starter', 'pro', 'business']);
    const pro = body.plans.find((p: any) => p.slug === 'pro');
    expect(pro).toMatchObject({
      name: 'Pro', type: 'HYBRID', currency: 'USD', priceMonthly: 9900, priceAnnual: 99000, includedUnits: 500000,
      overagePrice: 40, overageBlockUnits: 1000, quotaPolicy: 'allow_overage', rateLimitPerMinute: 300, maxApiKeys: 25,
      maxMembers: 10, trialDays: 14,
    });
    expect(pro.features).toMatchObject({ csv_export: true, team: true });
    expect(Number.isInteger(pro.priceMonthly)).toBe(true);
  });

  it('200: an archived plan and a non-public plan are not listed; a new public plan is, in its place', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    await dbQuery(
      server(),
      `INSERT INTO plans (slug, name, type, rate_limit_per_minute, display_order, status, is_public) VALUES
         ($1, 'Archived', 'SUBSCRIPTION', 10, 1, 'archived', true),
         ($2, 'Custom', 'SUBSCRIPTION', 10, 2, 'active', false),
         ($3, 'Early', 'SUBSCRIPTION', 10, 0, 'active', true)`,
      [`arch-${tag}`, `custom-${tag}`, `early-${tag}`],
    );
    const body = expectOk(await api(server(), 'get', '/api/plans'), 'get', '/api/plans', 200);
    const slugs: string[] = body.plans.map((p: any) => p.slug);
    expect(slugs).not.toContain(`arch-${tag}`);
    expect(slugs).not.toContain(`custom-${tag}`);
    expect(slugs[0]).toBe(`early-${tag}`);
    const early = body.plans[0];
    expect(early).toMatchObject({ priceAnnual: null, maxApiKeys: null, maxMembers: null, priceMonthly: 0 });
  });
});
