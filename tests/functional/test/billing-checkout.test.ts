/**
 * POST /api/user/subscription/checkout: a Stripe Checkout session (subscription mode) for the active organization,
 * against the fake Stripe API. One case per answer: 200 (the exact session request Tollgate sends, the customer
 * created on the fly — once, even racing the stripe.create_customer job — and the hosted page completing into a
 * mirrored subscription), 401, 415/400/422 bodies, 404 PLAN_NOT_FOUND, 409 (LOCAL_BILLING_MODE, FREE_PLAN,
 * ALREADY_SUBSCRIBED, PLAN_NOT_SYNCED, PLAN_ARCHIVED), 422 for an annual interval without an annual price, and
 * 502/503 when Stripe fails.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { request } from '../harness/http.js';
import { makeEvent, startFakeStripe, type FakeStripe } from '../harness/fake-stripe.js';
import { api, dbQuery } from './auth-helpers.js';
import { newTenant } from './keys-helpers.js';
import {
  APP_URL,
  B,
  customerOf,
  deliverAndWait,
  expectTollgateCall,
  insertPlan,
  invalid,
  localEnv,
  localSubscription,
  ok,
  problem,
  sentSince,
  stripeApi,
  stripeEnv,
  stripePlan,
  stripeTenant,
  subscriptionOf,
  syncPlan,
  until,
  type TestPlan,
} from './billing-helpers.js';

const SUCCESS_URL = `${APP_URL}/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}`;
const CANCEL_URL = `${APP_URL}/billing?checkout=canceled`;

describe('POST /api/user/subscription/checkout', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => stripeEnv(fake));
  const local = useServer(localEnv());
  printLogsOnFailure(() =>
    fake ? `--- fake stripe requests ---\n${fake.requests.map((r) => `${r.method} ${r.path} ${r.idempotencyKey ?? ''} ${r.body.slice(0, 300)}`).join('\n')}` : '',
  );

  let plan: TestPlan;
  beforeAll(async () => {
    fake.webhookUrl = server().baseUrl + '/api/stripe/webhook';
    plan = await stripePlan(server(), fake, { name: 'Checkout Basic', priceMonthly: 2900 });
  });

  const checkout = (token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    api(server(), 'post', B.checkout, { token, body, headers });
  const customersOf = (orgId: string) => [...fake.state.customers.values()].filter((c) => c.metadata?.organization_id === orgId);

  // ------------------------------------------------------------------------------------------- 200

  it('200: a session for the plan\'s monthly price; the exact request sent to Stripe; nothing changes locally yet', async () => {
    const t = await stripeTenant(server(), 'co-ok');
    const since = fake.requests.length;
    const r = await checkout(t.token, { plan: plan.slug });
    const body = ok(r, 'post', B.checkout);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const calls = sentSince(fake, since);
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /v1/checkout/sessions']); // the customer exists already
    const call = calls[0]!;
    expectTollgateCall(call);
    expect(call.idempotencyKey).toBe(`tollgate-checkout-${t.orgId}-${r.headers.get('x-request-id')}`);
    expect(call.form).toEqual({
      mode: 'subscription',
      customer: t.customer,
      client_reference_id: t.orgId,
      line_items: [{ price: plan.stripe.monthly, quantity: '1' }],
      subscription_data: { metadata: { organization_id: t.orgId, plan: plan.slug } },
      metadata: { organization_id: t.orgId, plan: plan.slug },
      success_url: SUCCESS_URL,
      cancel_url: CANCEL_URL,
    });
    const session = fake.state.checkoutSessions.get(body.id);
    expect(session, `session ${body.id} exists in Stripe`).toBeDefined();
    expect(body).toEqual({ id: session!.id, url: `${fake.url}/checkout/${session!.id}` });
    // Until the customer pays, the organization stays where it was.
    const sub = await subscriptionOf(server(), t.token);
    expect(sub).toMatchObject({ implicit: true, billingMode: 'stripe' });
    expect(sub.plan.slug).toBe('free');
    const rows = await dbQuery(server(), 'SELECT count(*)::int AS n FROM subscriptions WHERE organization_id = $1', [t.orgId]);
    expect(rows.rows[0].n).toBe(0);
  });

  it('200, then the hosted page: Stripe redirects to APP_URL/billing?checkout=success and the subscription is mirrored', async () => {
    const t = await stripeTenant(server(), 'co-complete');
    const session = ok(await checkout(t.token, { plan: plan.slug }), 'post', B.checkout);
    const visit = await fetch(session.url, { redirect: 'manual' });
    expect(visit.status).toBe(303);
    expect(visit.headers.get('location')).toBe(`${APP_URL}/billing?checkout=success&session_id=${session.id}`);
    const subId = fake.state.checkoutSessions.get(session.id)!.subscription as string;
    const stripeSub = fake.state.subscriptions.get(subId)!;
    expect(stripeSub.metadata).toEqual({ organization_id: t.orgId, plan: plan.slug });
    const sub = await until('the subscription mirrored', async () => {
      const s = await subscriptionOf(server(), t.token);
      return s.plan.slug === plan.slug ? s : undefined;
    });
    expect(sub).toMatchObject({
      implicit: false,
      status: 'active',
      source: 'stripe',
      interval: 'month',
      cancelAtPeriodEnd: false,
      trialEnd: null,
      pastDueSince: null,
      paymentGraceEndsAt: null,
      billingMode: 'stripe',
    });
    expect(Date.parse(sub.currentPeriodStart) / 1000).toBe(stripeSub.current_period_start);
    expect(Date.parse(sub.currentPeriodEnd) / 1000).toBe(stripeSub.current_period_end);
    const row = await dbQuery(
      server(),
      `SELECT s.stripe_subscription_id, s.stripe_price_id, p.slug FROM subscriptions s JOIN plans p ON p.id = s.plan_id
        WHERE s.organization_id = $1 AND s.status = 'active'`,
      [t.orgId],
    );
    expect(row.rows).toEqual([{ stripe_subscription_id: subId, stripe_price_id: plan.stripe.monthly, slug: plan.slug }]);
    // The first invoice (paid at checkout) is mirrored too.
    await until('the first invoice mirrored', async () => {
      const q = await dbQuery(server(), "SELECT status FROM billing_records WHERE organization_id = $1 AND source = 'stripe'", [t.orgId]);
      return q.rows.length === 1 && q.rows[0].status === 'paid' ? true : undefined;
    });
  });

  it('200: the canceled page sends the customer back to APP_URL/billing?checkout=canceled; nothing is mirrored', async () => {
    const t = await stripeTenant(server(), 'co-cancel');
    const session = ok(await checkout(t.token, { plan: plan.slug }), 'post', B.checkout);
    const visit = await fetch(`${session.url}/cancel`, { redirect: 'manual' });
    expect(visit.status).toBe(303);
    expect(visit.headers.get('location')).toBe(CANCEL_URL);
    expect((await subscriptionOf(server(), t.token)).implicit).toBe(true);
  });

  it('200: the plan may be named by its id; interval year uses the annual price', async () => {
    const annual = await stripePlan(server(), fake, { name: 'Checkout Annual', priceMonthly: 1500, priceAnnual: 15000 });
    const t = await stripeTenant(server(), 'co-year');
    const since = fake.requests.length;
    ok(await checkout(t.token, { plan: annual.id, interval: 'year' }), 'post', B.checkout);
    const [call] = sentSince(fake, since, 'POST', '/v1/checkout/sessions');
    expect(call!.form).toMatchObject({
      line_items: [{ price: annual.stripe.annual, quantity: '1' }],
      subscription_data: { metadata: { organization_id: t.orgId, plan: annual.slug } },
      metadata: { organization_id: t.orgId, plan: annual.slug },
    });
  });

  it('200: a hybrid plan adds its metered price (no quantity); a pay-as-you-go plan has only the metered price', async () => {
    const hybrid = await stripePlan(server(), fake, { type: 'HYBRID', priceMonthly: 4900, overagePrice: 50, overageBlock: 1000 });
    const payg = await stripePlan(server(), fake, { type: 'PAY_AS_YOU_GO', priceMonthly: 0, overagePrice: 20, overageBlock: 1000, includedUnits: 0 });
    const t = await stripeTenant(server(), 'co-hybrid');
    let since = fake.requests.length;
    ok(await checkout(t.token, { plan: hybrid.slug }), 'post', B.checkout);
    expect(sentSince(fake, since, 'POST', '/v1/checkout/sessions')[0]!.form.line_items).toEqual([
      { price: hybrid.stripe.monthly, quantity: '1' },
      { price: hybrid.stripe.metered },
    ]);
    since = fake.requests.length;
    ok(await checkout(t.token, { plan: payg.slug }), 'post', B.checkout);
    expect(sentSince(fake, since, 'POST', '/v1/checkout/sessions')[0]!.form.line_items).toEqual([{ price: payg.stripe.metered }]);
  });

  it('200: a plan with a trial gets trial_period_days once per organization', async () => {
    const trial = await stripePlan(server(), fake, { priceMonthly: 3900, trialDays: 7 });
    const t = await stripeTenant(server(), 'co-trial');
    let since = fake.requests.length;
    ok(await checkout(t.token, { plan: trial.slug }), 'post', B.checkout);
    expect((sentSince(fake, since, 'POST', '/v1/checkout/sessions')[0]!.form as any).subscription_data).toEqual({
      metadata: { organization_id: t.orgId, plan: trial.slug },
      trial_period_days: '7',
    });
    // An organization that had a trial before (an ended subscription with one) gets none.
    await dbQuery(
      server(),
      `INSERT INTO subscriptions (organization_id, plan_id, status, current_period_start, current_period_end, trial_start, trial_end, ended_at)
       VALUES ($1, $2, 'canceled', now() - interval '60 days', now() - interval '30 days', now() - interval '60 days', now() - interval '53 days', now() - interval '30 days')`,
      [t.orgId, trial.id],
    );
    since = fake.requests.length;
    ok(await checkout(t.token, { plan: trial.slug }), 'post', B.checkout);
    expect((sentSince(fake, since, 'POST', '/v1/checkout/sessions')[0]!.form as any).subscription_data).toEqual({
      metadata: { organization_id: t.orgId, plan: trial.slug },
    });
  });

  // ---------------------------------------------------------------------------- the Stripe customer

  it('200: an organization without a customer gets one on the fly (one, with the job\'s idempotency key); the job then finds it', async () => {
    // The registration job's first attempt is refused, so the organization has no customer when checkout runs.
    fake.failNext('POST', '/v1/customers', 400, { message: 'try again later' });
    const t = await newTenant(server(), 'co-fly');
    const jobKey = `stripe.create_customer:${t.orgId}`;
    await until('the customer job to fail once', async () => {
      const j = await dbQuery(server(), 'SELECT status, attempts FROM jobs WHERE idempotency_key = $1', [jobKey]);
      return j.rows[0]?.status === 'queued' && j.rows[0].attempts >= 1 ? true : undefined;
    });
    await dbQuery(server(), "UPDATE jobs SET run_at = now() + interval '1 hour' WHERE idempotency_key = $1 AND status = 'queued'", [jobKey]);
    const before = await dbQuery(server(), 'SELECT stripe_customer_id FROM organizations WHERE id = $1', [t.orgId]);
    expect(before.rows[0].stripe_customer_id).toBeNull();

    const since = fake.requests.length;
    ok(await checkout(t.token, { plan: plan.slug }), 'post', B.checkout);
    const calls = sentSince(fake, since);
    // The new customer is read back once (a customer deleted at Stripe must not be replayed by its idempotency key).
    expect(calls.map((c) => `${c.method} ${c.path.replace(/cus_[A-Za-z0-9]+/, 'cus_*')}`)).toEqual(['POST /v1/customers', 'GET /v1/customers/cus_*', 'POST /v1/checkout/sessions']);
    calls.forEach(expectTollgateCall);
    expect(calls[0]!.idempotencyKey).toBe(`tollgate-create-customer-${t.orgId}`);
    expect(calls[0]!.form).toMatchObject({ email: t.email, metadata: { organization_id: t.orgId } });
    const mine = customersOf(t.orgId);
    expect(mine).toHaveLength(1);
    expect(calls[2]!.form.customer).toBe(mine[0]!.id);
    expect(await customerOf(server(), t.orgId)).toBe(mine[0]!.id);

    // The job runs again: it finds the customer recorded; still one customer.
    await dbQuery(server(), 'UPDATE jobs SET run_at = now() WHERE idempotency_key = $1', [jobKey]);
    await until('the customer job done', async () => {
      const j = await dbQuery(server(), 'SELECT status FROM jobs WHERE idempotency_key = $1', [jobKey]);
      return j.rows[0]?.status === 'done' ? true : undefined;
    });
    expect(customersOf(t.orgId)).toHaveLength(1);
    expect(await customerOf(server(), t.orgId)).toBe(mine[0]!.id);
  });

  it('200: checkouts racing the stripe.create_customer job right after registration still make one customer', async () => {
    const t = await newTenant(server(), 'co-race');
    const since = fake.requests.length;
    const answers = await Promise.all([0, 1, 2].map(() => checkout(t.token, { plan: plan.slug })));
    answers.forEach((r) => ok(r, 'post', B.checkout));
    await until('the customer job done', async () => {
      const j = await dbQuery(server(), 'SELECT status FROM jobs WHERE idempotency_key = $1', [`stripe.create_customer:${t.orgId}`]);
      return j.rows[0]?.status === 'done' ? true : undefined;
    });
    const mine = customersOf(t.orgId);
    expect(mine, 'exactly one Stripe customer for the organization').toHaveLength(1);
    const recorded = await customerOf(server(), t.orgId);
    expect(recorded).toBe(mine[0]!.id);
    const sessions = sentSince(fake, since, 'POST', '/v1/checkout/sessions');
    expect(sessions).toHaveLength(3);
    for (const s of sessions) expect(s.form.customer).toBe(recorded);
    for (const c of sentSince(fake, since, 'POST', '/v1/customers')) expect(c.idempotencyKey).toBe(`tollgate-create-customer-${t.orgId}`);
  });

  it('200: after the customer was deleted at Stripe (customer.deleted), checkout creates a new, live customer', async () => {
    const t = await stripeTenant(server(), 'co-deleted');
    await stripeApi(fake, 'DELETE', `/v1/customers/${t.customer}`);
    await deliverAndWait(server(), fake, makeEvent('customer.deleted', { id: t.customer, object: 'customer', deleted: true }));
    const cleared = await dbQuery(server(), 'SELECT stripe_customer_id FROM organizations WHERE id = $1', [t.orgId]);
    expect(cleared.rows[0].stripe_customer_id, 'customer.deleted makes the organization forget the customer').toBeNull();

    const since = fake.requests.length;
    const r = await checkout(t.token, { plan: plan.slug });
    ok(r, 'post', B.checkout);
    const [session] = sentSince(fake, since, 'POST', '/v1/checkout/sessions');
    const customer = session!.form.customer as string;
    expect(customer).not.toBe(t.customer);
    expect(fake.state.customers.has(customer), `the session's customer ${customer} is a live customer`).toBe(true);
    expect(await customerOf(server(), t.orgId)).toBe(customer);
  });

  // ---------------------------------------------------------------------------------- 401, 415, 400, 422

  it('401: no token, or a token that is not one', async () => {
    problem(await checkout(undefined, { plan: plan.slug }), 'post', B.checkout, 401, 'UNAUTHORIZED');
    problem(await checkout('not-a-token', { plan: plan.slug }), 'post', B.checkout, 401, 'UNAUTHORIZED');
  });

  it('415: a body that is not application/json', async () => {
    const t = await stripeTenant(server(), 'co-415');
    const since = fake.requests.length;
    problem(await checkout(t.token, JSON.stringify({ plan: plan.slug }), { 'content-type': 'text/plain' }), 'post', B.checkout, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const none = await request(server().baseUrl + B.checkout, { method: 'POST', headers: { authorization: `Bearer ${t.token}` } });
    problem(none, 'post', B.checkout, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(sentSince(fake, since)).toHaveLength(0);
  });

  it('400: malformed JSON, invalid UTF-8', async () => {
    const t = await stripeTenant(server(), 'co-400');
    problem(await checkout(t.token, '{"plan":'), 'post', B.checkout, 400, 'MALFORMED_JSON');
    const bad = await request(server().baseUrl + B.checkout, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: Buffer.concat([Buffer.from('{"plan":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
    });
    problem(bad, 'post', B.checkout, 400, 'INVALID_UTF8');
  });

  it('422: missing/empty/long/non-string plan, a bad interval, unknown fields, a bad prorationDate, not an object', async () => {
    const t = await stripeTenant(server(), 'co-422');
    const since = fake.requests.length;
    invalid(await checkout(t.token, {}), 'post', B.checkout, 'plan');
    invalid(await checkout(t.token, { plan: '' }), 'post', B.checkout, 'plan');
    invalid(await checkout(t.token, { plan: 42 }), 'post', B.checkout, 'plan');
    invalid(await checkout(t.token, { plan: 'p'.repeat(101) }), 'post', B.checkout, 'plan');
    invalid(await checkout(t.token, { plan: plan.slug, interval: 'week' }), 'post', B.checkout, 'interval');
    invalid(await checkout(t.token, { plan: plan.slug, interval: 12 }), 'post', B.checkout, 'interval');
    invalid(await checkout(t.token, { plan: plan.slug, coupon: 'FREE' }), 'post', B.checkout, 'coupon');
    invalid(await checkout(t.token, { plan: plan.slug, prorationDate: -5 }), 'post', B.checkout, 'prorationDate');
    invalid(await checkout(t.token, { plan: plan.slug, prorationDate: 'soon' }), 'post', B.checkout, 'prorationDate');
    invalid(await checkout(t.token, [plan.slug]), 'post', B.checkout, '');
    expect(sentSince(fake, since)).toHaveLength(0);
  });

  it('422: interval year on a plan without an annual price', async () => {
    const t = await stripeTenant(server(), 'co-noyear');
    invalid(await checkout(t.token, { plan: plan.slug, interval: 'year' }), 'post', B.checkout, 'interval');
  });

  // --------------------------------------------------------------------------------------- 404, 409

  it('404 PLAN_NOT_FOUND: an unknown slug or id', async () => {
    const t = await stripeTenant(server(), 'co-404');
    problem(await checkout(t.token, { plan: 'no-such-plan' }), 'post', B.checkout, 404, 'PLAN_NOT_FOUND');
    problem(await checkout(t.token, { plan: '00000000-0000-4000-8000-000000000000' }), 'post', B.checkout, 404, 'PLAN_NOT_FOUND');
  });

  it('409 FREE_PLAN: the Free plan needs no checkout', async () => {
    const t = await stripeTenant(server(), 'co-free');
    problem(await checkout(t.token, { plan: 'free' }), 'post', B.checkout, 409, 'FREE_PLAN');
  });

  it('409 ALREADY_SUBSCRIBED: the organization has a Stripe subscription (change its plan instead)', async () => {
    const t = await stripeTenant(server(), 'co-already');
    await localSubscription(server(), t.orgId, plan.id, {
      start: "now() - interval '1 day'",
      end: "now() + interval '29 days'",
      source: 'stripe',
      stripeId: `sub_already_${t.orgId.slice(0, 8)}`,
    });
    const since = fake.requests.length;
    problem(await checkout(t.token, { plan: plan.slug }), 'post', B.checkout, 409, 'ALREADY_SUBSCRIBED');
    expect(sentSince(fake, since)).toHaveLength(0);
  });

  it('409 PLAN_NOT_SYNCED: no Stripe price for the plan, for its metered part, or for the annual interval', async () => {
    const t = await stripeTenant(server(), 'co-unsynced');
    const bare = await insertPlan(server(), { priceMonthly: 990 });
    problem(await checkout(t.token, { plan: bare.slug }), 'post', B.checkout, 409, 'PLAN_NOT_SYNCED');
    const hybrid = await syncPlan(server(), fake, await insertPlan(server(), { type: 'HYBRID', priceMonthly: 990, overagePrice: 10 }), { metered: false });
    problem(await checkout(t.token, { plan: hybrid.slug }), 'post', B.checkout, 409, 'PLAN_NOT_SYNCED');
    const yearly = await syncPlan(server(), fake, await insertPlan(server(), { priceMonthly: 990, priceAnnual: 9900 }), { annual: false });
    ok(await checkout(t.token, { plan: yearly.slug }), 'post', B.checkout);
    problem(await checkout(t.token, { plan: yearly.slug, interval: 'year' }), 'post', B.checkout, 409, 'PLAN_NOT_SYNCED');
  });

  it('409 PLAN_ARCHIVED: an archived plan is no longer offered', async () => {
    const t = await stripeTenant(server(), 'co-archived');
    const archived = await syncPlan(server(), fake, await insertPlan(server(), { status: 'archived' }));
    problem(await checkout(t.token, { plan: archived.slug }), 'post', B.checkout, 409, 'PLAN_ARCHIVED');
  });

  it('409 LOCAL_BILLING_MODE: without Stripe there is no checkout (and nothing is called)', async () => {
    const t = await newTenant(local(), 'co-local');
    const since = fake.requests.length;
    const r = await api(local(), 'post', B.checkout, { token: t.token, body: { plan: 'starter' } });
    problem(r, 'post', B.checkout, 409, 'LOCAL_BILLING_MODE');
    problem(await api(local(), 'post', B.checkout, { body: { plan: 'starter' } }), 'post', B.checkout, 401, 'UNAUTHORIZED');
    expect(fake.requests.length).toBe(since);
  });

  // ---------------------------------------------------------------------------------- Stripe failing

  it('503 STRIPE_UNAVAILABLE: Stripe answers 500 and says not to retry (one attempt, Retry-After)', async () => {
    const t = await stripeTenant(server(), 'co-503');
    const since = fake.requests.length;
    fake.failNext('POST', '/v1/checkout/sessions', 500, { shouldRetry: false });
    const r = await checkout(t.token, { plan: plan.slug });
    problem(r, 'post', B.checkout, 503, 'STRIPE_UNAVAILABLE');
    expect(r.headers.get('retry-after')).toBeTruthy();
    expect(sentSince(fake, since, 'POST', '/v1/checkout/sessions')).toHaveLength(1);
  });

  it('503 STRIPE_UNAVAILABLE: Stripe rate-limits every attempt (the first try and three retries, one Idempotency-Key)', async () => {
    const t = await stripeTenant(server(), 'co-429');
    const since = fake.requests.length;
    fake.failNext('POST', '/v1/checkout/sessions', 429, { times: 4 });
    problem(await checkout(t.token, { plan: plan.slug }), 'post', B.checkout, 503, 'STRIPE_UNAVAILABLE');
    const attempts = sentSince(fake, since, 'POST', '/v1/checkout/sessions');
    expect(attempts).toHaveLength(4);
    expect(new Set(attempts.map((a) => a.idempotencyKey)).size).toBe(1);
  });

  it('200 after a transient 500: the retry carries the same Idempotency-Key and one session is created', async () => {
    const t = await stripeTenant(server(), 'co-retry');
    const since = fake.requests.length;
    fake.failNext('POST', '/v1/checkout/sessions', 500);
    const body = ok(await checkout(t.token, { plan: plan.slug }), 'post', B.checkout);
    const attempts = sentSince(fake, since, 'POST', '/v1/checkout/sessions');
    expect(attempts).toHaveLength(2);
    expect(attempts[0]!.idempotencyKey).toBe(attempts[1]!.idempotencyKey);
    expect([...fake.state.checkoutSessions.values()].filter((s) => s.client_reference_id === t.orgId).map((s) => s.id)).toEqual([body.id]);
  });

  it('502 STRIPE_ERROR: Stripe refuses the session (400), e.g. a price that no longer exists there', async () => {
    const t = await stripeTenant(server(), 'co-502');
    fake.failNext('POST', '/v1/checkout/sessions', 400, { message: 'Something about the request is wrong.' });
    const body = problem(await checkout(t.token, { plan: plan.slug }), 'post', B.checkout, 502, 'STRIPE_ERROR');
    expect(body.detail).toContain('Something about the request is wrong.');

    const gone = await insertPlan(server(), { priceMonthly: 1200 });
    await dbQuery(server(), 'UPDATE plans SET stripe_price_monthly_id = $2 WHERE id = $1', [gone.id, `price_gone_${gone.slug}`]);
    problem(await checkout(t.token, { plan: gone.slug }), 'post', B.checkout, 502, 'STRIPE_ERROR');
  });

  it('503 STRIPE_UNAVAILABLE: creating the missing customer fails (no session is requested)', async () => {
    const t = await stripeTenant(server(), 'co-cust-503');
    await dbQuery(server(), 'UPDATE organizations SET stripe_customer_id = NULL WHERE id = $1', [t.orgId]);
    const since = fake.requests.length;
    fake.failNext('POST', '/v1/customers', 503, { shouldRetry: false });
    problem(await checkout(t.token, { plan: plan.slug }), 'post', B.checkout, 503, 'STRIPE_UNAVAILABLE');
    expect(sentSince(fake, since, 'POST', '/v1/checkout/sessions')).toHaveLength(0);
  });
});
