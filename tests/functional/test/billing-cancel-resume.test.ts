/**
 * POST /api/user/subscription/cancel and /resume, in both billing modes.
 *
 * Stripe mode: Tollgate sends `cancel_at_period_end=true|false` for the organization's Stripe subscription and
 * mirrors Stripe's answer at once. Local mode: the flag is set on the local subscription, audited. 409
 * NOTHING_TO_CANCEL on Free, ALREADY_CANCELING, NOT_CANCELING; 401; 502/503 when Stripe fails.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startFakeStripe, type FakeStripe } from '../harness/fake-stripe.js';
import { api, dbQuery } from './auth-helpers.js';
import { newTenant } from './keys-helpers.js';
import {
  B,
  auditRows,
  expectTollgateCall,
  insertPlan,
  isoSeconds,
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
  type TestPlan,
} from './billing-helpers.js';

describe('cancel / resume, Stripe mode', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => stripeEnv(fake));
  printLogsOnFailure(() => (fake ? `--- fake stripe requests ---\n${fake.requests.map((r) => `${r.method} ${r.path} ${r.body.slice(0, 300)}`).join('\n')}` : ''));

  let plan: TestPlan;
  beforeAll(async () => {
    fake.webhookUrl = server().baseUrl + '/api/stripe/webhook';
    plan = await stripePlan(server(), fake, { name: 'Cancel Plan', priceMonthly: 2500 });
  });
  const post = (path: string, token?: string) => api(server(), 'post', path, { token });

  it('cancel 200 → resume 200: Stripe gets cancel_at_period_end=true, then false; mirrored at once; the plan stays until period end', async () => {
    const t = await stripeTenant(server(), 'cr-stripe');
    const { subId, sub } = await subscribe(server(), fake, t, plan);

    let since = fake.requests.length;
    const r = await post(B.cancel, t.token);
    const canceled = ok(r, 'post', B.cancel);
    expect(r.headers.get('cache-control')).toBe('no-store');
    let calls = sentSince(fake, since, 'POST');
    expect(calls).toHaveLength(1);
    expectTollgateCall(calls[0]!);
    expect(calls[0]!.path).toBe(`/v1/subscriptions/${subId}`);
    expect(calls[0]!.form).toEqual({ cancel_at_period_end: 'true' });
    expect(calls[0]!.idempotencyKey).toBe(`tollgate-cancel-${r.headers.get('x-request-id')}`);
    expect(fake.state.subscriptions.get(subId)!.cancel_at_period_end).toBe(true);
    expect(canceled).toMatchObject({
      implicit: false,
      status: 'active',
      source: 'stripe',
      cancelAtPeriodEnd: true,
      currentPeriodEnd: isoSeconds(sub.current_period_end * 1000),
      billingMode: 'stripe',
    });
    expect(canceled.plan.slug).toBe(plan.slug);
    expect(await subscriptionOf(server(), t.token)).toEqual(canceled);
    const row = await dbQuery(server(), "SELECT cancel_at_period_end FROM subscriptions WHERE stripe_subscription_id = $1", [subId]);
    expect(row.rows).toEqual([{ cancel_at_period_end: true }]);

    since = fake.requests.length;
    const r2 = await post(B.resume, t.token);
    const resumed = ok(r2, 'post', B.resume);
    calls = sentSince(fake, since, 'POST');
    expect(calls).toHaveLength(1);
    expectTollgateCall(calls[0]!);
    expect(calls[0]!.form).toEqual({ cancel_at_period_end: 'false' });
    expect(calls[0]!.idempotencyKey).toBe(`tollgate-resume-${r2.headers.get('x-request-id')}`);
    expect(fake.state.subscriptions.get(subId)!.cancel_at_period_end).toBe(false);
    expect(resumed).toMatchObject({ cancelAtPeriodEnd: false, source: 'stripe', status: 'active' });
    expect((await subscriptionOf(server(), t.token)).cancelAtPeriodEnd).toBe(false);
  });

  it('cancel and resume are audited as in local mode (billing.subscription.cancel_scheduled / .resumed)', async () => {
    const t = await stripeTenant(server(), 'cr-audit');
    await subscribe(server(), fake, t, plan);
    const r = await post(B.cancel, t.token);
    ok(r, 'post', B.cancel);
    const r2 = await post(B.resume, t.token);
    ok(r2, 'post', B.resume);
    const scheduled = await auditRows(server(), t.orgId, 'billing.subscription.cancel_scheduled');
    const resumed = await auditRows(server(), t.orgId, 'billing.subscription.resumed');
    expect(scheduled.map((a) => [a.actor_user_id, a.request_id])).toEqual([[t.userId, r.headers.get('x-request-id')]]);
    expect(resumed.map((a) => [a.actor_user_id, a.request_id])).toEqual([[t.userId, r2.headers.get('x-request-id')]]);
  });

  it('409 ALREADY_CANCELING / NOT_CANCELING: nothing is sent to Stripe', async () => {
    const t = await stripeTenant(server(), 'cr-twice');
    await subscribe(server(), fake, t, plan);
    const since = fake.requests.length;
    problem(await post(B.resume, t.token), 'post', B.resume, 409, 'NOT_CANCELING');
    expect(sentSince(fake, since, 'POST')).toHaveLength(0);
    ok(await post(B.cancel, t.token), 'post', B.cancel);
    const after = fake.requests.length;
    problem(await post(B.cancel, t.token), 'post', B.cancel, 409, 'ALREADY_CANCELING');
    expect(sentSince(fake, after, 'POST')).toHaveLength(0);
    ok(await post(B.resume, t.token), 'post', B.resume);
    problem(await post(B.resume, t.token), 'post', B.resume, 409, 'NOT_CANCELING');
  });

  it('409 NOTHING_TO_CANCEL on Free (resume: NOT_CANCELING)', async () => {
    const t = await stripeTenant(server(), 'cr-free');
    const since = fake.requests.length;
    problem(await post(B.cancel, t.token), 'post', B.cancel, 409, 'NOTHING_TO_CANCEL');
    problem(await post(B.resume, t.token), 'post', B.resume, 409, 'NOT_CANCELING');
    expect(sentSince(fake, since)).toHaveLength(0);
  });

  it('a local (comped) subscription in Stripe mode is canceled locally, without calling Stripe', async () => {
    const t = await stripeTenant(server(), 'cr-manual');
    await localSubscription(server(), t.orgId, plan.id, { start: "now() - interval '1 day'", end: "now() + interval '29 days'", source: 'manual' });
    const since = fake.requests.length;
    const body = ok(await post(B.cancel, t.token), 'post', B.cancel);
    expect(body).toMatchObject({ cancelAtPeriodEnd: true, source: 'manual' });
    expect(sentSince(fake, since)).toHaveLength(0);
  });

  it('502 STRIPE_ERROR / 503 STRIPE_UNAVAILABLE: the flag stays as it was', async () => {
    const t = await stripeTenant(server(), 'cr-fails');
    const { subId } = await subscribe(server(), fake, t, plan);
    fake.failNext('POST', `/v1/subscriptions/${subId}`, 400, { message: 'No such subscription' });
    problem(await post(B.cancel, t.token), 'post', B.cancel, 502, 'STRIPE_ERROR');
    fake.failNext('POST', `/v1/subscriptions/${subId}`, 500, { shouldRetry: false });
    problem(await post(B.cancel, t.token), 'post', B.cancel, 503, 'STRIPE_UNAVAILABLE');
    expect((await subscriptionOf(server(), t.token)).cancelAtPeriodEnd).toBe(false);
    expect(fake.state.subscriptions.get(subId)!.cancel_at_period_end).toBe(false);
    ok(await post(B.cancel, t.token), 'post', B.cancel);
    fake.failNext('POST', `/v1/subscriptions/${subId}`, 503, { shouldRetry: false });
    problem(await post(B.resume, t.token), 'post', B.resume, 503, 'STRIPE_UNAVAILABLE');
    expect((await subscriptionOf(server(), t.token)).cancelAtPeriodEnd).toBe(true);
  });

  it('401: no token', async () => {
    problem(await post(B.cancel), 'post', B.cancel, 401, 'UNAUTHORIZED');
    problem(await post(B.resume), 'post', B.resume, 401, 'UNAUTHORIZED');
  });
});

describe('cancel / resume, local mode', () => {
  const server = useServer(localEnv());
  printLogsOnFailure();
  let plan: TestPlan;
  beforeAll(async () => {
    plan = await insertPlan(server(), { name: 'Local Cancel', priceMonthly: 1200 });
  });
  const post = (path: string, token?: string) => api(server(), 'post', path, { token });

  it('cancel 200 → resume 200: the flag on the local subscription, each audited once', async () => {
    const t = await newTenant(server(), 'lcr');
    const sub = await localSubscription(server(), t.orgId, plan.id, {
      start: "date_trunc('second', now()) - interval '3 days'",
      end: "date_trunc('second', now()) + interval '27 days'",
    });
    const r = await post(B.cancel, t.token);
    const canceled = ok(r, 'post', B.cancel);
    expect(canceled).toMatchObject({
      implicit: false,
      status: 'active',
      source: 'local',
      cancelAtPeriodEnd: true,
      currentPeriodStart: isoSeconds(sub.start),
      currentPeriodEnd: isoSeconds(sub.end),
      billingMode: 'local',
    });
    expect(canceled.plan.slug).toBe(plan.slug);
    const row = await dbQuery(server(), 'SELECT cancel_at_period_end, canceled_at IS NOT NULL AS c, status FROM subscriptions WHERE id = $1', [sub.id]);
    expect(row.rows).toEqual([{ cancel_at_period_end: true, c: true, status: 'active' }]);
    const scheduled = await auditRows(server(), t.orgId, 'billing.subscription.cancel_scheduled');
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]).toMatchObject({ actor_type: 'user', actor_user_id: t.userId, target_type: 'subscription', target_id: sub.id, request_id: r.headers.get('x-request-id') });

    const r2 = await post(B.resume, t.token);
    const resumed = ok(r2, 'post', B.resume);
    expect(resumed).toMatchObject({ cancelAtPeriodEnd: false, status: 'active', source: 'local' });
    const row2 = await dbQuery(server(), 'SELECT cancel_at_period_end, canceled_at FROM subscriptions WHERE id = $1', [sub.id]);
    expect(row2.rows).toEqual([{ cancel_at_period_end: false, canceled_at: null }]);
    const resumedRows = await auditRows(server(), t.orgId, 'billing.subscription.resumed');
    expect(resumedRows).toHaveLength(1);
    expect(resumedRows[0]).toMatchObject({ target_id: sub.id, request_id: r2.headers.get('x-request-id') });
  });

  it('409 ALREADY_CANCELING / NOT_CANCELING (no audit rows for refused calls)', async () => {
    const t = await newTenant(server(), 'lcr-twice');
    await localSubscription(server(), t.orgId, plan.id, { start: "now() - interval '1 day'", end: "now() + interval '29 days'" });
    problem(await post(B.resume, t.token), 'post', B.resume, 409, 'NOT_CANCELING');
    ok(await post(B.cancel, t.token), 'post', B.cancel);
    problem(await post(B.cancel, t.token), 'post', B.cancel, 409, 'ALREADY_CANCELING');
    expect(await auditRows(server(), t.orgId, 'billing.subscription.cancel_scheduled')).toHaveLength(1);
    ok(await post(B.resume, t.token), 'post', B.resume);
    problem(await post(B.resume, t.token), 'post', B.resume, 409, 'NOT_CANCELING');
    expect(await auditRows(server(), t.orgId, 'billing.subscription.resumed')).toHaveLength(1);
  });

  it('409 NOTHING_TO_CANCEL: the implicit Free plan, or a Free subscription row', async () => {
    const t = await newTenant(server(), 'lcr-free');
    problem(await post(B.cancel, t.token), 'post', B.cancel, 409, 'NOTHING_TO_CANCEL');
    problem(await post(B.resume, t.token), 'post', B.resume, 409, 'NOT_CANCELING');
    const free = await dbQuery(server(), "SELECT id::text AS id FROM plans WHERE slug = 'free'");
    await localSubscription(server(), t.orgId, free.rows[0].id, { start: "now() - interval '1 day'", end: "now() + interval '29 days'" });
    problem(await post(B.cancel, t.token), 'post', B.cancel, 409, 'NOTHING_TO_CANCEL');
  });

  it('409 STRIPE_NOT_CONFIGURED: a Stripe subscription cannot be changed without Stripe', async () => {
    const t = await newTenant(server(), 'lcr-stripe');
    await localSubscription(server(), t.orgId, plan.id, {
      start: "now() - interval '1 day'",
      end: "now() + interval '29 days'",
      source: 'stripe',
      stripeId: `sub_local_${t.orgId.slice(0, 8)}`,
    });
    problem(await post(B.cancel, t.token), 'post', B.cancel, 409, 'STRIPE_NOT_CONFIGURED');
    expect((await subscriptionOf(server(), t.token)).cancelAtPeriodEnd).toBe(false);
  });

  it('401: no token', async () => {
    problem(await post(B.cancel), 'post', B.cancel, 401, 'UNAUTHORIZED');
    problem(await post(B.resume), 'post', B.resume, 401, 'UNAUTHORIZED');
  });
});
