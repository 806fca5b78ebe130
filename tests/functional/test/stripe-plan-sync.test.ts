/**
 * The plan catalog synced to Stripe by the `stripe.sync_plan` job (against the fake Stripe API): a plan saved
 * through the admin API gets a Product, monthly/annual Prices and, when usage-priced, a Billing Meter and a metered
 * Price (unit_amount_decimal = overagePrice / overageBlockUnits). A changed amount creates a new Price and archives
 * the old one; a rename only updates the Product; every POST is idempotent, so a job run again (or after a restart)
 * creates nothing twice. STRIPE_SYNC_PLANS_ON_START=true syncs the seeded plans at start.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startServer, type TollgateServer } from '../harness/server.js';
import { startFakeStripe, type FakeStripe, type RecordedRequest } from '../harness/fake-stripe.js';
import { api, dbQuery } from './auth-helpers.js';
import {
  adminPlan,
  adminPlans,
  adminSignIn,
  createPlanApi,
  customerOf,
  expectTollgateCall,
  meterRoundsPass,
  newTenant,
  patchPlanApi,
  planStripeRow,
  slugOf,
  stripeEnv,
  tollgateRequests,
  until,
  waitPlanSynced,
  type Admin,
} from './billing-admin-helpers.js';

const eventNameOf = (slug: string) => `tollgate_units_${slug.replace(/-/g, '_')}`;

/** Objects of each kind the fake holds (what "nothing created twice" compares). */
function counts(fake: FakeStripe): { products: number; prices: number; meters: number } {
  return { products: fake.state.products.size, prices: fake.state.prices.size, meters: fake.state.billingMeters.size };
}

/** Tollgate's object-creating POSTs (exact collection paths) since index `since`. */
function creations(fake: FakeStripe, since: number): RecordedRequest[] {
  return tollgateRequests(fake, since, 'POST').filter((r) => ['/v1/products', '/v1/prices', '/v1/billing/meters'].includes(r.path));
}

