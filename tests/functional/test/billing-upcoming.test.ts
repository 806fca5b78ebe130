/**
 * GET /api/user/billing/upcoming: the next invoice's estimate from the plan and this period's hourly usage rollups
 * (base fee, included units, overage priced per block and rounded half up once, and the period's projection at the
 * current pace), in both billing modes. 401.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startFakeStripe, type FakeStripe } from '../harness/fake-stripe.js';
import { api, dbQuery } from './auth-helpers.js';
import { newTenant, type Tenant } from './keys-helpers.js';
import {
  B,
  addUsage,
  fill,
  insertPlan,
  isoSeconds,
  keyIdOf,
  localEnv,
  localSubscription,
  ok,
  overageAmount,
  problem,
  stripeEnv,
  stripePlan,
  stripeTenant,
  subscribe,
  type BillingPath,
  type TestPlan,
} from './billing-helpers.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('GET /api/user/billing/upcoming, local mode', () => {
  const server = useServer(localEnv());
  printLogsOnFailure();

  let hybrid: TestPlan;
  let capped: TestPlan;
  let penny: TestPlan;
  let noAnnual: TestPlan;
  beforeAll(async () => {
    hybrid = await insertPlan(server(), { name: 'Up Hybrid', type: 'HYBRID', priceMonthly: 2900, priceAnnual: 29000, includedUnits: 1000, overagePrice: 3, overageBlock: 1000, policy: 'allow_overage' });
    capped = await insertPlan(server(), { name: 'Up Capped', priceMonthly: 900, includedUnits: 1000, policy: 'hard_cap' });
    penny = await insertPlan(server(), { name: 'Up Penny', type: 'HYBRID', priceMonthly: 100, includedUnits: 0, overagePrice: 1, overageBlock: 1000, policy: 'allow_overage' });
    noAnnual = await insertPlan(server(), { name: 'Up Monthly Only', priceMonthly: 1500, priceAnnual: null, includedUnits: 10 });
  });

  const upcoming = (token?: string) => api(server(), 'get', B.upcoming, { token });

  /** A tenant on `plan` with a period [now - 10 days, now + 20 days] (whole seconds). */
  async function onPlan(plan: TestPlan, tag: string, opts: { interval?: 'month' | 'year'; source?: 'local' | 'stripe' } = {}) {
    const t = await newTenant(server(), tag);
    const sub = await localSubscription(server(), t.orgId, plan.id, {
      start: "date_trunc('second', now()) - interval '10 days'",
      end: "date_trunc('second', now()) + interval '20 days'",
      interval: opts.interval,
      source: opts.source,
      stripeId: opts.source === 'stripe' ? `sub_up_${t.orgId.slice(0, 8)}` : undefined,
    });
    return { ...t, sub, keyId: await keyIdOf(server(), t) };
  }

  it('401: no token', async () => {
    problem(await upcoming(), 'get', B.upcoming, 401, 'UNAUTHORIZED');
  });

  it('200: the implicit Free plan — the calendar month, nothing used, nothing to pay', async () => {
    const t = await newTenant(server(), 'up-free');
    const r = await upcoming(t.token);
    const body = ok(r, 'get', B.upcoming);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const now = new Date();
    expect(body).toEqual({
      billingMode: 'local',
      currency: 'USD',
      periodStart: isoSeconds(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
      periodEnd: isoSeconds(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)),
      includedUnits: 1000,
      usedUnits: 0,
      overageUnits: 0,
      baseFee: 0,
      overageAmount: 0,
      total: 0,
      projectedUsedUnits: 0,
      projectedOverageAmount: 0,
      projectedTotal: 0,
      lines: [
        { kind: 'base_fee', description: 'Free plan', quantity: 1, unitPrice: 0, unitsPerPrice: 1, amount: 0, proration: false },
        { kind: 'included_units', description: 'Included units', quantity: 0, unitPrice: null, unitsPerPrice: 1, amount: 0, proration: false },
        { kind: 'overage', description: 'Units beyond the included ones', quantity: 0, unitPrice: 0, unitsPerPrice: 1000, amount: 0, proration: false },
      ],
    });
  });

  it('200: base fee, included units, half-up overage so far and the projection at the current pace (only this period, only this organization)', async () => {
    const t = await onPlan(hybrid, 'up-hybrid');
    const start = t.sub.start.getTime();
    await addUsage(server(), t.orgId, t.keyId, new Date(start + HOUR), 1000);
    await addUsage(server(), t.orgId, t.keyId, new Date(start + 3 * DAY), 1200);
    await addUsage(server(), t.orgId, t.keyId, new Date(Date.now() - HOUR), 300);
    await addUsage(server(), t.orgId, t.keyId, new Date(start - 2 * HOUR), 5000); // before the period
    const other = await onPlan(hybrid, 'up-other');
    await addUsage(server(), other.orgId, other.keyId, new Date(start + HOUR), 7777); // another organization

    const t0 = Date.now();
    const body = ok(await upcoming(t.token), 'get', B.upcoming);
    const t1 = Date.now();
    const used = 2500;
    const over = used - 1000;
    expect(overageAmount(over, 3, 1000)).toBe(5); // 4.5 → 5
    expect(body).toMatchObject({
      billingMode: 'local',
      currency: 'USD',
      periodStart: isoSeconds(t.sub.start),
      periodEnd: isoSeconds(t.sub.end),
      includedUnits: 1000,
      usedUnits: used,
      overageUnits: over,
      baseFee: 2900,
      overageAmount: 5,
      total: 2905,
    });
    expect(body.lines).toEqual([
      { kind: 'base_fee', description: 'Up Hybrid plan', quantity: 1, unitPrice: 2900, unitsPerPrice: 1, amount: 2900, proration: false },
      { kind: 'included_units', description: 'Included units', quantity: 1000, unitPrice: null, unitsPerPrice: 1, amount: 0, proration: false },
      { kind: 'overage', description: 'Units beyond the included ones', quantity: over, unitPrice: 3, unitsPerPrice: 1000, amount: 5, proration: false },
    ]);
    // The projection: used × period length / elapsed (≈ 3 × 2,500 ten days into a thirty-day period).
    const span = t.sub.end.getTime() - start;
    const lo = Math.floor((used * span) / (t1 - start + 1000)) - 1;
    const hi = Math.ceil((used * span) / (t0 - start - 1000)) + 1;
    expect(body.projectedUsedUnits).toBeGreaterThanOrEqual(lo);
    expect(body.projectedUsedUnits).toBeLessThanOrEqual(hi);
    expect(body.projectedOverageAmount).toBe(overageAmount(body.projectedUsedUnits - 1000, 3, 1000));
    expect(body.projectedTotal).toBe(2900 + body.projectedOverageAmount);
  });

  it('200: overage rounding — exactly half a block rounds up, just below half rounds down, once per invoice', async () => {
    for (const [units, expected] of [
      [500, 1],
      [499, 0],
      [1500, 2],
      [2499, 2],
    ] as const) {
      const t = await onPlan(penny, `up-round-${units}`);
      await addUsage(server(), t.orgId, t.keyId, new Date(t.sub.start.getTime() + HOUR), units);
      const body = ok(await upcoming(t.token), 'get', B.upcoming);
      expect(overageAmount(units, 1, 1000)).toBe(expected);
      expect(body, `${units} units`).toMatchObject({ usedUnits: units, overageUnits: units, overageAmount: expected, total: 100 + expected });
    }
  });

  it('200: a hard-capped plan has no overage, now or projected', async () => {
    const t = await onPlan(capped, 'up-capped');
    await addUsage(server(), t.orgId, t.keyId, new Date(t.sub.start.getTime() + HOUR), 1800);
    const body = ok(await upcoming(t.token), 'get', B.upcoming);
    expect(body).toMatchObject({ includedUnits: 1000, usedUnits: 1800, overageUnits: 0, baseFee: 900, overageAmount: 0, total: 900, projectedOverageAmount: 0, projectedTotal: 900 });
    expect(body.projectedUsedUnits).toBeGreaterThanOrEqual(1800);
    expect(body.lines[1]).toMatchObject({ kind: 'included_units', quantity: 1000 });
    expect(body.lines[2]).toMatchObject({ kind: 'overage', quantity: 0, amount: 0 });
  });

  it('200: an annual subscription bills the annual price (12 × monthly when the plan has none)', async () => {
    const a = await onPlan(hybrid, 'up-annual', { interval: 'year' });
    expect(ok(await upcoming(a.token), 'get', B.upcoming)).toMatchObject({ baseFee: 29000, total: 29000 });
    const m = await onPlan(noAnnual, 'up-annual-12', { interval: 'year' });
    const body = ok(await upcoming(m.token), 'get', B.upcoming);
    expect(body).toMatchObject({ baseFee: 18000, total: 18000 });
    expect(body.lines[0]).toMatchObject({ kind: 'base_fee', unitPrice: 18000, amount: 18000 });
  });

  it('200: a period that has ended (not renewed yet): the projection is what was used', async () => {
    const t = await newTenant(server(), 'up-ended');
    const sub = await localSubscription(server(), t.orgId, hybrid.id, {
      start: "date_trunc('second', now()) - interval '40 days'",
      end: "date_trunc('second', now()) - interval '10 days'",
      source: 'stripe',
      stripeId: `sub_ended_${t.orgId.slice(0, 8)}`,
    });
    const keyId = await keyIdOf(server(), t);
    await addUsage(server(), t.orgId, keyId, new Date(sub.start.getTime() + DAY), 3210);
    await addUsage(server(), t.orgId, keyId, new Date(), 999); // after the period
    const body = ok(await upcoming(t.token), 'get', B.upcoming);
    const over = overageAmount(2210, 3, 1000);
    expect(body).toMatchObject({ usedUnits: 3210, overageUnits: 2210, overageAmount: over, projectedUsedUnits: 3210, projectedOverageAmount: over, projectedTotal: 2900 + over });
  });
});

