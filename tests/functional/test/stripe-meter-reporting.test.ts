/**
 * Overage reported to Stripe Billing Meters (src/billing/meter_reporter.cpp) against the fake Stripe API: every
 * BILLING_JOB_INTERVAL_SECONDS the reporter sends, per organization and whole past UTC hour of the current period,
 * the hour's share of the units beyond the plan's included ones (split by cumulative usage), as a meter event whose
 * identifier 'tg-<org>-<YYYYMMDDHH>-<seq>' is also its Idempotency-Key. Late units become a seq+1 event with the
 * difference only; a refused or failed send is retried next round with the same identifier; nothing is counted twice.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { sleep } from '../harness/env.js';
import type { TollgateServer } from '../harness/server.js';
import { startFakeStripe, type FakeStripe } from '../harness/fake-stripe.js';
import { dbQuery } from './auth-helpers.js';
import {
  ADD_ROLLUPS_SQL,
  HOUR,
  adminSignIn,
  checkoutStripe,
  createPlanApi,
  expectTollgateCall,
  floorHour,
  hourTag,
  inTransaction,
  keyIdOf,
  meterCursor,
  meterEventsOf,
  meterReports,
  meterRoundsPass,
  newTenant,
  overageByHour,
  rollupParams,
  slugOf,
  stripeApi,
  stripeEnv,
  sum,
  tollgateRequests,
  until,
  waitPlanSynced,
  type HourUnits,
  type Tenant,
} from './billing-admin-helpers.js';

const INCLUDED = 1000;

/** When less than `minMs` are left in the current UTC hour, waits until the next hour has begun. */
async function awayFromHourEnd(minMs = 45_000): Promise<void> {
  const left = HOUR - (Date.now() % HOUR);
  if (left < minMs) await sleep(left + 1500);
}

