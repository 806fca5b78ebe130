/**
 * POST /api/user/subscription/preview and /change.
 *
 * Stripe mode (fake Stripe): the preview is Stripe's upcoming invoice for the new price prorated at `prorationDate`
 * (the exact query Tollgate sends is checked), and /change with that date sends `proration_date` so the charge
 * equals the preview; the answer mirrors Stripe's new state at once (no webhook needed). 409 NO_SUBSCRIPTION,
 * USE_CANCEL, ALREADY_ON_PLAN; 502/503 when Stripe fails; 402 when the proration payment fails.
 *
 * Local mode: the change applies at once, keeping the current period for the same interval (the usage counted
 * before stays counted), a new interval starts a period now, moving to Free ends the subscription; each change
 * writes an audit row `billing.plan.changed`.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { request } from '../harness/http.js';
import { startFakeStripe, type FakeStripe } from '../harness/fake-stripe.js';
import { api, dbQuery } from './auth-helpers.js';
import { newTenant } from './keys-helpers.js';
import {
  B,
  addUsage,
  auditRows,
  expectTollgateCall,
  insertPlan,
  invalid,
  isoSeconds,
  keyIdOf,
  localEnv,
  localSubscription,
  ok,
  problem,
  sentSince,
  stripeEnv,
  stripePlan,
  stripeTenant,
  subscribe,
  subscriptionOf,
  type BillingPath,
  type TestPlan,
} from './billing-helpers.js';

const PATHS: BillingPath[] = [B.preview, B.change];

describe('plan change, Stripe mode', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => stripeEnv(fake));
  printLogsOnFailure(() =>
    fake ? `--- fake stripe requests ---\n${fake.requests.map((r) => `${r.method} ${r.path}${r.rawQuery ? '?' + decodeURIComponent(r.rawQuery) : ''} ${r.body.slice(0, 400)}`).join('\n')}` : '',
  );

  let basic: TestPlan;
  let premium: TestPlan;
  let hybrid: TestPlan;
  beforeAll(async () => {
    fake.webhookUrl = server().baseUrl + '/api/stripe/webhook';
    basic = await stripePlan(server(), fake, { name: 'Change Basic', priceMonthly: 2000, priceAnnual: 20000 });
    premium = await stripePlan(server(), fake, { name: 'Change Premium', priceMonthly: 5000 });
    hybrid = await stripePlan(server(), fake, { name: 'Change Hybrid', type: 'HYBRID', priceMonthly: 3000, overagePrice: 40, overageBlock: 1000 });
  });

  const post = (path: string, token: string | undefined, body: unknown) => api(server(), 'post', path, { token, body });

  /** A tenant subscribed to `plan` through checkout. */
  async function subscribed(tag: string, plan: TestPlan, last4?: string) {
    const t = await stripeTenant(server(), tag);
    const s = await subscribe(server(), fake, t, plan, { last4 });
    return { ...t, ...s, item: s.sub.items.data[0].id as string };
  }

  /** Runs `fn` against a fake that accepts metadata in pending updates (newer Stripe API versions do). */
  async function lenient<T>(fn: () => Promise<T>): Promise<T> {
    fake.pendingUpdateMetadata = true;
    try {
      return await fn();
    } finally {
      fake.pendingUpdateMetadata = false;
    }
  }

  it('preview 200: Stripe\'s upcoming invoice prorated at prorationDate — the exact query, the proration lines, the amount due', async () => {
    const t = await subscribed('pc-preview', basic);
    const since = fake.requests.length;
    const before = Math.floor(Date.now() / 1000);
    const r = await post(B.preview, t.token, { plan: premium.slug });
    const after = Math.floor(Date.now() / 1000);
    const body = ok(r, 'post', B.preview);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(body.prorationDate).toBeGreaterThanOrEqual(before);
    expect(body.prorationDate).toBeLessThanOrEqual(after);
    const calls = sentSince(fake, since);
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET /v1/subscriptions/${t.subId}`, 'GET /v1/invoices/upcoming']);
    calls.forEach(expectTollgateCall);
    expect(calls[1]!.query).toEqual({
      customer: t.customer,
      subscription: t.subId,
      subscription_items: [{ id: t.item, price: premium.stripe.monthly }],
      subscription_proration_behavior: 'always_invoice',
      subscription_proration_date: String(body.prorationDate),
    });
    // Stripe's arithmetic at prorationDate: credit the unused basic time, charge the remaining premium time.
    const { current_period_start: start, current_period_end: end } = t.sub;
    const remaining = (end - body.prorationDate) / (end - start);
    const credit = -Math.round(2000 * remaining);
    const charge = Math.round(5000 * remaining);
    expect(body).toEqual({
      billingMode: 'stripe',
      plan: expect.objectContaining({ id: premium.id, slug: premium.slug, priceMonthly: 5000, priceAnnual: null, currency: 'USD' }),
      interval: 'month',
      currency: 'USD',
      amountDue: credit + charge,
      recurringAmount: 5000,
      prorationDate: body.prorationDate,
      lines: [
        { kind: 'proration', description: expect.stringMatching(/^Unused time on 1 × Change Basic after /), quantity: 1, unitPrice: null, unitsPerPrice: 1, amount: credit, proration: true },
        { kind: 'proration', description: expect.stringMatching(/^Remaining time on 1 × Change Premium after /), quantity: 1, unitPrice: null, unitsPerPrice: 1, amount: charge, proration: true },
      ],
    });
    // A preview changes nothing.
    expect((await subscriptionOf(server(), t.token)).plan.slug).toBe(basic.slug);
    expect(fake.state.subscriptions.get(t.subId)!.items.data[0].price.id).toBe(basic.stripe.monthly);
  });

  it('preview 200: a downgrade is a credit — amountDue 0, the credit line negative', async () => {
    const t = await subscribed('pc-down', premium);
    const body = ok(await post(B.preview, t.token, { plan: basic.slug }), 'post', B.preview);
    expect(body.amountDue).toBe(0);
    expect(body.recurringAmount).toBe(2000);
    expect(body.lines.reduce((s: number, l: any) => s + l.amount, 0)).toBeLessThan(0);
  });

  it('change 200: with the preview\'s prorationDate, Stripe gets proration_date and the plan changes at once (no webhook)', async () => {
    const t = await subscribed('pc-change', basic);
    const preview = ok(await post(B.preview, t.token, { plan: premium.slug }), 'post', B.preview);
    const since = fake.requests.length;
    const r = await post(B.change, t.token, { plan: premium.slug, prorationDate: preview.prorationDate });
    const calls = sentSince(fake, since, 'POST');
    expect(calls).toHaveLength(1);
    expectTollgateCall(calls[0]!);
    expect(calls[0]!.path).toBe(`/v1/subscriptions/${t.subId}`);
    expect(calls[0]!.idempotencyKey).toBe(`tollgate-change-${t.subId}-${premium.slug}-month-${preview.prorationDate}`);
    expect(calls[0]!.form).toMatchObject({
      items: [{ id: t.item, price: premium.stripe.monthly }],
      proration_behavior: 'always_invoice',
      proration_date: String(preview.prorationDate),
      payment_behavior: 'pending_if_incomplete',
    });
    // Stripe (API 2024-06-20, which Tollgate pins) accepts only pending-update parameters with
    // payment_behavior=pending_if_incomplete: the change must go through.
    const body = ok(r, 'post', B.change);
    expect(body.plan.slug).toBe(premium.slug);
    expect(fake.state.subscriptions.get(t.subId)!.items.data[0].price.id).toBe(premium.stripe.monthly);
  });

  it('change 200 (Stripe accepting the update): the answer and GET /api/user/subscription show the new plan at once; the charge equals the preview', async () => {
    const t = await subscribed('pc-mirror', basic);
    const preview = ok(await post(B.preview, t.token, { plan: premium.slug }), 'post', B.preview);
    const deliveriesBefore = fake.deliveries.length;
    const r = await lenient(() => post(B.change, t.token, { plan: premium.slug, prorationDate: preview.prorationDate }));
    const body = ok(r, 'post', B.change);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const stripeSub = fake.state.subscriptions.get(t.subId)!;
    expect(stripeSub.items.data[0].price.id).toBe(premium.stripe.monthly);
    expect(body).toMatchObject({ implicit: false, status: 'active', source: 'stripe', interval: 'month', cancelAtPeriodEnd: false, billingMode: 'stripe' });
    expect(body.plan).toEqual(preview.plan);
    expect(body.currentPeriodEnd).toBe(isoSeconds(stripeSub.current_period_end * 1000));
    expect(fake.deliveries.length, 'no webhook was needed').toBe(deliveriesBefore);
    expect((await subscriptionOf(server(), t.token)).plan.slug).toBe(premium.slug);
    const row = await dbQuery(server(), "SELECT stripe_price_id FROM subscriptions WHERE organization_id = $1 AND status = 'active'", [t.orgId]);
    expect(row.rows).toEqual([{ stripe_price_id: premium.stripe.monthly }]);
    // Stripe invoiced the proration computed at the same instant as the preview.
    const invoice = fake.state.invoices.get(stripeSub.latest_invoice as string)!;
    expect(invoice.billing_reason).toBe('subscription_update');
    expect(invoice.amount_due).toBe(preview.amountDue);
    expect(invoice.status).toBe('paid');
  });

  it('change 200 (Stripe accepting the update): an audit row billing.plan.changed names the user, the organization and the plan', async () => {
    const t = await subscribed('pc-audit', basic);
    const r = await lenient(() => post(B.change, t.token, { plan: premium.slug }));
    ok(r, 'post', B.change);
    const rows = await auditRows(server(), t.orgId, 'billing.plan.changed');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_type: 'user', actor_user_id: t.userId, target_id: t.orgId, request_id: r.headers.get('x-request-id') });
    expect(rows[0].metadata).toMatchObject({ plan: premium.slug, interval: 'month' });
  });

  it('change 200 (Stripe accepting the update): the annual interval swaps in the annual price; a hybrid plan adds its metered item', async () => {
    const t = await subscribed('pc-items', basic);
    let since = fake.requests.length;
    const yearly = ok(await lenient(() => post(B.change, t.token, { plan: basic.slug, interval: 'year' })), 'post', B.change);
    expect(sentSince(fake, since, 'POST')[0]!.form.items).toEqual([{ id: t.item, price: basic.stripe.annual }]);
    expect(yearly).toMatchObject({ interval: 'year', source: 'stripe' });
    expect(yearly.plan.slug).toBe(basic.slug);

    since = fake.requests.length;
    const h = ok(await lenient(() => post(B.change, t.token, { plan: hybrid.slug })), 'post', B.change);
    expect(sentSince(fake, since, 'POST')[0]!.form.items).toEqual([{ id: t.item, price: hybrid.stripe.monthly }, { price: hybrid.stripe.metered }]);
    expect(h).toMatchObject({ interval: 'month' });
    expect(h.plan.slug).toBe(hybrid.slug);
  });

  it('change 402 PAYMENT_FAILED: the proration charge is declined — Stripe keeps the old plan (pending update), so does Tollgate', async () => {
    const t = await subscribed('pc-declined', basic, '0341');
    const r = await lenient(() => post(B.change, t.token, { plan: premium.slug }));
    const stripeSub = fake.state.subscriptions.get(t.subId)!;
    expect(stripeSub.pending_update, 'Stripe holds the change as a pending update').toBeTruthy();
    expect(stripeSub.items.data[0].price.id).toBe(basic.stripe.monthly);
    expect((await subscriptionOf(server(), t.token)).plan.slug).toBe(basic.slug);
    problem(r, 'post', B.change, 402, 'PAYMENT_FAILED');
  });

  it('409 NO_SUBSCRIPTION: no Stripe subscription to change or preview (subscribe through checkout first)', async () => {
    const t = await stripeTenant(server(), 'pc-nosub');
    const since = fake.requests.length;
    problem(await post(B.preview, t.token, { plan: premium.slug }), 'post', B.preview, 409, 'NO_SUBSCRIPTION');
    problem(await post(B.change, t.token, { plan: premium.slug }), 'post', B.change, 409, 'NO_SUBSCRIPTION');
    expect(sentSince(fake, since)).toHaveLength(0);
  });

  it('409 USE_CANCEL: moving to Free is a cancellation', async () => {
    const t = await subscribed('pc-free', basic);
    const since = fake.requests.length;
    problem(await post(B.preview, t.token, { plan: 'free' }), 'post', B.preview, 409, 'USE_CANCEL');
    problem(await post(B.change, t.token, { plan: 'free' }), 'post', B.change, 409, 'USE_CANCEL');
    expect(sentSince(fake, since, 'POST')).toHaveLength(0);
  });

  it('409 ALREADY_ON_PLAN: the current plan and interval (Free for an organization without a subscription)', async () => {
    const t = await subscribed('pc-same', basic);
    const since = fake.requests.length;
    problem(await post(B.change, t.token, { plan: basic.slug }), 'post', B.change, 409, 'ALREADY_ON_PLAN');
    problem(await post(B.change, t.token, { plan: basic.slug, interval: 'month' }), 'post', B.change, 409, 'ALREADY_ON_PLAN');
    expect(sentSince(fake, since, 'POST')).toHaveLength(0);
    const fresh = await stripeTenant(server(), 'pc-same-free');
    problem(await post(B.change, fresh.token, { plan: 'free' }), 'post', B.change, 409, 'ALREADY_ON_PLAN');
  });

  it('404 PLAN_NOT_FOUND, 409 PLAN_ARCHIVED / PLAN_NOT_SYNCED, 422 for year without an annual price', async () => {
    const t = await subscribed('pc-plans', basic);
    const archived = await insertPlan(server(), { status: 'archived' });
    const bare = await insertPlan(server(), { priceMonthly: 700 });
    for (const path of PATHS) {
      problem(await post(path, t.token, { plan: 'nope-nope' }), 'post', path, 404, 'PLAN_NOT_FOUND');
      problem(await post(path, t.token, { plan: archived.slug }), 'post', path, 409, 'PLAN_ARCHIVED');
      problem(await post(path, t.token, { plan: bare.slug }), 'post', path, 409, 'PLAN_NOT_SYNCED');
      invalid(await post(path, t.token, { plan: premium.slug, interval: 'year' }), 'post', path, 'interval');
    }
  });

  it('401, 415, 400, 422: no token, not JSON, malformed, bad fields', async () => {
    const t = await stripeTenant(server(), 'pc-bodies');
    for (const path of PATHS) {
      problem(await post(path, undefined, { plan: premium.slug }), 'post', path, 401, 'UNAUTHORIZED');
      problem(await api(server(), 'post', path, { token: t.token, body: 'plan=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 'post', path, 415, 'UNSUPPORTED_MEDIA_TYPE');
      problem(await post(path, t.token, '{"plan": "x",'), 'post', path, 400, 'MALFORMED_JSON');
      invalid(await post(path, t.token, {}), 'post', path, 'plan');
      invalid(await post(path, t.token, { plan: premium.slug, interval: 'quarter' }), 'post', path, 'interval');
      invalid(await post(path, t.token, { plan: premium.slug, prorationDate: 0 }), 'post', path, 'prorationDate');
      invalid(await post(path, t.token, { plan: premium.slug, prorationDate: 1.5 }), 'post', path, 'prorationDate');
      invalid(await post(path, t.token, { plan: premium.slug, when: 'now' }), 'post', path, 'when');
    }
  });

  it('502 STRIPE_ERROR / 503 STRIPE_UNAVAILABLE: Stripe refuses or is down; the plan stays', async () => {
    const t = await subscribed('pc-stripe-fails', basic);
    fake.failNext('GET', '/v1/invoices/upcoming', 400, { message: 'Invalid subscription_items' });
    problem(await post(B.preview, t.token, { plan: premium.slug }), 'post', B.preview, 502, 'STRIPE_ERROR');
    fake.failNext('GET', '/v1/invoices/upcoming', 500, { shouldRetry: false });
    problem(await post(B.preview, t.token, { plan: premium.slug }), 'post', B.preview, 503, 'STRIPE_UNAVAILABLE');
    fake.failNext('POST', `/v1/subscriptions/${t.subId}`, 400, { message: 'This price cannot be used' });
    problem(await lenient(() => post(B.change, t.token, { plan: premium.slug })), 'post', B.change, 502, 'STRIPE_ERROR');
    fake.failNext('POST', `/v1/subscriptions/${t.subId}`, 503, { shouldRetry: false });
    problem(await lenient(() => post(B.change, t.token, { plan: premium.slug })), 'post', B.change, 503, 'STRIPE_UNAVAILABLE');
    expect((await subscriptionOf(server(), t.token)).plan.slug).toBe(basic.slug);
    expect(fake.state.subscriptions.get(t.subId)!.items.data[0].price.id).toBe(basic.stripe.monthly);
  });
});

describe('plan change, local mode', () => {
  const server = useServer(localEnv());
  printLogsOnFailure();

  let starter: TestPlan;
  let growth: TestPlan;
  beforeAll(async () => {
    starter = await insertPlan(server(), { name: 'Local Starter', type: 'HYBRID', priceMonthly: 1900, priceAnnual: 19000, includedUnits: 5000, overagePrice: 50 });
    growth = await insertPlan(server(), { name: 'Local Growth', type: 'HYBRID', priceMonthly: 4900, includedUnits: 20000, overagePrice: 30 });
  });

  const post = (path: string, token: string | undefined, body: unknown) => api(server(), 'post', path, { token, body });
  const monthStart = (plus = 0) => {
    const n = new Date();
    return isoSeconds(Date.UTC(n.getUTCFullYear(), n.getUTCMonth() + plus, 1));
  };

  it('preview 200: nothing is charged now; the new base fee is billed on the next local invoice', async () => {
    const t = await newTenant(server(), 'lpc-preview');
    const body = ok(await post(B.preview, t.token, { plan: starter.slug }), 'post', B.preview);
    expect(body).toEqual({
      billingMode: 'local',
      plan: expect.objectContaining({ id: starter.id, slug: starter.slug, priceMonthly: 1900, priceAnnual: 19000, includedUnits: 5000 }),
      interval: 'month',
      currency: 'USD',
      amountDue: 0,
      recurringAmount: 1900,
      prorationDate: null,
      lines: [
        { kind: 'base_fee', description: 'Local Starter plan from now on (billed at the end of the period)', quantity: 1, unitPrice: 1900, unitsPerPrice: 1, amount: 1900, proration: false },
      ],
    });
    const yearly = ok(await post(B.preview, t.token, { plan: starter.slug, interval: 'year' }), 'post', B.preview);
    expect(yearly).toMatchObject({ interval: 'year', recurringAmount: 19000, amountDue: 0, prorationDate: null });
    expect(yearly.lines).toEqual([expect.objectContaining({ kind: 'base_fee', unitPrice: 19000, amount: 19000 })]);
    expect((await subscriptionOf(server(), t.token)).implicit).toBe(true);
  });

  it('change 200: from the implicit Free plan — applies at once, for the calendar month; audited', async () => {
    const t = await newTenant(server(), 'lpc-up');
    const r = await post(B.change, t.token, { plan: starter.slug });
    const body = ok(r, 'post', B.change);
    expect(body).toMatchObject({
      implicit: false,
      status: 'active',
      source: 'local',
      interval: 'month',
      cancelAtPeriodEnd: false,
      currentPeriodStart: monthStart(0),
      currentPeriodEnd: monthStart(1),
      billingMode: 'local',
    });
    expect(body.plan.slug).toBe(starter.slug);
    expect(await subscriptionOf(server(), t.token)).toEqual(body);
    const audit = await auditRows(server(), t.orgId, 'billing.plan.changed');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor_type: 'user',
      actor_user_id: t.userId,
      target_type: 'organization',
      target_id: t.orgId,
      request_id: r.headers.get('x-request-id'),
      metadata: { plan: starter.slug, interval: 'month', mode: 'local' },
    });
  });

  it('change 200: same interval keeps the current period, and the usage counted before stays counted under the new plan', async () => {
    const t = await newTenant(server(), 'lpc-keep');
    const sub = await localSubscription(server(), t.orgId, starter.id, {
      start: "date_trunc('second', now()) - interval '10 days'",
      end: "date_trunc('second', now()) + interval '20 days'",
    });
    const keyId = await keyIdOf(server(), t);
    await addUsage(server(), t.orgId, keyId, new Date(Date.now() - 5 * 86_400_000), 4000);
    await addUsage(server(), t.orgId, keyId, new Date(Date.now() - 11 * 86_400_000), 999); // before the period
    const before = ok(await api(server(), 'get', B.upcoming, { token: t.token }), 'get', B.upcoming);
    expect(before).toMatchObject({ usedUnits: 4000, includedUnits: 5000 });

    const body = ok(await post(B.change, t.token, { plan: growth.slug }), 'post', B.change);
    expect(body).toMatchObject({ source: 'local', interval: 'month', currentPeriodStart: isoSeconds(sub.start), currentPeriodEnd: isoSeconds(sub.end) });
    expect(body.plan.slug).toBe(growth.slug);
    const afterwards = ok(await api(server(), 'get', B.upcoming, { token: t.token }), 'get', B.upcoming);
    expect(afterwards).toMatchObject({ usedUnits: 4000, includedUnits: 20000, baseFee: 4900, periodStart: isoSeconds(sub.start), periodEnd: isoSeconds(sub.end) });
    const rows = await dbQuery(
      server(),
      `SELECT p.slug, s.status, s.ended_at IS NOT NULL AS ended FROM subscriptions s JOIN plans p ON p.id = s.plan_id
        WHERE s.organization_id = $1 ORDER BY s.created_at`,
      [t.orgId],
    );
    expect(rows.rows).toEqual([
      { slug: starter.slug, status: 'canceled', ended: true },
      { slug: growth.slug, status: 'active', ended: false },
    ]);
  });

  it('change 200: a new interval starts a new period now (a year)', async () => {
    const t = await newTenant(server(), 'lpc-year');
    ok(await post(B.change, t.token, { plan: starter.slug }), 'post', B.change);
    const t0 = Date.now();
    const body = ok(await post(B.change, t.token, { plan: starter.slug, interval: 'year' }), 'post', B.change);
    const t1 = Date.now();
    expect(body).toMatchObject({ interval: 'year', source: 'local' });
    const start = Date.parse(body.currentPeriodStart);
    expect(start).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000 - 1000);
    expect(start).toBeLessThanOrEqual(t1);
    const end = new Date(start);
    end.setUTCFullYear(end.getUTCFullYear() + 1);
    expect(Math.abs(Date.parse(body.currentPeriodEnd) - end.getTime())).toBeLessThanOrEqual(1000);
  });

  it('change 200: moving to Free ends the subscription (the organization is on the implicit Free plan)', async () => {
    const t = await newTenant(server(), 'lpc-free');
    ok(await post(B.change, t.token, { plan: starter.slug }), 'post', B.change);
    const body = ok(await post(B.change, t.token, { plan: 'free' }), 'post', B.change);
    expect(body).toMatchObject({ implicit: true, source: 'local', status: 'active', currentPeriodStart: monthStart(0), currentPeriodEnd: monthStart(1) });
    expect(body.plan.slug).toBe('free');
    const rows = await dbQuery(server(), 'SELECT status, ended_at IS NOT NULL AS ended FROM subscriptions WHERE organization_id = $1', [t.orgId]);
    expect(rows.rows).toEqual([{ status: 'canceled', ended: true }]);
    const audit = await auditRows(server(), t.orgId, 'billing.plan.changed');
    expect(audit.map((a) => a.metadata.plan)).toEqual([starter.slug, 'free']);
  });

  it('409 ALREADY_ON_PLAN: same plan and interval (Free without a subscription); nothing is written', async () => {
    const t = await newTenant(server(), 'lpc-same');
    problem(await post(B.change, t.token, { plan: 'free' }), 'post', B.change, 409, 'ALREADY_ON_PLAN');
    ok(await post(B.change, t.token, { plan: starter.slug }), 'post', B.change);
    problem(await post(B.change, t.token, { plan: starter.slug, interval: 'month' }), 'post', B.change, 409, 'ALREADY_ON_PLAN');
    expect(await auditRows(server(), t.orgId, 'billing.plan.changed')).toHaveLength(1);
  });

  it('404 PLAN_NOT_FOUND, 409 PLAN_ARCHIVED, 422 year without an annual price', async () => {
    const t = await newTenant(server(), 'lpc-plans');
    const archived = await insertPlan(server(), { status: 'archived' });
    for (const path of PATHS) {
      problem(await post(path, t.token, { plan: 'nope-nope' }), 'post', path, 404, 'PLAN_NOT_FOUND');
      problem(await post(path, t.token, { plan: archived.slug }), 'post', path, 409, 'PLAN_ARCHIVED');
      invalid(await post(path, t.token, { plan: growth.slug, interval: 'year' }), 'post', path, 'interval');
    }
    expect((await subscriptionOf(server(), t.token)).implicit).toBe(true);
  });

  it('401, 415, 400, 422 bodies', async () => {
    const t = await newTenant(server(), 'lpc-bodies');
    for (const path of PATHS) {
      problem(await post(path, undefined, { plan: starter.slug }), 'post', path, 401, 'UNAUTHORIZED');
      const noType = await request(server().baseUrl + path, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body: '{"plan":"x"}' });
      problem(noType, 'post', path, 415, 'UNSUPPORTED_MEDIA_TYPE');
      problem(await post(path, t.token, 'nope'), 'post', path, 400, 'MALFORMED_JSON');
      invalid(await post(path, t.token, { plan: null }), 'post', path, 'plan');
      invalid(await post(path, t.token, { plan: starter.slug, interval: 'YEAR' }), 'post', path, 'interval');
      invalid(await post(path, t.token, 'true'), 'post', path, '');
    }
  });
});
