/**
 * Invoices mirrored from Stripe (the fake): GET /api/user/billing/invoices (newest first, keyset pages with
 * nextCursor and limit) and GET /api/user/billing/invoices/{id} (with lines). invoice.* webhooks re-read the
 * invoice from Stripe into billing_records + invoice_lines; a payment that fails then succeeds writes exactly one
 * audit row and queues exactly one e-mail per transition; the same event delivered 3 times in sequence or 10
 * times at once has exactly one effect. 401, 422 (limit, cursor), 404 INVOICE_NOT_FOUND.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { validateResponse } from '../harness/openapi.js';
import { makeEvent, startFakeStripe, type FakeStripe, type StripeObject } from '../harness/fake-stripe.js';
import { api, dbQuery } from './auth-helpers.js';
import {
  B,
  auditRows,
  deliverAndWait,
  emitted,
  eventsHandled,
  fill,
  invalid,
  isoSeconds,
  mails,
  ok,
  postSigned,
  problem,
  stripeApi,
  stripeEnv,
  stripePlan,
  stripeTenant,
  subscribe,
  until,
  withoutRequestId,
  type TestPlan,
} from './billing-helpers.js';

describe('invoices mirrored from Stripe', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => stripeEnv(fake));
  printLogsOnFailure(() => (fake ? `--- webhooks ---\n${fake.deliveries.map((d) => `${d.event.id} ${d.event.type} → ${d.status} ${d.body ?? d.error}`).join('\n')}` : ''));

  let plan: TestPlan;
  beforeAll(async () => {
    fake.webhookUrl = server().baseUrl + '/api/stripe/webhook';
    plan = await stripePlan(server(), fake, { name: 'Invoice Plan', priceMonthly: 2900 });
  });

  const list = (token: string | undefined, query = '') => api(server(), 'get', B.invoices + query, { token });
  const detail = (token: string | undefined, id: string) => api(server(), 'get', fill(B.invoice, id), { token });

  /** Every stored event handled (the tests run one after another, so this is "this test's events"). */
  const settled = () =>
    until('all webhook events handled', async () => {
      const r = await dbQuery(server(), "SELECT count(*)::int AS n FROM stripe_webhook_events WHERE status NOT IN ('processed', 'ignored')");
      return r.rows[0].n === 0 ? true : undefined;
    });

  /** A subscribed tenant whose checkout events (with the first, paid invoice) are processed. */
  async function subscribed(tag: string, last4?: string) {
    const t = await stripeTenant(server(), tag);
    const s = await subscribe(server(), fake, t, plan, { last4 });
    await settled();
    return { ...t, ...s };
  }

  const recordOf = async (stripeInvoiceId: string) =>
    (await dbQuery(server(), 'SELECT * FROM billing_records WHERE stripe_invoice_id = $1', [stripeInvoiceId])).rows[0];

  it('the first invoice (paid at checkout) is listed and detailed exactly as Stripe has it; one audit row, one receipt e-mail', async () => {
    const t = await subscribed('inv-first');
    const inv = fake.state.invoices.get(t.sub.latest_invoice as string)!;
    const rec = await recordOf(inv.id);
    expect(rec, 'billing_records row for the invoice').toBeDefined();

    const r = await list(t.token);
    const page = ok(r, 'get', B.invoices);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const summary = {
      id: rec.id,
      number: inv.number,
      status: 'paid',
      source: 'stripe',
      currency: 'USD',
      periodStart: isoSeconds(inv.period_start * 1000),
      periodEnd: isoSeconds(inv.period_end * 1000),
      total: 2900,
      amountDue: 2900,
      amountPaid: 2900,
      hostedInvoiceUrl: inv.hosted_invoice_url,
      invoicePdfUrl: inv.invoice_pdf,
      issuedAt: isoSeconds(inv.created * 1000),
      dueAt: null,
      paidAt: isoSeconds(inv.status_transitions.paid_at * 1000),
      createdAt: isoSeconds(rec.created_at),
    };
    expect(page).toEqual({ invoices: [summary], nextCursor: null });

    const audit = await auditRows(server(), t.orgId, 'billing.payment.succeeded');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_type: 'stripe', target_type: 'billing_record', target_id: rec.id, metadata: { stripeInvoiceId: inv.id, amountMinor: 2900, currency: 'usd' } });
    const receipts = await mails(server(), t.email, 'payment_succeeded');
    expect(receipts).toHaveLength(1);
    expect(receipts[0].payload).toMatchObject({ amountMinor: 2900, currency: 'usd', invoiceNumber: inv.number });
    const lines = await dbQuery(server(), 'SELECT stripe_line_item_id, currency FROM invoice_lines WHERE billing_record_id = $1', [rec.id]);
    expect(lines.rows).toEqual([{ stripe_line_item_id: inv.lines.data[0].id, currency: 'USD' }]);
    expect(rec.subscription_id).not.toBeNull();
    expect(rec.plan_id).toBe(plan.id);

    const one = ok(await detail(t.token, rec.id), 'get', B.invoice);
    expect(one).toEqual({
      ...summary,
      subtotal: 2900,
      tax: 0,
      discount: 0,
      includedUnits: 0,
      usageUnits: 0,
      overageUnits: 0,
      lines: [{ kind: 'base_fee', description: '1 × Invoice Plan (at $29.00 / month)', quantity: 1, unitPrice: 2900, unitsPerPrice: 1, amount: 2900, proration: false }],
    });
  });

  it('lines are mapped by kind (prorations, metered overage, invoice items); tax, discount and overage units are kept', async () => {
    const t = await subscribed('inv-lines');
    const inv = fake.addInvoice(t.customer, { amountDue: 0, status: 'paid', subscription: t.subId });
    const basicPrice = fake.state.prices.get(plan.stripe.monthly!)!;
    const metered: StripeObject = { id: 'price_metered_x', object: 'price', unit_amount: null, unit_amount_decimal: '0.04', currency: 'usd', recurring: { interval: 'month', usage_type: 'metered' } };
    const period = { start: inv.period_start, end: inv.period_start + 86_400 };
    const il = () => `il_${crypto.randomBytes(8).toString('hex')}`;
    inv.lines.data = [
      { id: il(), object: 'line_item', amount: -1450, currency: 'usd', description: 'Unused time on Invoice Plan', period, price: basicPrice, proration: true, quantity: 1, type: 'subscription' },
      { id: il(), object: 'line_item', amount: 98, currency: 'usd', description: '2460 × metered calls', period, price: metered, proration: false, quantity: 2460, type: 'subscription' },
      { id: il(), object: 'line_item', amount: 500, currency: 'usd', description: 'Setup fee', period, price: null, proration: false, quantity: 1, type: 'invoiceitem' },
      { id: il(), object: 'line_item', amount: 2900, currency: 'usd', description: '1 × Invoice Plan', period, price: basicPrice, proration: false, quantity: 1, type: 'subscription' },
    ];
    Object.assign(inv, { subtotal: 2048, tax: 150, total_discount_amounts: [{ amount: 200, discount: 'di_1' }], total: 1998, amount_due: 1998, amount_paid: 1998 });
    await deliverAndWait(server(), fake, makeEvent('invoice.paid', inv));
    const rec = await recordOf(inv.id);
    expect(rec).toMatchObject({ subtotal_minor: '2048', tax_minor: '150', discount_minor: '200', total_minor: '1998', overage_units: '2460', usage_units: '2460' });
    const stored = await dbQuery(
      server(),
      'SELECT kind, quantity::int AS quantity, unit_price_minor::int AS unit, units_per_price::int AS per, amount_minor::int AS amount FROM invoice_lines WHERE billing_record_id = $1 ORDER BY position',
      [rec.id],
    );
    expect(stored.rows).toEqual([
      { kind: 'proration', quantity: 1, unit: 2900, per: 1, amount: -1450 },
      { kind: 'overage', quantity: 2460, unit: null, per: 1, amount: 98 },
      { kind: 'adjustment', quantity: 1, unit: null, per: 1, amount: 500 },
      { kind: 'base_fee', quantity: 1, unit: 2900, per: 1, amount: 2900 },
    ]);
    const one = ok(await detail(t.token, rec.id), 'get', B.invoice);
    expect(one).toMatchObject({ subtotal: 2048, tax: 150, discount: 200, total: 1998, amountDue: 1998, amountPaid: 1998, overageUnits: 2460, usageUnits: 2460 });
    expect(one.lines).toEqual([
      { kind: 'proration', description: 'Unused time on Invoice Plan', quantity: 1, unitPrice: 2900, unitsPerPrice: 1, amount: -1450, proration: true },
      { kind: 'overage', description: '2460 × metered calls', quantity: 2460, unitPrice: null, unitsPerPrice: 1, amount: 98, proration: false },
      { kind: 'adjustment', description: 'Setup fee', quantity: 1, unitPrice: null, unitsPerPrice: 1, amount: 500, proration: false },
      { kind: 'base_fee', description: '1 × Invoice Plan', quantity: 1, unitPrice: 2900, unitsPerPrice: 1, amount: 2900, proration: false },
    ]);
  });

  it('list pages: newest first, limit, nextCursor until null; every invoice exactly once; drafts are not listed', async () => {
    const t = await subscribed('inv-pages');
    for (let i = 1; i <= 5; i++) {
      const inv = fake.addInvoice(t.customer, { amountDue: 100 * i, status: 'paid', subscription: t.subId });
      await deliverAndWait(server(), fake, makeEvent('invoice.paid', inv));
    }
    const draft = fake.addInvoice(t.customer, { amountDue: 777, status: 'draft', subscription: t.subId });
    await deliverAndWait(server(), fake, makeEvent('invoice.created', draft));
    expect((await recordOf(draft.id)).status).toBe('draft');

    const all = ok(await list(t.token), 'get', B.invoices);
    expect(all.nextCursor).toBeNull();
    expect(all.invoices.map((i: any) => i.total)).toEqual([500, 400, 300, 200, 100, 2900]);
    const created = all.invoices.map((i: any) => Date.parse(i.createdAt));
    expect([...created].sort((a, b) => b - a)).toEqual(created);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = ok(await list(t.token, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`), 'get', B.invoices);
      expect(page.invoices.length).toBeLessThanOrEqual(2);
      seen.push(...page.invoices.map((i: any) => i.id));
      cursor = page.nextCursor;
      pages += 1;
      expect(pages).toBeLessThan(10);
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(all.invoices.map((i: any) => i.id));

    const big = ok(await list(t.token, '?limit=100'), 'get', B.invoices);
    expect(big.invoices).toHaveLength(6);
    const five = ok(await list(t.token, '?limit=5'), 'get', B.invoices);
    expect(five.invoices.map((i: any) => i.id)).toEqual(seen.slice(0, 5));
    expect(five.nextCursor).toEqual(expect.any(String));
    const rest = ok(await list(t.token, `?limit=5&cursor=${encodeURIComponent(five.nextCursor)}`), 'get', B.invoices);
    expect(rest).toEqual({ invoices: [all.invoices[5]], nextCursor: null });
  });

  it('422: limit outside 1–100 or not an integer; a cursor that is not a nextCursor', async () => {
    const t = await stripeTenant(server(), 'inv-422');
    for (const limit of ['0', '101', '-1', 'abc', '1.5', '', '20x']) {
      invalid(await list(t.token, `?limit=${encodeURIComponent(limit)}`), 'get', B.invoices, 'limit');
    }
    const uuid = crypto.randomUUID();
    for (const cursor of ['', 'abc', `x_${uuid}`, `123_not-a-uuid`, `${'9'.repeat(30)}_${uuid}`, 'c'.repeat(201), `-5_${uuid}`]) {
      invalid(await list(t.token, `?cursor=${encodeURIComponent(cursor)}`), 'get', B.invoices, 'cursor');
    }
  });

  it('422 (not 500): cursors of the right shape that are still not nextCursor values (with invoices to page through)', async () => {
    const t = await subscribed('inv-cursor');
    expect(ok(await list(t.token), 'get', B.invoices).invoices).toHaveLength(1);
    const uuid = crypto.randomUUID();
    const cursors = [`1_${'-'.repeat(36)}`, `1_${'a'.repeat(36)}`, `1_${uuid.replace(/-/g, 'g')}`];
    const answers = await Promise.all(cursors.map((c) => list(t.token, `?cursor=${encodeURIComponent(c)}`)));
    expect(answers.map((a, i) => `${cursors[i]} → ${a.status} ${a.json?.code ?? ''}`)).toEqual(cursors.map((c) => `${c} → 422 VALIDATION_FAILED`));
    answers.forEach((a) => invalid(a, 'get', B.invoices, 'cursor'));
  });

  it('404 INVOICE_NOT_FOUND: another organization\'s invoice answers exactly like a missing one; a non-uuid id too', async () => {
    const owner = await subscribed('inv-owner');
    const rec = await recordOf(owner.sub.latest_invoice as string);
    const other = await stripeTenant(server(), 'inv-other');
    const theirs = await detail(other.token, rec.id);
    const missing = await detail(other.token, crypto.randomUUID());
    const notUuid = await detail(other.token, 'in_1NotAUuid');
    problem(theirs, 'get', B.invoice, 404, 'INVOICE_NOT_FOUND');
    problem(missing, 'get', B.invoice, 404, 'INVOICE_NOT_FOUND');
    problem(notUuid, 'get', B.invoice, 404, 'INVOICE_NOT_FOUND');
    expect(withoutRequestId(theirs)).toEqual(withoutRequestId(missing));
    expect(withoutRequestId(notUuid)).toEqual(withoutRequestId(missing));
    expect(ok(await list(other.token), 'get', B.invoices)).toEqual({ invoices: [], nextCursor: null });
    ok(await detail(owner.token, rec.id), 'get', B.invoice);
  });

  it('401: no token', async () => {
    problem(await list(undefined), 'get', B.invoices, 401, 'UNAUTHORIZED');
    problem(await detail(undefined, crypto.randomUUID()), 'get', B.invoice, 401, 'UNAUTHORIZED');
  });

  it('payment failed, failed again, then paid (and stale events after): one audit row and one e-mail per transition', async () => {
    const t = await subscribed('inv-dunning', '0341'); // the subscription's card declines
    const inv = fake.addInvoice(t.customer, { amountDue: 4500, subscription: t.subId });
    const pay = () => fetch(`${fake.url}/v1/invoices/${inv.id}/pay`, { method: 'POST', headers: { authorization: 'Bearer sk_test_dunning' } });

    expect((await pay()).status).toBe(402);
    const failed1 = emitted(fake, 'invoice.payment_failed', inv.id)[0]!;
    await deliverAndWait(server(), fake, failed1);
    const rec = await recordOf(inv.id);
    expect(rec).toMatchObject({ status: 'failed', payment_attempts: 1, amount_due_minor: '4500', amount_paid_minor: '0' });
    expect((await auditRows(server(), t.orgId, 'billing.payment.failed')).map((a) => a.target_id)).toEqual([rec.id]);
    const failMails = await mails(server(), t.email, 'payment_failed');
    expect(failMails).toHaveLength(1);
    expect(failMails[0].payload).toMatchObject({ amountMinor: 4500, currency: 'usd', invoiceNumber: inv.number });
    const listed = ok(await list(t.token), 'get', B.invoices).invoices.find((i: any) => i.id === rec.id);
    expect(listed).toMatchObject({ status: 'failed', amountDue: 4500, amountPaid: 0, paidAt: null });

    // Stripe retries and fails again: still failed, no second notice.
    expect((await pay()).status).toBe(402);
    await deliverAndWait(server(), fake, emitted(fake, 'invoice.payment_failed', inv.id)[0]!);
    expect((await recordOf(inv.id)).payment_attempts).toBe(2);
    expect(await auditRows(server(), t.orgId, 'billing.payment.failed')).toHaveLength(1);
    expect(await mails(server(), t.email, 'payment_failed')).toHaveLength(1);

    // The customer fixes the card; the retry succeeds.
    const good = fake.addCard(t.customer, { brand: 'visa', last4: '4242' });
    fake.state.subscriptions.get(t.subId)!.default_payment_method = good.id;
    expect((await pay()).status).toBe(200);
    const paid = emitted(fake, 'invoice.paid', inv.id)[0]!;
    await deliverAndWait(server(), fake, paid);
    expect(await recordOf(inv.id)).toMatchObject({ status: 'paid', amount_paid_minor: '4500' });
    // Stripe also sends invoice.payment_succeeded, and a stale payment_failed arrives late: re-read, no change.
    await deliverAndWait(server(), fake, makeEvent('invoice.payment_succeeded', structuredClone(paid.data.object)));
    await deliverAndWait(server(), fake, makeEvent('invoice.payment_failed', structuredClone(failed1.data.object)));
    const final = await recordOf(inv.id);
    expect(final.status).toBe('paid');

    expect(await auditRows(server(), t.orgId, 'billing.payment.failed')).toHaveLength(1);
    const succeeded = await auditRows(server(), t.orgId, 'billing.payment.succeeded');
    expect(succeeded.filter((a) => a.target_id === final.id)).toHaveLength(1);
    expect(succeeded.find((a) => a.target_id === final.id).metadata).toMatchObject({ stripeInvoiceId: inv.id, amountMinor: 4500 });
    expect(await mails(server(), t.email, 'payment_failed')).toHaveLength(1);
    expect((await mails(server(), t.email, 'payment_succeeded')).filter((m) => m.payload.invoiceNumber === inv.number)).toHaveLength(1);
    const one = ok(await detail(t.token, final.id), 'get', B.invoice);
    expect(one).toMatchObject({ status: 'paid', amountPaid: 4500, paidAt: isoSeconds(fake.state.invoices.get(inv.id)!.status_transitions.paid_at * 1000) });
  });

  it('the same invoice.paid event delivered 3 times in sequence: stored once, one record, one audit row, one e-mail', async () => {
    const t = await subscribed('inv-seq');
    const inv = fake.addInvoice(t.customer, { amountDue: 1234, status: 'paid', subscription: t.subId });
    const ev = makeEvent('invoice.paid', inv);
    const answers = await fake.deliver(ev, { times: 3 });
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    answers.forEach((a) => validateResponse('post', '/api/stripe/webhook', 200, 'application/json', a.body));
    expect(answers.map((a) => JSON.parse(a.body).duplicate)).toEqual([false, true, true]);
    await eventsHandled(server(), [ev.id]);
    await settled();
    const stored = await dbQuery(server(), 'SELECT count(*)::int AS n FROM stripe_webhook_events WHERE stripe_event_id = $1', [ev.id]);
    expect(stored.rows[0].n).toBe(1);
    const recs = await dbQuery(server(), 'SELECT id::text AS id FROM billing_records WHERE stripe_invoice_id = $1', [inv.id]);
    expect(recs.rows).toHaveLength(1);
    expect((await auditRows(server(), t.orgId, 'billing.payment.succeeded')).filter((a) => a.target_id === recs.rows[0].id)).toHaveLength(1);
    expect((await mails(server(), t.email, 'payment_succeeded')).filter((m) => m.payload.invoiceNumber === inv.number)).toHaveLength(1);
  });

  it('the same invoice.paid event delivered 10 times at once: one stored, nine duplicates, exactly one effect', async () => {
    const t = await subscribed('inv-burst');
    const inv = fake.addInvoice(t.customer, { amountDue: 4321, status: 'paid', subscription: t.subId });
    const ev = makeEvent('invoice.paid', inv);
    const payload = JSON.stringify(ev);
    const answers = await Promise.all(Array.from({ length: 10 }, () => postSigned(server(), fake, payload)));
    for (const a of answers) {
      expect(a.status, a.text).toBe(200);
      validateResponse('post', '/api/stripe/webhook', 200, a.contentType, a.text);
      expect(a.json).toMatchObject({ received: true, id: ev.id });
    }
    expect(answers.filter((a) => a.json.duplicate === false)).toHaveLength(1);
    await eventsHandled(server(), [ev.id]);
    await settled();
    const jobs = await dbQuery(server(), "SELECT count(*)::int AS n FROM jobs WHERE kind = 'stripe.process_event' AND payload->>'eventId' = $1", [ev.id]);
    expect(jobs.rows[0].n).toBe(1);
    const recs = await dbQuery(server(), 'SELECT id::text AS id FROM billing_records WHERE stripe_invoice_id = $1', [inv.id]);
    expect(recs.rows).toHaveLength(1);
    expect((await auditRows(server(), t.orgId, 'billing.payment.succeeded')).filter((a) => a.target_id === recs.rows[0].id)).toHaveLength(1);
    expect((await mails(server(), t.email, 'payment_succeeded')).filter((m) => m.payload.invoiceNumber === inv.number)).toHaveLength(1);
  });

  it('a voided invoice is mirrored as void (and stays listed)', async () => {
    const t = await subscribed('inv-void');
    const inv = fake.addInvoice(t.customer, { amountDue: 990, subscription: t.subId });
    await deliverAndWait(server(), fake, makeEvent('invoice.finalized', inv));
    expect((await recordOf(inv.id)).status).toBe('open');
    Object.assign(inv, { status: 'void', status_transitions: { ...inv.status_transitions, voided_at: Math.floor(Date.now() / 1000) } });
    await deliverAndWait(server(), fake, makeEvent('invoice.voided', inv));
    const rec = await recordOf(inv.id);
    expect(rec.status).toBe('void');
    expect(rec.voided_at).not.toBeNull();
    const listed = ok(await list(t.token), 'get', B.invoices).invoices.find((i: any) => i.id === rec.id);
    expect(listed).toMatchObject({ status: 'void', amountDue: 990, paidAt: null });
    // A void invoice is neither a payment success nor a failure.
    expect((await auditRows(server(), t.orgId, 'billing.payment.failed'))).toHaveLength(0);
  });

  it('an invoice event for a customer Tollgate does not know is kept as failed, and shows up nowhere', async () => {
    const stranger = await stripeApi(fake, 'POST', '/v1/customers', { email: 'stranger@example.com' });
    const inv = fake.addInvoice(stranger.id, { amountDue: 100, status: 'paid' });
    const ev = makeEvent('invoice.paid', inv);
    const [res] = await fake.deliver(ev);
    expect(res!.status).toBe(200);
    await until('the event marked failed', async () => {
      const q = await dbQuery(server(), 'SELECT status, error FROM stripe_webhook_events WHERE stripe_event_id = $1', [ev.id]);
      return q.rows[0]?.status === 'failed' ? q.rows[0] : undefined;
    });
    expect(await recordOf(inv.id)).toBeUndefined();
    // Do not leave a retrying failed event behind for the other tests' `settled()`.
    await dbQuery(server(), "UPDATE stripe_webhook_events SET status = 'ignored' WHERE stripe_event_id = $1", [ev.id]);
  });
});

describe('invoice events processed by two instances at the same moment', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => stripeEnv(fake));
  const second = useServer(() => stripeEnv(fake, { DATABASE_URL: server().env.DATABASE_URL, JWT_SECRET: server().env.JWT_SECRET }));
  printLogsOnFailure(() => (fake ? `--- webhooks ---\n${fake.deliveries.map((d) => `${d.event.id} ${d.event.type} → ${d.status}`).join('\n')}` : ''));

  it('invoice.paid and invoice.payment_succeeded for one payment, handled by both instances at once: one audit row, one e-mail', async () => {
    fake.webhookUrl = server().baseUrl + '/api/stripe/webhook';
    const plan = await stripePlan(server(), fake, { name: 'Two Instances', priceMonthly: 1500 });
    const t = await stripeTenant(server(), 'inv-two');
    const { subId } = await subscribe(server(), fake, t, plan);
    const inv = fake.addInvoice(t.customer, { amountDue: 2222, subscription: subId });
    await deliverAndWait(server(), fake, makeEvent('invoice.finalized', inv));
    expect((await dbQuery(server(), 'SELECT status FROM billing_records WHERE stripe_invoice_id = $1', [inv.id])).rows).toEqual([{ status: 'open' }]);
    await stripeApi(fake, 'POST', `/v1/invoices/${inv.id}/pay`);
    const paid = emitted(fake, 'invoice.paid', inv.id)[0]!;
    const succeeded = makeEvent('invoice.payment_succeeded', structuredClone(paid.data.object));

    // Hold the invoice's row so that both instances' updates start before either commits — what two instances
    // handling Stripe's two events for one payment do when they happen to run together.
    const lock = new pg.Client({ connectionString: server().env.DATABASE_URL });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('SELECT id FROM billing_records WHERE stripe_invoice_id = $1 FOR UPDATE', [inv.id]);
      const [a] = await fake.deliver(paid, { url: server().baseUrl + '/api/stripe/webhook' });
      const [b] = await fake.deliver(succeeded, { url: second().baseUrl + '/api/stripe/webhook' });
      expect([a!.status, b!.status]).toEqual([200, 200]);
      // One instance holds the invoice's advisory lock and waits for the row; the other waits for the advisory lock.
      await until('both instances waiting', async () => {
        const r = await dbQuery(
          server(),
          "SELECT count(*) FILTER (WHERE query ILIKE '%INSERT INTO billing_records%')::int AS row_wait, count(*) FILTER (WHERE query ILIKE '%pg_advisory_xact_lock%')::int AS lock_wait FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type IN ('Lock', 'LWLock')",
        );
        return r.rows[0].row_wait === 1 && r.rows[0].lock_wait === 1 ? true : undefined;
      });
      await lock.query('COMMIT');
    } finally {
      await lock.end().catch(() => undefined);
    }
    await eventsHandled(server(), [paid.id, succeeded.id]);
    const recs = await dbQuery(server(), 'SELECT id::text AS id, status FROM billing_records WHERE stripe_invoice_id = $1', [inv.id]);
    expect(recs.rows).toEqual([{ id: expect.any(String), status: 'paid' }]);
    expect((await mails(server(), t.email, 'payment_succeeded')).filter((m) => m.payload.invoiceNumber === inv.number), 'one receipt').toHaveLength(1);
    const audit = (await auditRows(server(), t.orgId, 'billing.payment.succeeded')).filter((x) => x.target_id === recs.rows[0].id);
    expect(audit, 'one audit row for the one payment').toHaveLength(1);
  });
});
