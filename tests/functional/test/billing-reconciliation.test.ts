/**
 * Reconciliation of a month of usage: the same 720 hourly rollups (seeded PRNG) are billed
 *  - in local mode by the period-end renewal: billing_records.overage_units = the units beyond the included ones,
 *    and the overage line = (units × price + block / 2) / block;
 *  - in Stripe mode by the meter reporter: the meter events sum to exactly the same number of units.
 * Rollups outside the period (the hour before it, the hour at its end) count in neither.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import type { TollgateServer } from '../harness/server.js';
import { startFakeStripe, type FakeStripe } from '../harness/fake-stripe.js';
import { api, dbQuery } from './auth-helpers.js';
import {
  A,
  ADD_ROLLUPS_SQL,
  HOUR,
  adminSignIn,
  checkoutStripe,
  createPlanApi,
  fill,
  floorHour,
  hourTag,
  inTransaction,
  keyIdOf,
  localEnv,
  meterEventsOf,
  meterReports,
  newTenant,
  okJson,
  overageAmount,
  overageByHour,
  prng,
  rollupParams,
  slugOf,
  stripeApi,
  stripeEnv,
  subscribeLocal,
  sum,
  until,
  waitPlanSynced,
  type HourUnits,
} from './billing-admin-helpers.js';

const SEED = 0x7011_6a7e;
const HOURS = 720;
const PLAN = {
  type: 'HYBRID',
  priceMonthly: 4900,
  includedUnits: 300_000,
  overagePrice: 37,
  overageBlockUnits: 1000,
  quotaPolicy: 'allow_overage',
  rateLimitPerMinute: 1000,
};

/** A month of hourly usage from `start`: most hours busy, some idle, a few spikes, some hours on two endpoints. */
function month(start: number, seed = SEED): HourUnits[] {
  const r = prng(seed);
  const rows: HourUnits[] = [];
  for (let i = 0; i < HOURS; i++) {
    const h = start + i * HOUR;
    if (r() < 0.08) continue; // idle hour: no rollup at all
    let units = Math.floor(r() * 1600);
    if (r() < 0.02) units += Math.floor(r() * 25_000);
    rows.push({ h, units, endpoint: '/v1/search' });
    if (r() < 0.25) rows.push({ h, units: Math.floor(r() * 300), endpoint: '/v1/items' });
  }
  return rows;
}

/** The rows just outside the period [start, end): neither bills them. */
function outside(start: number, end: number): HourUnits[] {
  return [
    { h: start - HOUR, units: 99_999, endpoint: '/v1/search' },
    { h: end, units: 77_777, endpoint: '/v1/search' },
  ];
}

/** What both billing paths must agree on, computed here from the rollups. */
function expected(rows: HourUnits[]) {
  const used = sum(rows.map((r) => r.units));
  const over = Math.max(used - PLAN.includedUnits, 0);
  return { used, over, amount: overageAmount(over, PLAN.overagePrice, PLAN.overageBlockUnits) };
}

/** Both describes record what they measured, so the last one can compare them. */
const measured: { local?: number; stripe?: number } = {};