describe('plans synced to Stripe through the admin API', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => stripeEnv(fake, { BILLING_JOB_INTERVAL_SECONDS: '1' }));
  printLogsOnFailure(() =>
    fake ? `--- fake stripe requests ---\n${fake.requests.map((r) => `${r.method} ${r.path} ${r.body.slice(0, 300)}`).join('\n')}` : '',
  );

  let admin: Admin;
  beforeAll(async () => {
    fake.webhookUrl = server().baseUrl + '/api/stripe/webhook';
    admin = await adminSignIn(server(), 'sync-admin');
  });

  it('a HYBRID plan gets a product, monthly and annual prices, a billing meter and a metered price', async () => {
    const since = fake.requests.length;
    const body = {
      slug: slugOf('sync-hybrid'),
      name: 'Sync Hybrid',
      description: 'Synced by the job',
      type: 'HYBRID',
      priceMonthly: 2900,
      priceAnnual: 29000,
      includedUnits: 10000,
      overagePrice: 50,
      overageBlockUnits: 1000,
      rateLimitPerMinute: 100,
    };
    const created = await createPlanApi(server(), admin.token, body);
    const row = await waitPlanSynced(server(), created.id);
    for (const k of ['product', 'monthly', 'annual', 'metered', 'meter']) expect(row[k], k).toBeTruthy();

    const plan = await adminPlan(server(), admin.token, created.id);
    expect(plan.stripe).toMatchObject({
      productId: row.product,
      priceMonthlyId: row.monthly,
      priceAnnualId: row.annual,
      priceMeteredId: row.metered,
      meterId: row.meter,
    });
    expect(Date.parse(plan.stripe.syncedAt)).toBeGreaterThan(Date.now() - 120_000);

    const meta = { plan_id: created.id, plan: body.slug };
    expect(fake.state.products.get(row.product)).toMatchObject({ name: 'Sync Hybrid', description: 'Synced by the job', active: true, metadata: meta });
    expect(fake.state.prices.get(row.monthly)).toMatchObject({
      product: row.product,
      currency: 'usd',
      unit_amount: 2900,
      active: true,
      type: 'recurring',
      recurring: { interval: 'month', usage_type: 'licensed', meter: null },
      metadata: meta,
    });
    expect(fake.state.prices.get(row.annual)).toMatchObject({
      product: row.product,
      currency: 'usd',
      unit_amount: 29000,
      active: true,
      recurring: { interval: 'year', usage_type: 'licensed' },
      metadata: meta,
    });
    expect(fake.state.billingMeters.get(row.meter)).toMatchObject({
      event_name: eventNameOf(body.slug),
      display_name: 'Sync Hybrid API units',
      default_aggregation: { formula: 'sum' },
      customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
      value_settings: { event_payload_key: 'value' },
      status: 'active',
    });
    expect(fake.state.prices.get(row.metered)).toMatchObject({
      product: row.product,
      currency: 'usd',
      unit_amount_decimal: '0.05',
      billing_scheme: 'per_unit',
      active: true,
      recurring: { interval: 'month', usage_type: 'metered', meter: row.meter },
      metadata: meta,
    });

    // What was sent: one product, three prices, one meter; each POST with its own Idempotency-Key.
    const made = creations(fake, since);
    expect(made.filter((r) => r.path === '/v1/products').length).toBe(1);
    expect(made.filter((r) => r.path === '/v1/prices').length).toBe(3);
    expect(made.filter((r) => r.path === '/v1/billing/meters').length).toBe(1);
    expect(new Set(made.map((r) => r.idempotencyKey)).size).toBe(made.length);
    const monthlyReq = made.find((r) => r.path === '/v1/prices' && (r.form.recurring as any)?.interval === 'month' && !(r.form.recurring as any)?.usage_type);
    expect(monthlyReq?.form).toMatchObject({ currency: 'usd', unit_amount: '2900', product: row.product, recurring: { interval: 'month' } });
    const meteredReq = made.find((r) => r.path === '/v1/prices' && (r.form.recurring as any)?.usage_type === 'metered');
    expect(meteredReq?.form).toMatchObject({
      currency: 'usd',
      unit_amount_decimal: '0.05',
      recurring: { interval: 'month', usage_type: 'metered', meter: row.meter },
    });
    const meterReq = made.find((r) => r.path === '/v1/billing/meters');
    expect(meterReq?.form).toMatchObject({ event_name: eventNameOf(body.slug), default_aggregation: { formula: 'sum' } });
    for (const r of tollgateRequests(fake, since)) expectTollgateCall(r);
  });

  it('unit_amount_decimal is overagePrice / overageBlockUnits (12 places, rounded half up); currency lower-case; no price for 0', async () => {
    const cases: Array<[number, number, string]> = [
      [2, 3, '0.666666666667'],
      [1, 3, '0.333333333333'],
      [1, 8, '0.125'],
      [7, 1, '7'],
      [25, 1000, '0.025'],
      [3, 2, '1.5'],
    ];
    for (const [price, block, want] of cases) {
      const p = await createPlanApi(server(), admin.token, {
        slug: slugOf('sync-dec'),
        name: `Decimal ${price}/${block}`,
        type: 'PAY_AS_YOU_GO',
        currency: 'EUR',
        priceMonthly: 0,
        overagePrice: price,
        overageBlockUnits: block,
        rateLimitPerMinute: 100,
      });
      const row = await waitPlanSynced(server(), p.id);
      expect(row.monthly, 'no monthly price for a plan without a base fee').toBeNull();
      expect(row.annual).toBeNull();
      const metered = fake.state.prices.get(row.metered)!;
      expect(metered, `metered price of ${price}/${block}`).toBeTruthy();
      expect(metered.unit_amount_decimal, `${price}/${block}`).toBe(want);
      expect(metered.currency).toBe('eur');
      expect(metered.recurring).toMatchObject({ usage_type: 'metered', meter: row.meter });
    }
  });

  it('a SUBSCRIPTION plan (even with an overage price) and a plan without overage get no meter and no metered price', async () => {
    for (const extra of [
      { type: 'SUBSCRIPTION', overagePrice: 50 },
      { type: 'HYBRID', overagePrice: 0 },
    ]) {
      const p = await createPlanApi(server(), admin.token, {
        slug: slugOf('sync-flat'),
        name: 'Flat',
        priceMonthly: 1200,
        priceAnnual: 12000,
        rateLimitPerMinute: 100,
        ...extra,
      });
      const row = await waitPlanSynced(server(), p.id);
      expect(row.product).toBeTruthy();
      expect(row.monthly).toBeTruthy();
      expect(row.annual).toBeTruthy();
      expect(row.metered, JSON.stringify(extra)).toBeNull();
      expect(row.meter, JSON.stringify(extra)).toBeNull();
      expect([...fake.state.billingMeters.values()].some((m) => m.event_name === eventNameOf(p.slug))).toBe(false);
    }
  });

  it('a new priceMonthly creates a new Price and archives the old one; a new overage price a new metered Price on the same meter', async () => {
    const p = await createPlanApi(server(), admin.token, {
      slug: slugOf('sync-change'),
      name: 'Changing',
      type: 'HYBRID',
      priceMonthly: 2000,
      priceAnnual: 20000,
      overagePrice: 40,
      overageBlockUnits: 1000,
      rateLimitPerMinute: 100,
    });
    const before = await waitPlanSynced(server(), p.id);
    const since = fake.requests.length;
    const c0 = counts(fake);

    await patchPlanApi(server(), admin.token, p.id, { priceMonthly: 3900 });
    const after = await waitPlanSynced(server(), p.id, before.synced_us);
    expect(after.monthly).not.toBe(before.monthly);
    expect({ ...after, monthly: 0, synced_us: 0 }).toEqual({ ...before, monthly: 0, synced_us: 0 });
    expect(fake.state.prices.get(after.monthly)).toMatchObject({
      product: before.product,
      unit_amount: 3900,
      currency: 'usd',
      active: true,
      recurring: { interval: 'month', usage_type: 'licensed' },
    });
    expect(fake.state.prices.get(before.monthly)!.active, 'the old monthly price is archived').toBe(false);
    expect(fake.state.prices.get(before.annual)!.active).toBe(true);
    expect(fake.state.prices.get(before.metered)!.active).toBe(true);
    expect(counts(fake)).toEqual({ ...c0, prices: c0.prices + 1 });
    const archive = tollgateRequests(fake, since, 'POST', `/v1/prices/${before.monthly}`);
    expect(archive.length).toBe(1);
    expect(archive[0]!.form).toEqual({ active: 'false' });
    expect(creations(fake, since).map((r) => r.path)).toEqual(['/v1/prices']);

    // The overage price: a new metered price on the existing meter; the old metered price is archived.
    const since2 = fake.requests.length;
    await patchPlanApi(server(), admin.token, p.id, { overagePrice: 30 });
    const after2 = await waitPlanSynced(server(), p.id, after.synced_us);
    expect(after2.metered).not.toBe(after.metered);
    expect(after2.meter).toBe(after.meter);
    expect(fake.state.prices.get(after2.metered)).toMatchObject({ unit_amount_decimal: '0.03', recurring: { usage_type: 'metered', meter: after.meter }, active: true });
    expect(fake.state.prices.get(after.metered)!.active).toBe(false);
    expect(creations(fake, since2).map((r) => r.path)).toEqual(['/v1/prices']);

    for (const r of tollgateRequests(fake, since)) expectTollgateCall(r);
  });

  it('a new currency replaces every Price (monthly, annual, metered) with one in that currency; the old ones are archived', async () => {
    const p = await createPlanApi(server(), admin.token, {
      slug: slugOf('sync-currency'),
      name: 'Currency',
      type: 'HYBRID',
      priceMonthly: 1000,
      priceAnnual: 10000,
      overagePrice: 20,
      rateLimitPerMinute: 100,
    });
    const before = await waitPlanSynced(server(), p.id);
    await patchPlanApi(server(), admin.token, p.id, { currency: 'GBP' });
    const after = await waitPlanSynced(server(), p.id, before.synced_us);
    expect(after.product).toBe(before.product);
    expect(after.meter).toBe(before.meter);
    for (const k of ['monthly', 'annual', 'metered']) {
      expect(after[k], k).not.toBe(before[k]);
      expect(fake.state.prices.get(after[k])!.currency, k).toBe('gbp');
      expect(fake.state.prices.get(after[k])!.active, k).toBe(true);
      expect(fake.state.prices.get(before[k])!.active, `old ${k} archived`).toBe(false);
    }
    expect(fake.state.prices.get(after.monthly)!.unit_amount).toBe(1000);
    expect(fake.state.prices.get(after.annual)!.unit_amount).toBe(10000);
    expect(fake.state.prices.get(after.metered)!.unit_amount_decimal).toBe('0.02');
  });

  it('a rename only updates the Product; archiving the plan deactivates it', async () => {
    const p = await createPlanApi(server(), admin.token, {
      slug: slugOf('sync-rename'),
      name: 'Before rename',
      type: 'HYBRID',
      priceMonthly: 1000,
      priceAnnual: 10000,
      overagePrice: 10,
      rateLimitPerMinute: 100,
    });
    const before = await waitPlanSynced(server(), p.id);
    const since = fake.requests.length;
    const c0 = counts(fake);
    await patchPlanApi(server(), admin.token, p.id, { name: 'After rename', description: 'Renamed' });
    const after = await waitPlanSynced(server(), p.id, before.synced_us);
    expect({ ...after, synced_us: 0 }).toEqual({ ...before, synced_us: 0 });
    expect(fake.state.products.get(before.product)).toMatchObject({ name: 'After rename', description: 'Renamed', active: true });
    expect(counts(fake)).toEqual(c0);
    expect(creations(fake, since)).toEqual([]);
    const updates = tollgateRequests(fake, since, 'POST', `/v1/products/${before.product}`);
    expect(updates.length).toBe(1);
    expect(updates[0]!.form).toMatchObject({ name: 'After rename', description: 'Renamed', active: 'true' });
    // No price was archived either.
    expect(tollgateRequests(fake, since, 'POST').filter((r) => r.path.startsWith('/v1/prices/'))).toEqual([]);
    for (const id of [before.monthly, before.annual, before.metered]) expect(fake.state.prices.get(id)!.active).toBe(true);

    await patchPlanApi(server(), admin.token, p.id, { status: 'archived' });
    await until('the product deactivated', () => (fake.state.products.get(before.product)!.active === false ? true : undefined));
  });

  it('running the job again (the same values saved twice, or the job queued again) creates nothing twice', async () => {
    const p = await createPlanApi(server(), admin.token, {
      slug: slugOf('sync-twice'),
      name: 'Twice',
      type: 'HYBRID',
      priceMonthly: 1500,
      priceAnnual: 15000,
      overagePrice: 20,
      overageBlockUnits: 500,
      rateLimitPerMinute: 100,
    });
    const first = await waitPlanSynced(server(), p.id);
    const c0 = counts(fake);
    const since = fake.requests.length;

    // The same values saved again: a new job runs, finds everything in place.
    await patchPlanApi(server(), admin.token, p.id, { name: 'Twice', priceMonthly: 1500 });
    const second = await waitPlanSynced(server(), p.id, first.synced_us);
    await patchPlanApi(server(), admin.token, p.id, { name: 'Twice' });
    const third = await waitPlanSynced(server(), p.id, second.synced_us);

    // And the job queued once more by hand, as a retry after a crash would.
    await dbQuery(server(), `INSERT INTO jobs (kind, payload) VALUES ('stripe.sync_plan', jsonb_build_object('planId', $1::text))`, [p.id]);
    const fourth = await waitPlanSynced(server(), p.id, third.synced_us);

    for (const r of [second, third, fourth]) expect({ ...r, synced_us: 0 }).toEqual({ ...first, synced_us: 0 });
    expect(counts(fake)).toEqual(c0);
    expect(creations(fake, since)).toEqual([]);
    expect(tollgateRequests(fake, since, 'POST').filter((r) => r.path.startsWith('/v1/prices/'))).toEqual([]);
    // Product updates are keyed by the job (a retry of one job repeats its key; each new job is a new intent, so
    // A → B → A applies A again).
    const updates = tollgateRequests(fake, since, 'POST', `/v1/products/${first.product}`);
    expect(updates.length).toBe(3);
    expect(new Set(updates.map((r) => r.idempotencyKey)).size).toBe(3);
    for (const u of updates) expect(u.idempotencyKey).toMatch(new RegExp(`^tollgate-product-${first.product}-job-\\d+$`));
    for (const r of tollgateRequests(fake, since)) expectTollgateCall(r);
    for (const id of [first.monthly, first.annual, first.metered]) expect(fake.state.prices.get(id)!.active).toBe(true);
  });

  it('a name changed back to an earlier one reaches the Product again (A → B → A ends as A in Stripe)', async () => {
    const p = await createPlanApi(server(), admin.token, {
      slug: slugOf('sync-aba'),
      name: 'Alpha',
      type: 'HYBRID',
      priceMonthly: 1100,
      overagePrice: 10,
      rateLimitPerMinute: 100,
    });
    let row = await waitPlanSynced(server(), p.id);
    // A change that leaves the product as it is (the product is updated with the same content).
    await patchPlanApi(server(), admin.token, p.id, { priceMonthly: 1200 });
    row = await waitPlanSynced(server(), p.id, row.synced_us);
    expect(fake.state.products.get(row.product)!.name).toBe('Alpha');
    await patchPlanApi(server(), admin.token, p.id, { name: 'Beta' });
    row = await waitPlanSynced(server(), p.id, row.synced_us);
    expect(fake.state.products.get(row.product)!.name).toBe('Beta');
    await patchPlanApi(server(), admin.token, p.id, { name: 'Alpha' });
    row = await waitPlanSynced(server(), p.id, row.synced_us);
    expect((await adminPlan(server(), admin.token, p.id)).name).toBe('Alpha');
    expect(fake.state.products.get(row.product)!.name, 'the Product in Stripe follows the catalog back to "Alpha"').toBe('Alpha');
  });

  it('an option removed (no annual price, no overage price) retires its Stripe Price: archived, no longer on the plan or in Checkout', async () => {
    const p = await createPlanApi(server(), admin.token, {
      slug: slugOf('sync-retire'),
      name: 'Retiring',
      type: 'HYBRID',
      priceMonthly: 2500,
      priceAnnual: 25000,
      includedUnits: 1000,
      overagePrice: 30,
      rateLimitPerMinute: 100,
    });
    const before = await waitPlanSynced(server(), p.id);
    await patchPlanApi(server(), admin.token, p.id, { priceAnnual: null, overagePrice: 0 });
    const after = await waitPlanSynced(server(), p.id, before.synced_us);
    expect(after.monthly).toBe(before.monthly);
    expect(fake.state.prices.get(before.monthly)!.active).toBe(true);

    // What a customer subscribing now would be charged: the base fee only.
    const t = await newTenant(server(), 'retire-checkout');
    await customerOf(server(), t.orgId);
    const since = fake.requests.length;
    const r = await api(server(), 'post', '/api/user/subscription/checkout', { token: t.token, body: { plan: p.slug, interval: 'month' } });
    expect(r.status, r.text).toBe(200);
    const sessionReq = tollgateRequests(fake, since, 'POST', '/v1/checkout/sessions')[0]!;
    const prices = ((sessionReq.form.line_items as any[]) ?? []).map((li) => li.price);
    expect.soft(prices, 'Checkout offers the plan without overage at its base price only').toEqual([before.monthly]);

    const plan = await adminPlan(server(), admin.token, p.id);
    expect.soft(plan.stripe.priceAnnualId, 'the plan has no annual price any more').toBeNull();
    expect.soft(plan.stripe.priceMeteredId, 'the plan has no metered price any more').toBeNull();
    expect.soft(fake.state.prices.get(before.annual)!.active, 'the annual price is archived').toBe(false);
    expect.soft(fake.state.prices.get(before.metered)!.active, 'the metered price is archived').toBe(false);
  });

  it('every request Tollgate sent pinned Stripe-Version; every POST carried an Idempotency-Key', async () => {
    const all = tollgateRequests(fake);
    expect(all.length).toBeGreaterThan(10);
    for (const r of all) expectTollgateCall(r);
  });
});