describe('GET /api/user/billing/upcoming, Stripe mode', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => stripeEnv(fake));
  printLogsOnFailure();

  it('200: billingMode stripe; a Stripe subscription is estimated from its mirrored period, the plan and the rollups', async () => {
    fake.webhookUrl = server().baseUrl + '/api/stripe/webhook';
    const plan = await stripePlan(server(), fake, { name: 'Up Stripe', type: 'HYBRID', priceMonthly: 4900, includedUnits: 2000, overagePrice: 7, overageBlock: 1000, policy: 'allow_overage' });
    const t: Tenant & { customer: string } = await stripeTenant(server(), 'up-stripe');
    const fresh = ok(await api(server(), 'get', B.upcoming, { token: t.token }), 'get', B.upcoming);
    expect(fresh).toMatchObject({ billingMode: 'stripe', baseFee: 0, includedUnits: 1000 });

    const { sub } = await subscribe(server(), fake, t, plan);
    const keyId = await keyIdOf(server(), t);
    await addUsage(server(), t.orgId, keyId, new Date(), 2600);
    const body = ok(await api(server(), 'get', B.upcoming, { token: t.token }), 'get', B.upcoming);
    expect(body).toMatchObject({
      billingMode: 'stripe',
      currency: 'USD',
      periodStart: isoSeconds(sub.current_period_start * 1000),
      periodEnd: isoSeconds(sub.current_period_end * 1000),
      includedUnits: 2000,
      usedUnits: 2600,
      overageUnits: 600,
      baseFee: 4900,
      overageAmount: overageAmount(600, 7, 1000),
      total: 4900 + overageAmount(600, 7, 1000),
    });
    expect(body.projectedUsedUnits).toBeGreaterThanOrEqual(2600);
    expect(body.projectedTotal).toBe(4900 + overageAmount(body.projectedUsedUnits - 2000, 7, 1000));
  });
});

