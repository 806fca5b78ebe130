/**
 * Subscriptions mirrored from Stripe (the fake Stripe API): Checkout → signed webhooks → the `stripe.process_event`
 * job re-reads the subscription from Stripe and mirrors it (plan by price id, period, cancellation, dunning dates);
 * the decision engine sees the new plan; events applied out of order or twice end in Stripe's current state.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { sleep } from '../harness/env.js';
import { encodeForm, makeEvent, startFakeStripe, type FakeStripe } from '../harness/fake-stripe.js';
import { until } from './billing-helpers.js';
import { api, dbQuery } from './auth-helpers.js';
import { createKey, createServiceToken, newTenant, verifyOk, type Tenant } from './keys-helpers.js';

describe('subscriptions mirrored from Stripe', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => ({
    STRIPE_SECRET_KEY: 'sk_test_tollgate',
    STRIPE_API_BASE: fake.url,
    STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
    RATE_LIMIT_IP_MAX: '100000',
  }));
  printLogsOnFailure(() => `--- fake stripe ---\n${fake ? fake.deliveries.map((d) => `${d.event.type} → ${d.status}`).join('\n') : ''}`);

  let priceId: string;
  let svc: string;

  async function stripeApi(method: string, path: string, params: Record<string, unknown> = {}): Promise<any> {
    const r = await fetch(fake.url + path, {
      method,
      headers: { authorization: 'Bearer sk_test_tollgate', 'content-type': 'application/x-www-form-urlencoded' },
      body: method === 'GET' ? undefined : encodeForm(params),
    });
    const body = await r.json();
    expect(r.status, JSON.stringify(body)).toBeLessThan(300);
    return body;
  }

  beforeAll(async () => {
    fake.webhookUrl = server().baseUrl + '/api/stripe/webhook';
    const product = await stripeApi('POST', '/v1/products', { name: 'Pro' });
    const price = await stripeApi('POST', '/v1/prices', { product: product.id, unit_amount: 9900, currency: 'usd', recurring: { interval: 'month' } });
    priceId = price.id;
    await dbQuery(server(), "UPDATE plans SET stripe_price_monthly_id = $1 WHERE slug = 'pro'", [priceId]);
    svc = await createServiceToken(server());
  });

  async function customerOf(t: Tenant): Promise<string> {
    return until('the Stripe customer', async () => {
      const r = await dbQuery(server(), 'SELECT stripe_customer_id FROM organizations WHERE id = $1', [t.orgId]);
      return r.rows[0]?.stripe_customer_id ?? undefined;
    });
  }

  async function subscription(t: Tenant): Promise<any> {
    const r = await api(server(), 'get', '/api/user/subscription', { token: t.token });
    expect(r.status, r.text).toBe(200);
    return r.json;
  }

  /** Checkout in the fake: create the session, visit its page (the fake completes it and sends the webhooks). */
  async function checkout(t: Tenant): Promise<string> {
    const customer = await customerOf(t);
    const session = await stripeApi('POST', '/v1/checkout/sessions', {
      mode: 'subscription',
      customer,
      line_items: [{ price: priceId, quantity: 1 }],
      success_url: 'http://127.0.0.1:9/done?session={CHECKOUT_SESSION_ID}',
      subscription_data: { metadata: { organization_id: t.orgId } },
    });
    const visit = await fetch(session.url, { redirect: 'manual' });
    expect(visit.status).toBe(303);
    const done = await stripeApi('GET', `/v1/checkout/sessions/${session.id}`);
    expect(typeof done.subscription).toBe('string');
    return done.subscription as string;
  }

  it('Checkout → webhooks → the organization is on Pro from Stripe, and the decision engine applies it', async () => {
    const t = await newTenant(server(), 'sub-checkout');
    const { secret } = await createKey(server(), t.token, { name: 'k' });
    expect((await verifyOk(server(), svc, { key: secret, cost: 0 })).json.plan).toBe('free');
    const subId = await checkout(t);
    const sub = await until('the subscription mirrored', async () => {
      const s = await subscription(t);
      return s.plan.slug === 'pro' ? s : undefined;
    });
    expect(sub).toMatchObject({ implicit: false, status: 'active', source: 'stripe', interval: 'month', cancelAtPeriodEnd: false, billingMode: 'stripe' });
    const stripeSub = fake.state.subscriptions.get(subId) as any;
    expect(new Date(sub.currentPeriodEnd).getTime() / 1000).toBe(stripeSub.current_period_end);
    const row = await dbQuery(server(), 'SELECT stripe_subscription_id, stripe_price_id FROM subscriptions WHERE organization_id = $1 AND status = $2', [t.orgId, 'active']);
    expect(row.rows).toEqual([{ stripe_subscription_id: subId, stripe_price_id: priceId }]);
    // The key cache is told about subscription changes: the next calls run on Pro.
    await until('verify on pro', async () => ((await verifyOk(server(), svc, { key: secret, cost: 0 })).json.plan === 'pro' ? true : undefined), 5000);
    const events = await dbQuery(server(), "SELECT type, status FROM stripe_webhook_events WHERE payload->'data'->'object'->>'customer' = $1 OR payload->'data'->'object'->>'id' = $2 ORDER BY received_at", [await customerOf(t), subId]);
    expect(events.rows.length).toBeGreaterThanOrEqual(2);
    await until('events processed', async () => {
      const r = await dbQuery(server(), "SELECT count(*)::int AS n FROM stripe_webhook_events WHERE status IN ('received', 'processing', 'failed') AND payload->'data'->'object'->>'customer' = $1", [await customerOf(t)]);
      return r.rows[0].n === 0 ? true : undefined;
    });
  });

  it('cancel at period end, then deletion: mirrored; events delivered out of order and twice end in Stripe\'s state', async () => {
    const t = await newTenant(server(), 'sub-cancel');
    const subId = await checkout(t);
    await until('on pro', async () => ((await subscription(t)).plan.slug === 'pro' ? true : undefined));

    const updated = await stripeApi('POST', `/v1/subscriptions/${subId}`, { cancel_at_period_end: true });
    await fake.deliver(makeEvent('customer.subscription.updated', updated));
    await until('cancelAtPeriodEnd', async () => ((await subscription(t)).cancelAtPeriodEnd === true ? true : undefined));

    // Stripe deletes it; the events arrive newest first, with a stale one repeated.
    const deleted = await stripeApi('DELETE', `/v1/subscriptions/${subId}`);
    const stale = makeEvent('customer.subscription.updated', { ...updated, cancel_at_period_end: false });
    await fake.deliver(makeEvent('customer.subscription.deleted', deleted));
    await fake.deliver(stale);
    await fake.deliver(stale); // a redelivery: acknowledged, not reprocessed
    await fake.deliver(makeEvent('customer.subscription.created', { ...updated, status: 'active' }));
    await until('back on the implicit Free plan', async () => {
      const s = await subscription(t);
      return s.implicit && s.plan.slug === 'free' ? true : undefined;
    });
    await sleep(1000); // let any late job run: it must not resurrect the subscription
    expect((await subscription(t)).implicit).toBe(true);
    const row = await dbQuery(server(), 'SELECT status, ended_at IS NOT NULL AS ended FROM subscriptions WHERE stripe_subscription_id = $1', [subId]);
    expect(row.rows).toEqual([{ status: 'canceled', ended: true }]);
    const dup = await dbQuery(server(), 'SELECT count(*)::int AS n FROM stripe_webhook_events WHERE stripe_event_id = $1', [stale.id]);
    expect(dup.rows[0].n).toBe(1);
  });

  it('payment failed → past due with the grace period; paid → the dunning dates are cleared', async () => {
    const t = await newTenant(server(), 'sub-dunning');
    const subId = await checkout(t);
    await until('on pro', async () => ((await subscription(t)).plan.slug === 'pro' ? true : undefined));
    const stripeSub = fake.state.subscriptions.get(subId) as any;
    stripeSub.status = 'past_due'; // what Stripe does after a failed renewal
    // Invoice events are re-read from Stripe: they name the subscription's real invoice.
    const invoiceId = typeof stripeSub.latest_invoice === 'string' ? stripeSub.latest_invoice : stripeSub.latest_invoice.id;
    await fake.deliver(makeEvent('invoice.payment_failed', { id: invoiceId, object: 'invoice', subscription: subId, customer: stripeSub.customer }));
    const pastDue = await until('past due', async () => {
      const s = await subscription(t);
      return s.status === 'past_due' ? s : undefined;
    });
    const graceDays = (new Date(pastDue.paymentGraceEndsAt).getTime() - new Date(pastDue.pastDueSince).getTime()) / 86_400_000;
    expect(graceDays).toBeCloseTo(7, 3);
    stripeSub.status = 'active';
    await fake.deliver(makeEvent('invoice.paid', { id: invoiceId, object: 'invoice', subscription: subId, customer: stripeSub.customer }));
    const paid = await until('active again', async () => {
      const s = await subscription(t);
      return s.status === 'active' ? s : undefined;
    });
    expect(paid).toMatchObject({ pastDueSince: null, paymentGraceEndsAt: null });
  });

  it('an event type not handled yet is kept and marked ignored', async () => {
    const e = makeEvent('product.created', { id: 'prod_nothing', object: 'product' });
    const [r] = await fake.deliver(e);
    expect(r!.status).toBe(200);
    await until('ignored', async () => {
      const q = await dbQuery(server(), 'SELECT status FROM stripe_webhook_events WHERE stripe_event_id = $1', [e.id]);
      return q.rows[0]?.status === 'ignored' ? true : undefined;
    });
  });
});
