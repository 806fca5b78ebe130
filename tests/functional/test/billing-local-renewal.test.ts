/**
 * Local billing mode, period end (BILLING_JOB_INTERVAL_SECONDS=1): a local subscription whose period ended gets
 * exactly one invoice `TG-YYYYMM-NNNNNN` — base fee + overage from the hourly usage rollups of the period, priced
 * per block and rounded half up once: (overage_units × price + block / 2) / block — and the period rolls forward;
 * cancel_at_period_end ends it instead; a zero total gets no invoice; comped (manual) subscriptions roll without
 * one; two instances sharing the database bill each period once.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import type { TollgateServer } from '../harness/server.js';
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
  subscriptionOf,
  until,
  type TestPlan,
} from './billing-helpers.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('local period-end invoices and renewals', () => {
  const server = useServer(localEnv({ BILLING_JOB_INTERVAL_SECONDS: '1' }));
  // A second instance on the same database: the renewal work is shared, never done twice.
  const second = useServer(() => localEnv({ BILLING_JOB_INTERVAL_SECONDS: '1', DATABASE_URL: server().env.DATABASE_URL, JWT_SECRET: server().env.JWT_SECRET }));
  printLogsOnFailure();

  let metered: TestPlan;
  let capped: TestPlan;
  let zero: TestPlan;
  let yearly: TestPlan;
  beforeAll(async () => {
    metered = await insertPlan(server(), { name: 'Renew Metered', type: 'HYBRID', priceMonthly: 2900, includedUnits: 1000, overagePrice: 3, overageBlock: 1000, policy: 'allow_overage' });
    capped = await insertPlan(server(), { name: 'Renew Capped', type: 'SUBSCRIPTION', priceMonthly: 900, includedUnits: 1000, policy: 'hard_cap' });
    zero = await insertPlan(server(), { name: 'Renew Zero', type: 'SUBSCRIPTION', priceMonthly: 0, priceAnnual: 0, includedUnits: 500, policy: 'hard_cap' });
    yearly = await insertPlan(server(), { name: 'Renew Yearly', type: 'HYBRID', priceMonthly: 1000, priceAnnual: 9900, includedUnits: 100, overagePrice: 10, overageBlock: 100, policy: 'allow_overage' });
  });

  const records = async (orgId: string) =>
    (await dbQuery(server(), 'SELECT * FROM billing_records WHERE organization_id = $1 ORDER BY period_start', [orgId])).rows;
  const linesOf = async (recordId: string) =>
    (
      await dbQuery(
        server(),
        `SELECT position, kind, description, quantity::int AS quantity, unit_price_minor::int AS unit, units_per_price::int AS per,
                amount_minor::int AS amount, currency, period_start, period_end
           FROM invoice_lines WHERE billing_record_id = $1 ORDER BY position`,
        [recordId],
      )
    ).rows;
  const subRow = async (id: string) => (await dbQuery(server(), 'SELECT * FROM subscriptions WHERE id = $1', [id])).rows[0];
  const waitRecords = (orgId: string, n: number) =>
    until(`${n} invoice(s) for ${orgId}`, async () => {
      const r = await records(orgId);
      return r.length >= n ? r : undefined;
    });
  const waitRolled = (subId: string, from: Date) =>
    until('the period rolled or ended', async () => {
      const s = await subRow(subId);
      return s.current_period_start.getTime() !== from.getTime() || s.status !== 'active' ? s : undefined;
    });
  const yyyymm = (d: Date) => `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  /** d + n months as PostgreSQL (and so the renewal job) computes it (clamped to the month's last day). */
  const plusMonths = async (d: Date, n: number): Promise<Date> =>
    (await dbQuery(server(), 'SELECT $1::timestamptz + make_interval(months => $2::int) AS t', [d.toISOString(), n])).rows[0].t;

  /** Proves the renewal job ran again after now: a sentinel subscription made due gets billed. */
  async function anotherTick(s: TollgateServer = server()): Promise<void> {
    const t = await newTenant(s, 'renew-sentinel');
    await localSubscription(s, t.orgId, capped.id, { start: "now() - interval '1 month'", end: 'now()' });
    await waitRecords(t.orgId, 1);
  }

  it('one invoice TG-YYYYMM-NNNNNN: base fee + half-up overage from the period\'s rollups; the period rolls forward', async () => {
    const t = await newTenant(server(), 'renew');
    const keyId = await keyIdOf(server(), t);
    const end = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000);
    const start = await plusMonths(end, -1);
    // Usage inside the period (2,500 units), before it and after it (not billed).
    await addUsage(server(), t.orgId, keyId, new Date(start.getTime() + HOUR), 1000);
    await addUsage(server(), t.orgId, keyId, new Date(start.getTime() + 5 * DAY), 1200);
    await addUsage(server(), t.orgId, keyId, new Date(end.getTime() - 2 * HOUR), 300);
    await addUsage(server(), t.orgId, keyId, new Date(start.getTime() - 3 * HOUR), 700);
    await addUsage(server(), t.orgId, keyId, new Date(end.getTime() + HOUR), 900);
    const sub = await localSubscription(server(), t.orgId, metered.id, { start: `'${start.toISOString()}'::timestamptz`, end: `'${end.toISOString()}'::timestamptz` });

    const [rec] = await waitRecords(t.orgId, 1);
    const over = 2500 - 1000;
    const overAmount = overageAmount(over, 3, 1000);
    expect(overAmount).toBe(5); // 4.5 rounds up
    const total = 2900 + overAmount;
    expect(rec.number).toMatch(new RegExp(`^TG-${yyyymm(start)}-\\d{6}$`));
    expect(rec).toMatchObject({
      organization_id: t.orgId,
      subscription_id: sub.id,
      plan_id: metered.id,
      source: 'local',
      status: 'open',
      currency: 'USD',
      subtotal_minor: String(total),
      total_minor: String(total),
      amount_due_minor: String(total),
      amount_paid_minor: '0',
      tax_minor: '0',
      discount_minor: '0',
      included_units: '1000',
      usage_units: '2500',
      overage_units: String(over),
      stripe_invoice_id: null,
      paid_at: null,
    });
    expect(rec.period_start.getTime()).toBe(start.getTime());
    expect(rec.period_end.getTime()).toBe(end.getTime());
    expect(Math.abs(rec.issued_at.getTime() - Date.now())).toBeLessThan(60_000);
    expect(rec.due_at.getTime() - rec.issued_at.getTime()).toBe(14 * DAY);
    const lines = await linesOf(rec.id);
    expect(lines.map(({ period_start: ps, period_end: pe, ...l }) => ({ ...l, ps: ps.getTime(), pe: pe.getTime() }))).toEqual([
      { position: 0, kind: 'base_fee', description: 'Renew Metered plan', quantity: 1, unit: 2900, per: 1, amount: 2900, currency: 'USD', ps: start.getTime(), pe: end.getTime() },
      { position: 1, kind: 'included_units', description: 'Included units', quantity: 1000, unit: null, per: 1, amount: 0, currency: 'USD', ps: start.getTime(), pe: end.getTime() },
      { position: 2, kind: 'overage', description: 'Units beyond the included ones', quantity: over, unit: 3, per: 1000, amount: overAmount, currency: 'USD', ps: start.getTime(), pe: end.getTime() },
    ]);

    // The period rolled forward by a month; the subscription stays active.
    const rolled = await subRow(sub.id);
    expect(rolled.status).toBe('active');
    expect(rolled.current_period_start.getTime()).toBe(end.getTime());
    expect(rolled.current_period_end.getTime()).toBe((await plusMonths(end, 1)).getTime());
    const body = await subscriptionOf(server(), t.token);
    expect(body).toMatchObject({ source: 'local', status: 'active', currentPeriodStart: isoSeconds(end), currentPeriodEnd: isoSeconds(await plusMonths(end, 1)) });

    // The job runs on (on both instances): still exactly one invoice for the period.
    await anotherTick();
    await anotherTick(second());
    expect(await records(t.orgId)).toHaveLength(1);

    // The API lists it (contract-valid), and shows its lines.
    const page = ok(await api(server(), 'get', B.invoices, { token: t.token }), 'get', B.invoices);
    expect(page).toEqual({
      invoices: [
        {
          id: rec.id,
          number: rec.number,
          status: 'open',
          source: 'local',
          currency: 'USD',
          periodStart: isoSeconds(start),
          periodEnd: isoSeconds(end),
          total,
          amountDue: total,
          amountPaid: 0,
          hostedInvoiceUrl: null,
          invoicePdfUrl: null,
          issuedAt: isoSeconds(rec.issued_at),
          dueAt: isoSeconds(rec.due_at),
          paidAt: null,
          createdAt: isoSeconds(rec.created_at),
        },
      ],
      nextCursor: null,
    });
    const detail = ok(await api(server(), 'get', fill(B.invoice, rec.id), { token: t.token }), 'get', B.invoice);
    expect(detail).toMatchObject({ id: rec.id, subtotal: total, includedUnits: 1000, usageUnits: 2500, overageUnits: over });
    expect(detail.lines).toEqual([
      { kind: 'base_fee', description: 'Renew Metered plan', quantity: 1, unitPrice: 2900, unitsPerPrice: 1, amount: 2900, proration: false },
      { kind: 'included_units', description: 'Included units', quantity: 1000, unitPrice: null, unitsPerPrice: 1, amount: 0, proration: false },
      { kind: 'overage', description: 'Units beyond the included ones', quantity: over, unitPrice: 3, unitsPerPrice: 1000, amount: overAmount, proration: false },
    ]);
  });

  it('overage rounding: half up once per invoice (1,499 units → 4.497 → 4; 1,834 → 5.502 → 6)', async () => {
    for (const [units, expected] of [
      [1499, 4],
      [1834, 6],
    ] as const) {
      const t = await newTenant(server(), 'renew-round');
      const keyId = await keyIdOf(server(), t);
      const end = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000);
      const start = await plusMonths(end, -1);
      await addUsage(server(), t.orgId, keyId, new Date(start.getTime() + DAY), 1000 + units);
      await localSubscription(server(), t.orgId, metered.id, { start: `'${start.toISOString()}'::timestamptz`, end: `'${end.toISOString()}'::timestamptz` });
      const [rec] = await waitRecords(t.orgId, 1);
      expect(overageAmount(units, 3, 1000)).toBe(expected);
      expect(rec).toMatchObject({ overage_units: String(units), total_minor: String(2900 + expected) });
      expect((await linesOf(rec.id)).find((l) => l.kind === 'overage')).toMatchObject({ quantity: units, amount: expected });
    }
  });

  it('cancel_at_period_end: the last period is invoiced and the subscription ends (implicit Free afterwards)', async () => {
    const t = await newTenant(server(), 'renew-cancel');
    const end = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000);
    const start = await plusMonths(end, -1);
    const sub = await localSubscription(server(), t.orgId, capped.id, {
      start: `'${start.toISOString()}'::timestamptz`,
      end: `'${end.toISOString()}'::timestamptz`,
      cancelAtPeriodEnd: true,
    });
    const [rec] = await waitRecords(t.orgId, 1);
    expect(rec).toMatchObject({ total_minor: '900', usage_units: '0', overage_units: '0', status: 'open' });
    expect((await linesOf(rec.id)).map((l) => l.kind)).toEqual(['base_fee', 'included_units']);
    const ended = await waitRolled(sub.id, start);
    expect(ended.status).toBe('canceled');
    expect(ended.ended_at.getTime()).toBe(end.getTime());
    expect(ended.current_period_start.getTime()).toBe(start.getTime());
    const body = await subscriptionOf(server(), t.token);
    expect(body).toMatchObject({ implicit: true, source: 'local' });
    expect(body.plan.slug).toBe('free');
    await anotherTick();
    expect(await records(t.orgId)).toHaveLength(1);
  });

  it('a zero-total plan gets no invoice; its period rolls forward', async () => {
    const t = await newTenant(server(), 'renew-zero');
    const keyId = await keyIdOf(server(), t);
    const end = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000);
    const start = await plusMonths(end, -1);
    await addUsage(server(), t.orgId, keyId, new Date(start.getTime() + DAY), 400);
    const sub = await localSubscription(server(), t.orgId, zero.id, { start: `'${start.toISOString()}'::timestamptz`, end: `'${end.toISOString()}'::timestamptz` });
    const rolled = await waitRolled(sub.id, start);
    expect(rolled.status).toBe('active');
    expect(rolled.current_period_start.getTime()).toBe(end.getTime());
    expect(rolled.current_period_end.getTime()).toBe((await plusMonths(end, 1)).getTime());
    await anotherTick();
    expect(await records(t.orgId)).toHaveLength(0);
  });

  it('a hard-capped plan bills no overage even when its usage went past the included units', async () => {
    const t = await newTenant(server(), 'renew-cap');
    const keyId = await keyIdOf(server(), t);
    const end = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000);
    const start = await plusMonths(end, -1);
    await addUsage(server(), t.orgId, keyId, new Date(start.getTime() + DAY), 1800);
    await localSubscription(server(), t.orgId, capped.id, { start: `'${start.toISOString()}'::timestamptz`, end: `'${end.toISOString()}'::timestamptz` });
    const [rec] = await waitRecords(t.orgId, 1);
    expect(rec).toMatchObject({ total_minor: '900', usage_units: '1800', overage_units: '0', included_units: '1000' });
    expect((await linesOf(rec.id)).map((l) => [l.kind, l.quantity, l.amount])).toEqual([
      ['base_fee', 1, 900],
      ['included_units', 1000, 0],
    ]);
  });

  it('a comped (manual) subscription rolls without an invoice', async () => {
    const t = await newTenant(server(), 'renew-manual');
    const end = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000);
    const start = await plusMonths(end, -1);
    const sub = await localSubscription(server(), t.orgId, metered.id, { start: `'${start.toISOString()}'::timestamptz`, end: `'${end.toISOString()}'::timestamptz`, source: 'manual' });
    const rolled = await waitRolled(sub.id, start);
    expect(rolled).toMatchObject({ status: 'active', source: 'manual' });
    expect(rolled.current_period_start.getTime()).toBe(end.getTime());
    await anotherTick();
    expect(await records(t.orgId)).toHaveLength(0);
  });

  // Usage stays within the included units here: whether an annual period includes `includedUnits` once or once
  // per month is not specified by the contract ("per billing month"), so it is not asserted.
  it('an annual subscription: the annual price and a one-year roll', async () => {
    const t = await newTenant(server(), 'renew-year');
    const keyId = await keyIdOf(server(), t);
    const end = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000);
    const start = await plusMonths(end, -12);
    await addUsage(server(), t.orgId, keyId, new Date(start.getTime() + 30 * DAY), 80);
    const sub = await localSubscription(server(), t.orgId, yearly.id, {
      start: `'${start.toISOString()}'::timestamptz`,
      end: `'${end.toISOString()}'::timestamptz`,
      interval: 'year',
    });
    const [rec] = await waitRecords(t.orgId, 1);
    // Annual plans have a yearly pool of 12 × the monthly included units (docs/billing.md).
    expect(rec).toMatchObject({ total_minor: '9900', overage_units: '0', usage_units: '80', included_units: '1200' });
    expect((await linesOf(rec.id)).map((l) => [l.kind, l.quantity, l.unit, l.amount])).toEqual([
      ['base_fee', 1, 9900, 9900],
      ['included_units', 80, null, 0],
    ]);
    expect(rec.number).toMatch(new RegExp(`^TG-${yyyymm(start)}-\\d{6}$`));
    const rolled = await subRow(sub.id);
    const nextEnd = await plusMonths(end, 12);
    expect(rolled.current_period_start.getTime()).toBe(end.getTime());
    expect(rolled.current_period_end.getTime()).toBe(nextEnd.getTime());
  });

  it('a period that ended two periods ago catches up: one invoice per period, distinct numbers, then a future period', async () => {
    const t = await newTenant(server(), 'renew-catchup');
    const start = await plusMonths(new Date(Math.floor((Date.now() - DAY) / 1000) * 1000), -2);
    const mid = await plusMonths(start, 1);
    const end = await plusMonths(mid, 1);
    const sub = await localSubscription(server(), t.orgId, capped.id, { start: `'${start.toISOString()}'::timestamptz`, end: `'${mid.toISOString()}'::timestamptz` });
    const recs = await waitRecords(t.orgId, 2);
    expect(recs.map((r) => [r.period_start.getTime(), r.period_end.getTime()])).toEqual([
      [start.getTime(), mid.getTime()],
      [mid.getTime(), end.getTime()],
    ]);
    expect(new Set(recs.map((r) => r.number)).size).toBe(2);
    expect(recs[0].number).toMatch(new RegExp(`^TG-${yyyymm(start)}-`));
    expect(recs[1].number).toMatch(new RegExp(`^TG-${yyyymm(mid)}-`));
    const s = await subRow(sub.id);
    expect(s.current_period_start.getTime()).toBe(end.getTime());
    expect(s.current_period_end.getTime()).toBeGreaterThan(Date.now());
    await anotherTick();
    expect(await records(t.orgId)).toHaveLength(2);
  });

  it('ten organizations due at once, two instances running the job: each period billed and rolled exactly once', async () => {
    const tenants: Tenant[] = [];
    for (let i = 0; i < 10; i++) tenants.push(await newTenant(i % 2 ? second() : server(), 'renew-many'));
    const end = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000);
    const start = await plusMonths(end, -1);
    const subs = await Promise.all(
      tenants.map((t) => localSubscription(server(), t.orgId, capped.id, { start: `'${start.toISOString()}'::timestamptz`, end: `'${end.toISOString()}'::timestamptz` })),
    );
    for (const t of tenants) await waitRecords(t.orgId, 1);
    await anotherTick();
    await anotherTick(second());
    for (const [i, t] of tenants.entries()) {
      expect(await records(t.orgId)).toHaveLength(1);
      const s = await subRow(subs[i]!.id);
      expect(s.current_period_start.getTime()).toBe(end.getTime());
      expect(s.current_period_end.getTime()).toBe((await plusMonths(end, 1)).getTime());
    }
    const numbers = new Set<string>();
    for (const t of tenants) numbers.add((await records(t.orgId))[0].number);
    expect(numbers.size).toBe(10);
  });
});