describe('meter events sent to Stripe for overage', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => stripeEnv(fake, { BILLING_JOB_INTERVAL_SECONDS: '1' }));
  printLogsOnFailure(() =>
    fake
      ? `--- fake stripe meter events ---\n${tollgateRequests(fake, 0, 'POST', '/v1/billing/meter_events')
          .map((r) => `${r.idempotencyKey} ${JSON.stringify(r.form)}`)
          .join('\n')}`
      : '',
  );

  let plan: { id: string; slug: string; eventName: string; meter: string };

  beforeAll(async () => {
    fake.webhookUrl = server().baseUrl + '/api/stripe/webhook';
    const admin = await adminSignIn(server(), 'meter-admin');
    const p = await createPlanApi(server(), admin.token, {
      slug: slugOf('meter-plan'),
      name: 'Metered Hybrid',
      type: 'HYBRID',
      priceMonthly: 1000,
      includedUnits: INCLUDED,
      overagePrice: 50,
      overageBlockUnits: 1000,
      quotaPolicy: 'allow_overage',
      rateLimitPerMinute: 1000,
    });
    const row = await waitPlanSynced(server(), p.id);
    plan = { id: p.id, slug: p.slug, eventName: `tollgate_units_${p.slug.replace(/-/g, '_')}`, meter: row.meter };
  }, 90_000);

  interface Org {
    t: Tenant;
    keyId: string;
    subId: string;
    customer: string;
  }

  /** A tenant subscribed through Checkout to the metered plan. */
  async function subscribedOrg(tag: string): Promise<Org> {
    const t = await newTenant(server(), tag);
    const keyId = await keyIdOf(server(), t);
    const { subId, customer } = await checkoutStripe(server(), fake, t, plan.slug);
    return { t, keyId, subId, customer };
  }

  /**
   * Moves the current period's start to `start` (in the fake and in Tollgate's mirror) and adds the rollups, in one
   * transaction so the reporter sees all of it at once.
   */
  async function periodWithUsage(s: TollgateServer, o: Org, start: number, rows: HourUnits[]): Promise<void> {
    const sub = fake.state.subscriptions.get(o.subId)!;
    sub.current_period_start = start / 1000;
    for (const item of sub.items.data) item.current_period_start = start / 1000;
    await inTransaction(s, async (c) => {
      if (rows.length) await c.query(ADD_ROLLUPS_SQL, rollupParams(o.t.orgId, o.keyId, rows));
      const r = await c.query(`UPDATE subscriptions SET current_period_start = to_timestamp($2::bigint / 1000.0) WHERE stripe_subscription_id = $1`, [o.subId, start]);
      expect(r.rowCount).toBe(1);
    });
  }

  async function addLate(s: TollgateServer, o: Org, rows: HourUnits[]): Promise<void> {
    await inTransaction(s, async (c) => {
      await c.query(ADD_ROLLUPS_SQL, rollupParams(o.t.orgId, o.keyId, rows));
    });
  }

  /** Waits until the organization's ledger has `n` rows, all sent; returns them. */
  async function allSent(o: Org, n: number, withinMs = 20_000): Promise<any[]> {
    return until(
      `${n} meter reports sent`,
      async () => {
        const rows = await meterReports(server(), o.t.orgId);
        return rows.length === n && rows.every((r) => r.status === 'sent') ? rows : undefined;
      },
      withinMs,
    );
  }

  const idOf = (o: Org, h: number, seq: number) => `tg-${o.t.orgId}-${hourTag(h)}-${seq}`;

  it('whole past hours of the period: the overage split per hour by cumulative usage, deterministic identifiers, cursor', async () => {
    await awayFromHourEnd();
    const o = await subscribedOrg('meter-split');
    const H = floorHour(Date.now());
    const start = H - 8 * HOUR;
    const rows: HourUnits[] = [
      { h: H - 10 * HOUR, units: 5000 }, // before the period: not billed here
      { h: H - 8 * HOUR, units: 300 },
      { h: H - 7 * HOUR, units: 500 },
      { h: H - 6 * HOUR, units: 400 }, // crosses the 1,000 included: 200 over
      { h: H - 5 * HOUR, units: 150, endpoint: '/v1/a' }, // two rollup rows of one hour: summed
      { h: H - 5 * HOUR, units: 100, endpoint: '/v1/b' },
      { h: H - 4 * HOUR, units: 700 },
      { h: H - 2 * HOUR, units: 1 },
      { h: H, units: 999 }, // the current hour is not whole yet
    ];
    const since = fake.requests.length;
    await periodWithUsage(server(), o, start, rows);
    const inPeriod = rows.filter((r) => r.h >= start && r.h < H);
    const want = overageByHour(inPeriod, INCLUDED);
    expect([...want.entries()]).toEqual([
      [H - 6 * HOUR, 200],
      [H - 5 * HOUR, 250],
      [H - 4 * HOUR, 700],
      [H - 2 * HOUR, 1],
    ]);

    const ledger = await allSent(o, want.size);
    expect(ledger.map((r) => [r.h, r.seq, r.units, r.identifier, r.event])).toEqual(
      [...want.entries()].map(([h, u]) => [h, 0, u, idOf(o, h, 0), plan.eventName]),
    );

    // In the fake: one event per hour, values summing to the overage exactly.
    const events = meterEventsOf(fake, o.customer, plan.eventName);
    expect([...events.keys()].sort()).toEqual([...want.keys()].map((h) => idOf(o, h, 0)).sort());
    for (const [h, u] of want) {
      const ev = events.get(idOf(o, h, 0))!;
      expect(ev.payload).toEqual({ stripe_customer_id: o.customer, value: String(u) });
      expect(ev.timestamp, 'inside the hour it stands for').toBe(h / 1000 + 3599);
    }
    expect(fake.meterTotal(o.customer, plan.eventName)).toBe(sum(want.values()));
    expect(sum(want.values())).toBe(sum(inPeriod.map((r) => r.units)) - INCLUDED);

    // The requests: identifier = Idempotency-Key, version pinned.
    const sent = tollgateRequests(fake, since, 'POST', '/v1/billing/meter_events').filter((r) => (r.form.payload as any)?.stripe_customer_id === o.customer);
    expect(sent.length).toBe(want.size);
    for (const r of sent) {
      expectTollgateCall(r);
      expect(r.idempotencyKey).toBe(r.form.identifier);
      expect(r.form.event_name).toBe(plan.eventName);
    }

    // The cursor: the last fully reported hour.
    const cursor = await meterCursor(server());
    expect(cursor, 'billing_cursors row stripe.meter_events').toBeTruthy();
    expect(cursor!.position.getTime()).toBeGreaterThanOrEqual(H);
    expect(cursor!.position.getTime()).toBeLessThanOrEqual(floorHour(Date.now()));

    // Further rounds send nothing new (while the current hour is still the current one).
    const n = fake.requests.length;
    await meterRoundsPass(server(), 2);
    if (floorHour(Date.now()) === H) {
      expect(tollgateRequests(fake, n, 'POST', '/v1/billing/meter_events')).toEqual([]);
      expect((await meterReports(server(), o.t.orgId)).length).toBe(want.size);
    }
    // The current hour's units are not to be reported by a later round of this file.
    await dbQuery(server(), `DELETE FROM usage_rollups WHERE organization_id = $1 AND bucket_start = to_timestamp($2::bigint / 1000.0)`, [o.t.orgId, H]);
  }, 120_000);

  it('units added later to reported hours are sent as seq+1 events with the difference only', async () => {
    const o = await subscribedOrg('meter-late');
    const H = floorHour(Date.now());
    const start = H - 6 * HOUR;
    await periodWithUsage(server(), o, start, [
      { h: H - 5 * HOUR, units: 800 },
      { h: H - 4 * HOUR, units: 600 }, // 400 over
      { h: H - 3 * HOUR, units: 100 }, // 100 over
    ]);
    let ledger = await allSent(o, 2);
    expect(ledger.map((r) => [r.identifier, r.units])).toEqual([
      [idOf(o, H - 4 * HOUR, 0), 400],
      [idOf(o, H - 3 * HOUR, 0), 100],
    ]);

    // Late units: 150 for H-5 (shifts 150 of H-4 beyond the included ones), 250 for H-3.
    await addLate(server(), o, [
      { h: H - 5 * HOUR, units: 150 },
      { h: H - 3 * HOUR, units: 250 },
    ]);
    ledger = await allSent(o, 4);
    expect(ledger.map((r) => [r.identifier, r.seq, r.units])).toEqual([
      [idOf(o, H - 4 * HOUR, 0), 0, 400],
      [idOf(o, H - 4 * HOUR, 1), 1, 150],
      [idOf(o, H - 3 * HOUR, 0), 0, 100],
      [idOf(o, H - 3 * HOUR, 1), 1, 250],
    ]);
    // And once more for the same hour: seq 2.
    await addLate(server(), o, [{ h: H - 3 * HOUR, units: 100 }]);
    ledger = await allSent(o, 5);
    expect(ledger.filter((r) => r.h === H - 3 * HOUR).map((r) => [r.identifier, r.units])).toEqual([
      [idOf(o, H - 3 * HOUR, 0), 100],
      [idOf(o, H - 3 * HOUR, 1), 250],
      [idOf(o, H - 3 * HOUR, 2), 100],
    ]);

    const events = meterEventsOf(fake, o.customer, plan.eventName);
    expect(events.size).toBe(5);
    expect(events.get(idOf(o, H - 4 * HOUR, 1))!.payload.value).toBe('150');
    expect(events.get(idOf(o, H - 3 * HOUR, 2))!.payload.value).toBe('100');
    // Total usage 800+150+600+100+250+100 = 2000: 1000 beyond the included units, reported exactly once.
    expect(fake.meterTotal(o.customer, plan.eventName)).toBe(1000);
    // Stripe agrees for the period.
    const summary = await stripeApi(fake, 'GET', `/v1/billing/meters/${plan.meter}/event_summaries`, {
      customer: o.customer,
      start_time: start / 1000,
      end_time: H / 1000,
    });
    expect(summary.data[0].aggregated_value).toBe(1000);
  });

  it('a refused (400) or failed (503) send is retried next round with the same identifier; nothing is counted twice', async () => {
    const o = await subscribedOrg('meter-retry');
    const H = floorHour(Date.now());
    const start = H - 5 * HOUR;
    const rows: HourUnits[] = [
      { h: H - 5 * HOUR, units: 1200 },
      { h: H - 4 * HOUR, units: 300 },
      { h: H - 3 * HOUR, units: 50 },
      { h: H - 2 * HOUR, units: 75 },
    ];
    const want = overageByHour(rows, INCLUDED);
    expect(want.size).toBe(4);
    const since = fake.requests.length;
    fake.failNext('POST', '/v1/billing/meter_events', 400, { message: 'Refused for the test.' });
    fake.failNext('POST', '/v1/billing/meter_events', 503, { shouldRetry: false });
    await periodWithUsage(server(), o, start, rows);

    // The first attempts failed: the rows are marked, with the cause.
    const failed = await until('a failed meter report', async () => {
      const r = await dbQuery(server(), `SELECT identifier, attempts, last_error FROM usage_meter_reports WHERE organization_id = $1 AND status = 'failed'`, [o.t.orgId]);
      return r.rows.length > 0 ? r.rows : undefined;
    }, 10_000).catch(() => undefined);
    if (failed) for (const f of failed) expect(f.last_error ?? '', JSON.stringify(f)).not.toBe('');

    const ledger = await allSent(o, want.size);
    expect(ledger.map((r) => [r.identifier, r.units])).toEqual([...want.entries()].map(([h, u]) => [idOf(o, h, 0), u]));
    // Two rows took two attempts, the others one.
    expect(ledger.map((r) => r.attempts).sort()).toEqual([1, 1, 2, 2]);
    for (const r of ledger) expect(r.last_error).toBeNull();

    const sent = tollgateRequests(fake, since, 'POST', '/v1/billing/meter_events').filter((r) => (r.form.payload as any)?.stripe_customer_id === o.customer);
    expect(sent.length).toBe(want.size + 2);
    const byId = new Map<string, number>();
    for (const r of sent) {
      expect(r.idempotencyKey).toBe(r.form.identifier);
      byId.set(r.idempotencyKey!, (byId.get(r.idempotencyKey!) ?? 0) + 1);
    }
    expect([...byId.values()].sort()).toEqual([1, 1, 2, 2]);
    // The resend carried the very same event (same identifier, value and timestamp).
    for (const [id, count] of byId) {
      if (count !== 2) continue;
      const [a, b] = sent.filter((r) => r.idempotencyKey === id);
      expect(b!.form).toEqual(a!.form);
    }
    expect(meterEventsOf(fake, o.customer, plan.eventName).size).toBe(want.size);
    expect(fake.meterTotal(o.customer, plan.eventName)).toBe(sum(want.values()));
    expect(fake.meterTotal(o.customer, plan.eventName)).toBe(1625 - INCLUDED);
  });

  it('a resend of an identifier Stripe already has (e.g. after a crash before the ledger was marked) is not counted twice', async () => {
    const o = await subscribedOrg('meter-dedupe');
    const H = floorHour(Date.now());
    await periodWithUsage(server(), o, H - 3 * HOUR, [{ h: H - 2 * HOUR, units: 1500 }]);
    await allSent(o, 1);
    // As if the process had died between Stripe's answer and marking the row: the row is pending again.
    const since = fake.requests.length;
    await dbQuery(server(), `UPDATE usage_meter_reports SET status = 'pending', sent_at = NULL WHERE organization_id = $1`, [o.t.orgId]);
    const ledger = await until('the row resent', async () => {
      const rows = await meterReports(server(), o.t.orgId);
      return rows.length === 1 && rows[0].status === 'sent' && rows[0].attempts === 2 ? rows : undefined;
    });
    expect(ledger[0].attempts).toBe(2);
    const resent = tollgateRequests(fake, since, 'POST', '/v1/billing/meter_events').filter((r) => (r.form.payload as any)?.stripe_customer_id === o.customer);
    expect(resent.map((r) => r.idempotencyKey)).toEqual([idOf(o, H - 2 * HOUR, 0)]);
    expect(fake.meterTotal(o.customer, plan.eventName)).toBe(500);
  });

  it('an organization whose usage stays within the included units sends nothing', async () => {
    const o = await subscribedOrg('meter-within');
    const H = floorHour(Date.now());
    await periodWithUsage(server(), o, H - 4 * HOUR, [
      { h: H - 3 * HOUR, units: 600 },
      { h: H - 2 * HOUR, units: 400 },
    ]);
    await meterRoundsPass(server(), 2);
    expect(await meterReports(server(), o.t.orgId)).toEqual([]);
    expect(meterEventsOf(fake, o.customer, plan.eventName).size).toBe(0);
  });
});