describe(`reconciliation (seed ${SEED}): local invoice`, () => {
  const server = useServer(localEnv({ BILLING_JOB_INTERVAL_SECONDS: '1' }));
  printLogsOnFailure();

  it('the renewal invoice bills exactly the units beyond the included ones, rounded half up once', async () => {
    const admin = await adminSignIn(server(), 'recon-local-admin');
    const plan = await createPlanApi(server(), admin.token, { slug: slugOf('recon-local'), name: 'Reconciled', ...PLAN });
    const t = await newTenant(server(), 'recon-local');
    const keyId = await keyIdOf(server(), t);
    await subscribeLocal(server(), t, plan.slug);

    const end = floorHour(Date.now());
    const start = end - HOURS * HOUR;
    const rows = month(start);
    const want = expected(rows);
    expect(want.over, 'the generated month goes beyond the included units').toBeGreaterThan(0);
    expect(want.used - want.over).toBe(PLAN.includedUnits);

    // The usage and the due period in one transaction: the renewal sees all of it or none.
    await inTransaction(server(), async (c) => {
      await c.query(ADD_ROLLUPS_SQL, rollupParams(t.orgId, keyId, [...rows, ...outside(start, end)]));
      const r = await c.query(
        `UPDATE subscriptions SET current_period_start = to_timestamp($2::bigint / 1000.0), current_period_end = to_timestamp($3::bigint / 1000.0)
          WHERE organization_id = $1 AND status = 'active' AND source = 'local'`,
        [t.orgId, start, end],
      );
      expect(r.rowCount).toBe(1);
    });

    const rec = await until(
      'the local invoice of the period',
      async () => {
        const r = await dbQuery(
          server(),
          `SELECT id::text AS id, status, source, usage_units::bigint::text AS used, overage_units::bigint::text AS over,
                  included_units::bigint::text AS included, subtotal_minor::bigint::text AS subtotal, total_minor::bigint::text AS total,
                  amount_due_minor::bigint::text AS due, period_start, period_end
             FROM billing_records WHERE organization_id = $1`,
          [t.orgId],
        );
        return r.rows.length > 0 ? r.rows : undefined;
      },
      20_000,
    );
    expect(rec.length).toBe(1);
    const inv = rec[0];
    expect(inv).toMatchObject({ status: 'open', source: 'local' });
    expect(Number(inv.used)).toBe(want.used);
    expect(Number(inv.over)).toBe(want.over);
    expect(Number(inv.included)).toBe(PLAN.includedUnits);
    expect(Number(inv.total)).toBe(PLAN.priceMonthly + want.amount);
    expect(Number(inv.subtotal)).toBe(PLAN.priceMonthly + want.amount);
    expect(Number(inv.due)).toBe(PLAN.priceMonthly + want.amount);
    expect(inv.period_start.getTime()).toBe(start);
    expect(inv.period_end.getTime()).toBe(end);

    // The subscription rolled on to the next period.
    const sub = await dbQuery(server(), `SELECT current_period_start FROM subscriptions WHERE organization_id = $1 AND status = 'active'`, [t.orgId]);
    expect(sub.rows[0].current_period_start.getTime()).toBe(end);
    measured.local = Number(inv.over);

    // The invoice's lines as stored.
    const lines = await dbQuery(
      server(),
      `SELECT kind, quantity::bigint::text AS quantity, unit_price_minor::bigint::text AS unit, units_per_price::bigint::text AS per,
              amount_minor::bigint::text AS amount FROM invoice_lines WHERE billing_record_id = $1 ORDER BY position`,
      [inv.id],
    );
    expect(lines.rows).toEqual([
      { kind: 'base_fee', quantity: '1', unit: String(PLAN.priceMonthly), per: '1', amount: String(PLAN.priceMonthly) },
      { kind: 'included_units', quantity: String(PLAN.includedUnits), unit: null, per: '1', amount: '0' },
      { kind: 'overage', quantity: String(want.over), unit: String(PLAN.overagePrice), per: String(PLAN.overageBlockUnits), amount: String(want.amount) },
    ]);

    // The same through the API (GET /api/user/billing/invoices/{id}), with its lines.
    const detail = okJson(await api(server(), 'get', fill(A.invoice, inv.id), { token: t.token }), 'get', A.invoice, 200);
    expect(detail).toMatchObject({ usageUnits: want.used, overageUnits: want.over, includedUnits: PLAN.includedUnits, total: PLAN.priceMonthly + want.amount });
    const byKind = Object.fromEntries(detail.lines.map((l: any) => [l.kind, l]));
    expect(byKind.base_fee).toMatchObject({ quantity: 1, unitPrice: PLAN.priceMonthly, amount: PLAN.priceMonthly });
    expect(byKind.included_units).toMatchObject({ quantity: PLAN.includedUnits, amount: 0 });
    expect(byKind.overage).toMatchObject({
      quantity: want.over,
      unitPrice: PLAN.overagePrice,
      unitsPerPrice: PLAN.overageBlockUnits,
      amount: want.amount,
    });
    expect(sum(detail.lines.map((l: any) => l.amount))).toBe(detail.total);
    expect(Date.parse(detail.periodStart)).toBe(start);
    expect(Date.parse(detail.periodEnd)).toBe(end);
  }, 120_000);
});