// Every billing endpoint documents 429: they share the per-user /api budget, so one exhausted budget shows it on all.
describe('429 RATE_LIMITED on the billing endpoints (per-user budget)', () => {
  const server = useServer({ ...localEnv(), RATE_LIMIT_USER_MAX: '3', RATE_LIMIT_USER_WINDOW: '60s' });
  printLogsOnFailure();

  it('after the budget is spent, each billing endpoint answers 429 with Retry-After, as documented', async () => {
    const t = await newTenant(server(), 'up-429');
    for (let i = 0; i < 3; i++) ok(await api(server(), 'get', B.upcoming, { token: t.token }), 'get', B.upcoming);
    const calls: [string, BillingPath, string, unknown?][] = [
      ['get', B.upcoming, B.upcoming],
      ['get', B.subscription, B.subscription],
      ['post', B.checkout, B.checkout, { plan: 'starter' }],
      ['post', B.preview, B.preview, { plan: 'starter' }],
      ['post', B.change, B.change, { plan: 'starter' }],
      ['post', B.cancel, B.cancel],
      ['post', B.resume, B.resume],
      ['post', B.portal, B.portal],
      ['get', B.paymentMethods, B.paymentMethods],
      ['post', B.pmSetup, B.pmSetup],
      ['post', B.pmDefault, fill(B.pmDefault, 'pm_1Abc')],
      ['delete', B.pm, fill(B.pm, 'pm_1Abc')],
      ['get', B.invoices, B.invoices],
      ['get', B.invoice, fill(B.invoice, '00000000-0000-4000-8000-000000000000')],
    ];
    for (const [method, template, url, body] of calls) {
      const r = await api(server(), method, url, { token: t.token, body });
      problem(r, method, template, 429, 'RATE_LIMITED');
      expect(Number(r.headers.get('retry-after')), `${method} ${url}`).toBeGreaterThan(0);
    }
    // Nothing was changed by the refused calls.
    expect((await dbQuery(server(), 'SELECT count(*)::int AS n FROM subscriptions WHERE organization_id = $1', [t.orgId])).rows[0].n).toBe(0);
  });
});