describe('STRIPE_SYNC_PLANS_ON_START=true', () => {
  let fake: FakeStripe;
  let a: TollgateServer | undefined;
  let b: TollgateServer | undefined;
  printLogsOnFailure();

  const env = (extra: Record<string, string> = {}) =>
    stripeEnv(fake, { STRIPE_SYNC_PLANS_ON_START: 'true', BILLING_JOB_INTERVAL_SECONDS: '1', ...extra });

  beforeAll(async () => {
    fake = await startFakeStripe();
    a = await startServer(env());
  });
  afterAll(async () => {
    await b?.stop('SIGTERM');
    await a?.stop('SIGTERM');
    await fake?.close();
  });

  const SEEDED: Record<string, { monthly: number; annual: number; decimal: string | null }> = {
    free: { monthly: 0, annual: 0, decimal: null },
    starter: { monthly: 1900, annual: 19000, decimal: '0.05' },
    pro: { monthly: 9900, annual: 99000, decimal: '0.04' },
    business: { monthly: 49900, annual: 499000, decimal: '0.025' },
  };

  async function seededRows(s: TollgateServer): Promise<Record<string, any>> {
    const r = await dbQuery(
      s,
      `SELECT slug, id::text AS id, stripe_product_id AS product, stripe_price_monthly_id AS monthly,
              stripe_price_annual_id AS annual, stripe_price_metered_id AS metered, stripe_meter_id AS meter,
              stripe_synced_at IS NOT NULL AS synced
         FROM plans WHERE slug = ANY($1)`,
      [Object.keys(SEEDED)],
    );
    return Object.fromEntries(r.rows.map((x) => [x.slug, x]));
  }

  it('the seeded plans are synced at start: Free gets a product, the paid ones prices, meters and metered prices', async () => {
    const rows = await until(
      'the seeded plans synced',
      async () => {
        const r = await seededRows(a!);
        return Object.keys(SEEDED).every((k) => r[k]?.synced) ? r : undefined;
      },
      40_000,
    );
    for (const [slug, want] of Object.entries(SEEDED)) {
      const row = rows[slug];
      const product = fake.state.products.get(row.product);
      expect(product, `${slug} product`).toBeTruthy();
      expect(product!.metadata).toEqual({ plan_id: row.id, plan: slug });
      expect(product!.active).toBe(true);
      if (want.decimal === null) {
        expect(row.monthly, `${slug} has no monthly price`).toBeNull();
        expect(row.annual).toBeNull();
        expect(row.metered).toBeNull();
        expect(row.meter).toBeNull();
        continue;
      }
      expect(fake.state.prices.get(row.monthly)).toMatchObject({ product: row.product, unit_amount: want.monthly, currency: 'usd', recurring: { interval: 'month' } });
      expect(fake.state.prices.get(row.annual)).toMatchObject({ product: row.product, unit_amount: want.annual, currency: 'usd', recurring: { interval: 'year' } });
      expect(fake.state.billingMeters.get(row.meter)).toMatchObject({ event_name: `tollgate_units_${slug}`, default_aggregation: { formula: 'sum' } });
      expect(fake.state.prices.get(row.metered)).toMatchObject({
        product: row.product,
        unit_amount_decimal: want.decimal,
        recurring: { interval: 'month', usage_type: 'metered', meter: row.meter },
      });
    }
    // The admin API shows the same ids.
    const admin = await adminSignIn(a!, 'start-admin');
    const plans = await adminPlans(a!, admin.token);
    for (const slug of Object.keys(SEEDED)) {
      const p = plans.find((x) => x.slug === slug);
      expect(p.stripe).toMatchObject({
        productId: rows[slug].product,
        priceMonthlyId: rows[slug].monthly,
        priceAnnualId: rows[slug].annual,
        priceMeteredId: rows[slug].metered,
        meterId: rows[slug].meter,
      });
      expect(p.stripe.syncedAt).not.toBeNull();
    }
    expect(counts(fake)).toEqual({ products: 4, prices: 9, meters: 3 });
    for (const r of tollgateRequests(fake)) expectTollgateCall(r);
  });

  it('a restart syncs nothing twice; a plan found unsynced at start is synced again without creating objects', async () => {
    const admin = await adminSignIn(a!, 'restart-admin');
    const p = await createPlanApi(a!, admin.token, {
      slug: slugOf('restart'),
      name: 'Restart',
      type: 'HYBRID',
      priceMonthly: 700,
      priceAnnual: 7000,
      overagePrice: 15,
      rateLimitPerMinute: 100,
    });
    const synced = await waitPlanSynced(a!, p.id);
    const seeded = await seededRows(a!);
    const c0 = counts(fake);
    // As if the sync's bookkeeping had been lost: the plan counts as never synced (its Stripe ids are kept).
    await dbQuery(a!, 'UPDATE plans SET stripe_synced_at = NULL WHERE id = $1', [p.id]);

    // Stop the process but keep its database; start another on it.
    a!.proc.kill('SIGTERM');
    await a!.exited;
    const since = fake.requests.length;
    b = await startServer(env({ DATABASE_URL: a!.env.DATABASE_URL!, JWT_SECRET: a!.env.JWT_SECRET! }));

    const again = await until('the plan synced again after the restart', async () => {
      const row = await planStripeRow(b!, p.id);
      return row.synced_us !== null ? row : undefined;
    }, 30_000);
    expect({ ...again, synced_us: 0 }).toEqual({ ...synced, synced_us: 0 });
    await meterRoundsPass(b!, 2);
    expect(counts(fake)).toEqual(c0);
    expect(creations(fake, since)).toEqual([]);
    expect(await seededRows(b!)).toEqual(seeded);
    // Only the unsynced plan was queued at this start.
    const jobs = await dbQuery(b!, `SELECT idempotency_key, status FROM jobs WHERE kind = 'stripe.sync_plan' AND idempotency_key LIKE '%:initial'`);
    const initial = jobs.rows.map((x) => x.idempotency_key as string);
    expect(initial).toContain(`stripe.sync_plan:${p.id}:initial`);
    expect(initial.length).toBe(5);
    for (const r of tollgateRequests(fake, since)) expectTollgateCall(r);
  });
});