describe(`reconciliation (seed ${SEED}): Stripe meter events`, () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => stripeEnv(fake, { BILLING_JOB_INTERVAL_SECONDS: '1' }));
  printLogsOnFailure();

  async function ledgerTotals(s: TollgateServer, orgId: string): Promise<{ n: number; pending: number; units: number }> {
    const r = await dbQuery(
      s,
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE status <> 'sent')::int AS pending, COALESCE(sum(units), 0)::bigint::text AS units
         FROM usage_meter_reports WHERE organization_id = $1`,
      [orgId],
    );
    return { n: r.rows[0].n, pending: r.rows[0].pending, units: Number(r.rows[0].units) };
  }

  it('the meter events of the month sum to exactly the overage units of the local invoice', async () => {
    fake.webhookUrl = server().baseUrl + '/api/stripe/webhook';
    const admin = await adminSignIn(server(), 'recon-stripe-admin');
    const plan = await createPlanApi(server(), admin.token, { slug: slugOf('recon-stripe'), name: 'Reconciled', ...PLAN });
    const synced = await waitPlanSynced(server(), plan.id);
    const eventName = `tollgate_units_${plan.slug.replace(/-/g, '_')}`;
    const t = await newTenant(server(), 'recon-stripe');
    const keyId = await keyIdOf(server(), t);
    const { subId, customer } = await checkoutStripe(server(), fake, t, plan.slug);

    const end = floorHour(Date.now());
    const start = end - HOURS * HOUR;
    const rows = month(start);
    const want = expected(rows);
    const perHour = overageByHour(rows, PLAN.includedUnits);
    expect(sum(perHour.values())).toBe(want.over);

    // The period began a month ago, in Stripe and in Tollgate's mirror. The reporter's cursor is reset with it:
    // it rescans only 48 h before its cursor, and no real period starts in the past.
    const sub = fake.state.subscriptions.get(subId)!;
    sub.current_period_start = start / 1000;
    for (const item of sub.items.data) item.current_period_start = start / 1000;
    await inTransaction(server(), async (c) => {
      await c.query(ADD_ROLLUPS_SQL, rollupParams(t.orgId, keyId, [...rows, outside(start, end)[0]!]));
      const r = await c.query(`UPDATE subscriptions SET current_period_start = to_timestamp($2::bigint / 1000.0) WHERE stripe_subscription_id = $1`, [subId, start]);
      expect(r.rowCount).toBe(1);
      await c.query(`DELETE FROM billing_cursors WHERE name = 'stripe.meter_events'`);
    });

    await until(
      'every hour with overage reported',
      async () => {
        const l = await ledgerTotals(server(), t.orgId);
        return l.n === perHour.size && l.pending === 0 ? l : undefined;
      },
      150_000,
    );
    const ledger = await meterReports(server(), t.orgId);
    expect(ledger.map((r) => [r.h, r.units, r.identifier])).toEqual(
      [...perHour.entries()].map(([h, u]) => [h, u, `tg-${t.orgId}-${hourTag(h)}-0`]),
    );
    expect(sum(ledger.map((r) => r.units))).toBe(want.over);

    // Stripe's side: the stored events and the meter's summary over the period.
    const events = meterEventsOf(fake, customer, eventName);
    expect(events.size).toBe(perHour.size);
    expect(sum([...events.values()].map((e) => Number(e.payload.value)))).toBe(want.over);
    expect(fake.meterTotal(customer, eventName)).toBe(want.over);
    const summary = await stripeApi(fake, 'GET', `/v1/billing/meters/${synced.meter}/event_summaries`, {
      customer,
      start_time: start / 1000,
      end_time: end / 1000,
    });
    expect(summary.data[0].aggregated_value).toBe(want.over);
    // At the metered price (per unit = 37 / 1000), Stripe would bill what the local invoice bills.
    expect(Math.round((want.over * PLAN.overagePrice) / PLAN.overageBlockUnits)).toBe(want.amount);

    measured.stripe = want.over;
    if (measured.local !== undefined) expect(measured.stripe).toBe(measured.local);
  }, 200_000);
});
