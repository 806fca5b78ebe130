/**
 * A subscription's whole lifecycle at Stripe (the fake) — created, updated (plan change), invoice.paid, updated
 * (cancel_at_period_end), deleted — delivered as webhooks in order, and in 20 random orders (seeded PRNG; the seed
 * is printed, LIFECYCLE_SEED=<n> replays it; each event leads four of the orders). Every order must end in the same state as the in-order delivery:
 * GET /api/user/subscription, the mirrored subscription row, billing_records (+ lines), one audit row and one
 * receipt e-mail for the payment, every event processed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startFakeStripe, type FakeStripe, type StripeEvent } from '../harness/fake-stripe.js';
import { dbQuery } from './auth-helpers.js';
import {
  auditRows,
  emitted,
  eventsHandled,
  mails,
  prng,
  shuffle,
  stripeApi,
  stripeEnv,
  stripePlan,
  stripeTenant,
  subscriptionOf,
  type TestPlan,
} from './billing-helpers.js';

const STEPS = ['created', 'updated (plan change)', 'invoice.paid', 'updated (cancel_at_period_end)', 'deleted'] as const;
const ORDERS = 20;

describe('a Stripe subscription lifecycle delivered in any order ends in the same state', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => stripeEnv(fake));
  printLogsOnFailure(() => (fake ? `--- webhooks ---\n${fake.deliveries.map((d) => `${d.event.id} ${d.event.type} → ${d.status}`).join('\n')}` : ''));

  let basic: TestPlan;
  let premium: TestPlan;
  beforeAll(async () => {
    fake.webhookUrl = server().baseUrl + '/api/stripe/webhook';
    basic = await stripePlan(server(), fake, { name: 'Lifecycle Basic', priceMonthly: 1900 });
    premium = await stripePlan(server(), fake, { name: 'Lifecycle Premium', priceMonthly: 4900 });
  });

  /** Runs the lifecycle at Stripe (no webhooks sent yet); returns its five events in lifecycle order. */
  async function lifecycle(tag: string) {
    const t = await stripeTenant(server(), tag);
    const sub = await stripeApi(fake, 'POST', '/v1/subscriptions', {
      customer: t.customer,
      items: [{ price: basic.stripe.monthly, quantity: 1 }],
      metadata: { organization_id: t.orgId, plan: basic.slug },
    });
    await stripeApi(fake, 'POST', `/v1/subscriptions/${sub.id}`, {
      items: [{ id: sub.items.data[0].id, price: premium.stripe.monthly }],
      proration_behavior: 'none',
      metadata: { plan: premium.slug },
    });
    await stripeApi(fake, 'POST', `/v1/subscriptions/${sub.id}`, { cancel_at_period_end: true });
    await stripeApi(fake, 'DELETE', `/v1/subscriptions/${sub.id}`);
    const created = emitted(fake, 'customer.subscription.created', sub.id);
    const updated = emitted(fake, 'customer.subscription.updated', sub.id).reverse(); // oldest first
    const deleted = emitted(fake, 'customer.subscription.deleted', sub.id);
    const paid = emitted(fake, 'invoice.paid', sub.latest_invoice as string);
    expect([created.length, updated.length, paid.length, deleted.length]).toEqual([1, 2, 1, 1]);
    const events: StripeEvent[] = [created[0]!, updated[0]!, paid[0]!, updated[1]!, deleted[0]!];
    return { t, subId: sub.id as string, invoiceId: sub.latest_invoice as string, events };
  }

  /** Delivers the events in `order` (indices into the lifecycle), one after another; waits until all are processed. */
  async function deliver(events: StripeEvent[], order: number[]): Promise<Record<string, string>> {
    for (const i of order) {
      const [res] = await fake.deliver(events[i]!);
      expect(res!.status, res!.body).toBe(200);
    }
    return eventsHandled(server(), events.map((e) => e.id), 30_000);
  }

  /** Everything Tollgate holds about the organization's billing, without ids and times that differ per tenant. */
  async function snapshot(run: Awaited<ReturnType<typeof lifecycle>>, statuses: Record<string, string>) {
    const { t, subId, invoiceId } = run;
    const stripeSub = fake.state.subscriptions.get(subId)!;
    const stripeInv = fake.state.invoices.get(invoiceId)!;
    const api = await subscriptionOf(server(), t.token);
    const subs = await dbQuery(
      server(),
      `SELECT s.id::text AS id, p.slug, s.status, s.source, s.billing_interval, s.cancel_at_period_end, s.canceled_at IS NOT NULL AS canceled,
              s.ended_at IS NOT NULL AS ended, s.stripe_subscription_id, s.stripe_price_id,
              extract(epoch FROM s.current_period_start)::bigint AS ps, extract(epoch FROM s.current_period_end)::bigint AS pe
         FROM subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.organization_id = $1 ORDER BY s.created_at`,
      [t.orgId],
    );
    const recs = await dbQuery(
      server(),
      `SELECT b.id::text AS id, b.status, b.source, b.currency, b.number, b.subtotal_minor::int AS subtotal, b.total_minor::int AS total,
              b.amount_due_minor::int AS due, b.amount_paid_minor::int AS paid, b.paid_at IS NOT NULL AS paid_at, b.stripe_invoice_id,
              b.subscription_id::text AS subscription_id, p.slug AS plan,
              (SELECT json_agg(json_build_object('kind', l.kind, 'description', l.description, 'quantity', l.quantity,
                                                 'unit', l.unit_price_minor, 'amount', l.amount_minor) ORDER BY l.position)
                 FROM invoice_lines l WHERE l.billing_record_id = b.id) AS lines
         FROM billing_records b LEFT JOIN plans p ON p.id = b.plan_id WHERE b.organization_id = $1`,
      [t.orgId],
    );
    const subRowIds = new Set(subs.rows.map((s) => s.id));
    return {
      subscription: api,
      subscriptions: subs.rows.map(({ id: _id, stripe_subscription_id, stripe_price_id, ps, pe, ...rest }) => ({
        ...rest,
        stripeSubscription: stripe_subscription_id === subId ? 'the subscription' : stripe_subscription_id,
        stripePrice: stripe_price_id === premium.stripe.monthly ? 'premium' : stripe_price_id === basic.stripe.monthly ? 'basic' : stripe_price_id,
        period: [Number(ps) - stripeSub.current_period_start, Number(pe) - stripeSub.current_period_end],
      })),
      invoices: recs.rows.map(({ id: _id, number, stripe_invoice_id, subscription_id, ...rest }) => ({
        ...rest,
        number: number === stripeInv.number ? "Stripe's number" : number,
        stripeInvoice: stripe_invoice_id === invoiceId ? 'the invoice' : stripe_invoice_id,
        subscription: subscription_id === null ? null : subRowIds.has(subscription_id) ? 'the subscription row' : 'another row',
      })),
      receiptAuditRows: (await auditRows(server(), t.orgId, 'billing.payment.succeeded')).length,
      receiptMails: (await mails(server(), t.email, 'payment_succeeded')).length,
      events: run.events.map((e) => statuses[e.id]),
    };
  }

  it(`in order, then ${ORDERS} random orders: the same final state`, async () => {
    const seed = Number(process.env.LIFECYCLE_SEED ?? Math.floor(Math.random() * 2 ** 31));
    // eslint-disable-next-line no-console
    console.log(`stripe-lifecycle-orders: seed ${seed} (replay with LIFECYCLE_SEED=${seed})`);
    const rnd = prng(seed);
    const identity = [0, 1, 2, 3, 4];
    // Distinct random orders, each event leading four of them (so every "arrives first" case is covered).
    const orders: number[][] = [];
    for (let guard = 0; orders.length < ORDERS && guard < 100_000; guard++) {
      const o = shuffle(identity, rnd);
      if (o[0] === orders.length % identity.length && o.join() !== identity.join() && !orders.some((x) => x.join() === o.join())) orders.push(o);
    }
    expect(orders).toHaveLength(ORDERS);

    const reference = await lifecycle('life-ref');
    const expected = await snapshot(reference, await deliver(reference.events, identity));
    // What Stripe's final state is, spelled out: Free again, the premium subscription ended, the invoice paid.
    expect(expected.subscription).toMatchObject({ implicit: true, source: 'local', billingMode: 'stripe' });
    expect(expected.subscription.plan.slug).toBe('free');
    expect(expected.subscriptions).toEqual([
      expect.objectContaining({ slug: premium.slug, status: 'canceled', source: 'stripe', ended: true, stripeSubscription: 'the subscription', stripePrice: 'premium', period: [0, 0] }),
    ]);
    expect(expected.invoices).toEqual([
      expect.objectContaining({ status: 'paid', source: 'stripe', currency: 'USD', total: 1900, paid: 1900, paid_at: true, stripeInvoice: 'the invoice', subscription: 'the subscription row' }),
    ]);
    expect(expected).toMatchObject({ receiptAuditRows: 1, receiptMails: 1, events: ['processed', 'processed', 'processed', 'processed', 'processed'] });

    const differing: string[] = [];
    // Five tenants at a time: deliveries of different organizations interleave, each organization's stay in order.
    for (let i = 0; i < orders.length; i += 5) {
      const batch = orders.slice(i, i + 5);
      const results = await Promise.all(
        batch.map(async (order) => {
          const run = await lifecycle('life-rnd');
          return { order, got: await snapshot(run, await deliver(run.events, order)) };
        }),
      );
      for (const { order, got } of results) {
        const diff = Object.keys(expected)
          .filter((k) => JSON.stringify((got as any)[k]) !== JSON.stringify((expected as any)[k]))
          .map((k) => `  ${k}: expected ${JSON.stringify((expected as any)[k])}\n  ${' '.repeat(k.length)}  got      ${JSON.stringify((got as any)[k])}`);
        if (diff.length > 0) differing.push(`order [${order.map((k) => STEPS[k]).join(' → ')}]:\n${diff.join('\n')}`);
      }
    }
    expect(differing, `seed ${seed}: ${differing.length} of ${orders.length} orders ended differently\n${differing.join('\n\n')}`).toEqual([]);
  }, 240_000);
});
