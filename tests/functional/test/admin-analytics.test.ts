/**
 * GET /api/admin/analytics: who may call it (401, 403 FORBIDDEN, 403 ADMIN_2FA_REQUIRED), the from/to validation
 * (422), the answer against the spec, and the numbers. They come from rollups the analytics job refreshes every
 * BILLING_JOB_INTERVAL_SECONDS (1 s here) after a one-time backfill, so every check polls with a deadline.
 *
 * Each server has its own database, so the numbers of this file are exactly what it did: the daily row of today
 * must equal what the source tables (users, audit_log, usage_events) hold; top organizations and top endpoints show
 * the gateway calls made here; MRR counts a paid local subscription (annual prices / 12, by currency) but not a
 * comped (manual) one; a paid local invoice shows in revenueByMonth and counts one paid conversion; and an
 * organization that moves between paid plans and then leaves counts as one churned subscription.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { sleep } from '../harness/env.js';
import type { TollgateServer } from '../harness/server.js';
import { api, dbQuery, loginOk, makeAdmin, registerAccount } from './auth-helpers.js';
import { AD, adminSignIn, at, invalid, ok, problem, type Admin } from './admin-helpers.js';
import { createKey, createPlan, newTenant, setPlan, type Tenant } from './keys-helpers.js';
import { gw } from './gateway-helpers.js';
import { insertPlan, localEnv, localSubscription } from './billing-helpers.js';

const PATH = '/api/admin/analytics';
const DAY = 86_400_000;
/** How long a number may take to show: a usage ship, then a refresh of the rollups (every second here). */
const SETTLE_MS = 30_000;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const todayUtc = () => dayOf(Date.now());
const utcMidnight = (ms = Date.now()) => Math.floor(ms / DAY) * DAY;

describe('GET /api/admin/analytics', () => {
  const server = useServer(localEnv({ BILLING_JOB_INTERVAL_SECONDS: '1' }));
  printLogsOnFailure();

  let admin: Admin;
  let userToken: string;
  let no2faToken: string;

  beforeAll(async () => {
    admin = await adminSignIn(server(), 'an-admin');
    userToken = (await registerAccount(server(), {}, 'an-user')).result.accessToken;
    const n = await registerAccount(server(), {}, 'an-admin-no2fa');
    await makeAdmin(server(), n.result.user.id);
    const signedIn = await loginOk(server(), n.email, n.password);
    expect(signedIn.user.role).toBe('ADMIN');
    no2faToken = signedIn.accessToken;
  });

  /** GET as `token` (undefined: no Authorization header). */
  const getAs = (token: string | undefined, query: Record<string, string> = {}) => {
    const qs = new URLSearchParams(query).toString();
    return api(server(), 'get', qs ? `${PATH}?${qs}` : PATH, { token });
  };
  const get = (query: Record<string, string> = {}) => getAs(admin.token, query);

  /** A spec-valid 200 for the range. */
  async function report(query: Record<string, string> = {}): Promise<any> {
    const r = await get(query);
    const body = ok(r, 'get', PATH, 200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    return body;
  }

  /** Polls the report of `query` until `ready` holds (or throws with the last answer after `withinMs`). */
  async function eventually(what: string, query: Record<string, string>, ready: (b: any) => boolean, withinMs = SETTLE_MS): Promise<any> {
    const deadline = Date.now() + withinMs;
    let last: any;
    for (;;) {
      last = await report(query);
      if (ready(last)) return last;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last answer: ${JSON.stringify(last).slice(0, 3000)}`);
      await sleep(300);
    }
  }

  const today = () => ({ from: todayUtc(), to: todayUtc() });
  const mrrOf = (b: any, currency: string): { amount: number; arr: number } | undefined => b.mrr.find((m: any) => m.currency === currency);

  describe('access', () => {
    it('401 UNAUTHORIZED without a token, or with one that is not', async () => {
      problem(await getAs(undefined), 'get', PATH, 401, 'UNAUTHORIZED');
      problem(await getAs('not-a-jwt'), 'get', PATH, 401, 'UNAUTHORIZED');
    });

    it('403 FORBIDDEN for a user who is not an administrator, 403 ADMIN_2FA_REQUIRED for an administrator without 2FA', async () => {
      problem(await getAs(userToken), 'get', PATH, 403, 'FORBIDDEN');
      problem(await getAs(no2faToken), 'get', PATH, 403, 'ADMIN_2FA_REQUIRED');
    });
  });

  describe('422 VALIDATION_FAILED', () => {
    it('from / to that are not UTC dates YYYY-MM-DD', async () => {
      for (const bad of ['yesterday', '2025-13-01', '2025-02-29', '2025-04-31', '2025-1-05', '2025-01-05T00:00:00Z', '20250105', '']) {
        invalid(await get({ from: bad, to: '2025-06-01' }), 'get', PATH, 'from');
        invalid(await get({ from: '2025-01-01', to: bad }), 'get', PATH, 'to');
      }
      // Both wrong: both named.
      const both = invalid(await get({ from: 'x', to: 'y' }), 'get', PATH, 'from');
      expect(both.errors.some((e: { field: string }) => e.field === 'to'), JSON.stringify(both.errors)).toBe(true);
    });

    it('from after to; a range longer than 366 days (366 is accepted)', async () => {
      invalid(await get({ from: '2025-03-02', to: '2025-03-01' }), 'get', PATH, 'from');
      // Only `from`, after the default `to` (today).
      invalid(await get({ from: dayOf(Date.now() + 2 * DAY) }), 'get', PATH, 'from');
      invalid(await get({ from: '2024-01-01', to: '2025-01-01' }), 'get', PATH, 'from'); // 367 days (2024 is a leap year)
      invalid(await get({ from: '2023-01-01', to: '2024-12-31' }), 'get', PATH, 'from');
      const year = await report({ from: '2024-01-02', to: '2025-01-01' }); // 366 days
      expect(year).toMatchObject({ from: '2024-01-02', to: '2025-01-01' });
      const one = await report({ from: '2025-03-01', to: '2025-03-01' });
      expect(one).toMatchObject({ from: '2025-03-01', to: '2025-03-01' });
    });
  });

  describe('200', () => {
    it('the default range is the 30 days up to today (UTC); after the backfill every day of it has a row, oldest first', async () => {
      const b = await eventually('the backfill (30 daily rows)', {}, (x) => x.daily.length === 30);
      const to = todayUtc();
      expect(b.to).toBe(to);
      expect(b.from).toBe(dayOf(utcMidnight() - 29 * DAY));
      expect(b.daily.map((d: any) => d.day)).toEqual(Array.from({ length: 30 }, (_, i) => dayOf(utcMidnight() - (29 - i) * DAY)));
      // Only `to`: the 30 days up to it.
      const only = await report({ to: '2025-03-31' });
      expect(only).toMatchObject({ from: '2025-03-02', to: '2025-03-31' });
      // The longest range up to today: the backfill (400 days) covers all of it.
      const long = await report({ from: dayOf(utcMidnight() - 365 * DAY), to });
      expect(long.daily).toHaveLength(366);
      for (const d of long.daily) {
        for (const k of ['signups', 'logins', 'activeOrganizations', 'requests', 'errors', 'serverErrors', 'rejected', 'rateLimited', 'quotaRejected', 'paidConversions', 'churned', 'avgLatencyMs']) {
          expect(d[k], `${d.day}.${k}`).toBeGreaterThanOrEqual(0);
        }
      }
      // totals are the sums of the days (activeOrganizations: the busiest day).
      const sum = (k: string) => long.daily.reduce((n: number, d: any) => n + d[k], 0);
      for (const k of ['signups', 'logins', 'requests', 'errors', 'serverErrors', 'rejected', 'rateLimited', 'quotaRejected', 'paidConversions', 'churned']) {
        expect(long.totals[k], `totals.${k}`).toBe(sum(k));
      }
      expect(long.totals.activeOrganizations).toBe(Math.max(0, ...long.daily.map((d: any) => d.activeOrganizations)));
    });

    it('after signups, logins and gateway calls (some refused by the rate limit and by the quota) today\'s row matches the source tables; top organizations and top endpoints show the calls', async () => {
      const N = 3;
      const accounts = [];
      for (let i = 0; i < N; i++) accounts.push(await registerAccount(server(), {}, `an-signup${i}`));
      for (const a of accounts) await loginOk(server(), a.email, a.password);
      for (const a of accounts.slice(0, 2)) await loginOk(server(), a.email, a.password);
      const loginsMade = N + 2;

      // A key limited to 2 calls a minute: 5 calls, at least 3 refused with RATE_LIMITED.
      const limited: Tenant = await newTenant(server(), 'an-limited');
      const lk = await createKey(server(), limited.token, { name: 'limited', rateLimitPerMinute: 2 });
      const limitedStatuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await gw(server(), 'GET', `/echo/limited/${i}`, { key: lk.secret });
        limitedStatuses.push(r.status);
        if (r.status === 429) expect(r.json?.code).toBe('RATE_LIMITED');
      }
      const limitedOk = limitedStatuses.filter((s) => s === 200).length;
      // 2 a minute (3 or 4 only if the calls straddled a window boundary).
      expect(limitedOk, JSON.stringify(limitedStatuses)).toBeGreaterThanOrEqual(2);
      expect(limitedStatuses.filter((s) => s === 429).length, JSON.stringify(limitedStatuses)).toBeGreaterThanOrEqual(1);
      expect(limitedStatuses.every((s) => s === 200 || s === 429), JSON.stringify(limitedStatuses)).toBe(true);

      // A hard-capped plan with 3 included units: calls until the quota refuses (USAGE_EXCEEDED).
      const capped: Tenant = await newTenant(server(), 'an-capped');
      await setPlan(server(), capped.orgId, await createPlan(server(), { includedUnits: 3, policy: 'hard_cap', ratePerMinute: 1000 }));
      const ck = await createKey(server(), capped.token, { name: 'capped' });
      let cappedCalls = 0;
      let quotaRefusals = 0;
      while (quotaRefusals < 2 && cappedCalls < 40) {
        const r = await gw(server(), 'GET', `/echo/capped/${cappedCalls}`, { key: ck.secret });
        cappedCalls++;
        if (r.status === 429 && r.json?.code === 'USAGE_EXCEEDED') quotaRefusals++;
        else expect(r.status, r.text.slice(0, 300)).toBe(200);
        if (r.status === 200 && cappedCalls >= 3) await sleep(100);
      }
      expect(quotaRefusals, 'the hard cap refused calls').toBe(2);

      // Everything recorded (the usage spool ships asynchronously).
      const totalCalls = 5 + cappedCalls;
      const day = todayUtc();
      const lo = new Date(utcMidnight()).toISOString();
      const hi = new Date(utcMidnight() + DAY).toISOString();
      const deadline = Date.now() + SETTLE_MS;
      for (;;) {
        const n = await dbQuery(server(), `SELECT count(*)::int AS n FROM usage_events WHERE organization_id = ANY($1::uuid[])`, [[limited.orgId, capped.orgId]]);
        if (n.rows[0].n >= totalCalls) break;
        if (Date.now() > deadline) throw new Error(`only ${n.rows[0].n} of ${totalCalls} usage events landed`);
        await sleep(200);
      }

      // The source of truth for today.
      const truth = async () => {
        const u = await dbQuery(server(), `SELECT count(*)::int AS n FROM users WHERE created_at >= $1 AND created_at < $2`, [lo, hi]);
        const l = await dbQuery(
          server(),
          `SELECT count(*)::int AS n FROM audit_log WHERE action IN ('auth.login.succeeded', 'auth.2fa.verified') AND created_at >= $1 AND created_at < $2`,
          [lo, hi],
        );
        const e = await dbQuery(
          server(),
          `SELECT count(*)::int AS requests, count(*) FILTER (WHERE status_code >= 400)::int AS errors,
                  count(*) FILTER (WHERE status_code >= 500)::int AS server_errors, count(*) FILTER (WHERE code <> 'VALID')::int AS rejected,
                  count(*) FILTER (WHERE code = 'RATE_LIMITED')::int AS rate_limited, count(*) FILTER (WHERE code = 'USAGE_EXCEEDED')::int AS quota_rejected,
                  count(DISTINCT organization_id)::int AS orgs
             FROM usage_events WHERE occurred_at >= $1 AND occurred_at < $2`,
          [lo, hi],
        );
        return { signups: u.rows[0].n, logins: l.rows[0].n, ...e.rows[0] };
      };
      const want = await truth();
      expect(want.signups).toBeGreaterThanOrEqual(N + 5);
      expect(want.logins).toBeGreaterThanOrEqual(loginsMade);
      expect(want.rate_limited).toBe(limitedStatuses.filter((s) => s === 429).length);
      expect(want.quota_rejected).toBe(2);

      const b = await eventually("today's row with the calls and accounts", today(), (x) => {
        const d = x.daily[0];
        return !!d && d.requests >= want.requests && d.signups >= want.signups && d.logins >= want.logins;
      });
      expect(b.daily).toHaveLength(1);
      const row = b.daily[0];
      expect(row).toMatchObject({
        day,
        signups: want.signups,
        logins: want.logins,
        requests: want.requests,
        errors: want.errors,
        serverErrors: want.server_errors,
        rejected: want.rejected,
        rateLimited: want.rate_limited,
        quotaRejected: want.quota_rejected,
        activeOrganizations: want.orgs,
      });
      expect(row.rateLimited).toBe(5 - limitedOk);
      expect(row.errors).toBeGreaterThanOrEqual(row.rateLimited + row.quotaRejected);
      expect(row.avgLatencyMs).toBeGreaterThan(0);
      expect(b.totals).toMatchObject({ signups: row.signups, logins: row.logins, requests: row.requests, rateLimited: row.rateLimited, quotaRejected: row.quotaRejected, activeOrganizations: row.activeOrganizations });
      expect(b.totals.avgLatencyMs).toBeCloseTo(row.avgLatencyMs, 6);

      // Top organizations: each caller with exactly its calls, busiest first, with its name.
      const orgName = async (id: string) => (await dbQuery(server(), 'SELECT name FROM organizations WHERE id = $1', [id])).rows[0].name;
      const top = b.topOrganizations as any[];
      expect(top.find((o) => o.id === limited.orgId)).toEqual({ id: limited.orgId, name: await orgName(limited.orgId), requests: 5, errors: 5 - limitedOk, costUnits: limitedOk });
      expect(top.find((o) => o.id === capped.orgId)).toMatchObject({ id: capped.orgId, name: await orgName(capped.orgId), requests: cappedCalls, errors: 2 });
      for (let i = 1; i < top.length; i++) expect(top[i - 1].requests).toBeGreaterThanOrEqual(top[i].requests);

      // Top endpoints: the seeded echo endpoint (pattern /echo/*, i.e. /gw/echo/…) with every call.
      const echo = (b.topEndpoints as any[]).find((e) => e.endpoint === '/echo/*' && e.method === 'GET');
      expect(echo, JSON.stringify(b.topEndpoints)).toBeDefined();
      expect(echo.requests).toBe(totalCalls);
      expect(echo.errors).toBe(5 - limitedOk + 2);
      expect(echo.avgLatencyMs).toBeGreaterThan(0);
    });

    it('MRR counts a paid local subscription (annual price / 12, per currency; ARR = 12 × MRR), not a comped one', async () => {
      const base = await eventually('the first MRR snapshot', today(), (x) => x.mrr.length > 0);
      const usd0 = mrrOf(base, 'USD')?.amount ?? 0;
      const paying0 = base.payingOrganizations;
      const users0 = base.usersTotal;
      const eur = await insertPlan(server(), { name: 'Analytics EUR', currency: 'EUR', priceMonthly: 1000, priceAnnual: 9600 });

      // Comped: Business at no charge (source manual).
      const comped = await newTenant(server(), 'an-comped');
      ok(await api(server(), 'post', at(AD.orgPlan, comped.orgId), { token: admin.token, body: { plan: 'business', reason: 'Analytics test: comped' } }), 'post', AD.orgPlan, 200);
      // Paid: Starter monthly ($19.00) through the local plan change, and the EUR plan yearly (96.00 / 12 = 8.00 a month).
      const paid = await newTenant(server(), 'an-paid');
      ok(await api(server(), 'post', '/api/user/subscription/change', { token: paid.token, body: { plan: 'starter', interval: 'month' } }), 'post', '/api/user/subscription/change', 200);
      const yearly = await newTenant(server(), 'an-yearly');
      await localSubscription(server(), yearly.orgId, eur.id, { start: 'now()', end: "now() + interval '1 year'", interval: 'year' });

      const b = await eventually('MRR with the new subscriptions', today(), (x) => (mrrOf(x, 'USD')?.amount ?? 0) >= usd0 + 1900 && (mrrOf(x, 'EUR')?.amount ?? 0) >= 800);
      expect(mrrOf(b, 'USD'), 'the comped Business plan adds nothing').toEqual({ currency: 'USD', amount: usd0 + 1900, arr: (usd0 + 1900) * 12 });
      expect(mrrOf(b, 'EUR')).toEqual({ currency: 'EUR', amount: 800, arr: 9600 });
      expect(b.payingOrganizations, 'the comped organization is not paying').toBe(paying0 + 2);
      expect(b.usersTotal).toBe(users0 + 3);
      for (const m of b.mrr) expect(m.arr).toBe(m.amount * 12);

      // Comping the paying organization (its subscription becomes manual) takes its MRR away.
      ok(await api(server(), 'post', at(AD.orgPlan, paid.orgId), { token: admin.token, body: { plan: 'pro', reason: 'Analytics test: comped after paying' } }), 'post', AD.orgPlan, 200);
      const after = await eventually('MRR without the comped organization', today(), (x) => (mrrOf(x, 'USD')?.amount ?? 0) < usd0 + 1900);
      expect(mrrOf(after, 'USD')).toEqual({ currency: 'USD', amount: usd0, arr: usd0 * 12 });
      expect(mrrOf(after, 'EUR')).toEqual({ currency: 'EUR', amount: 800, arr: 9600 });
      expect(after.payingOrganizations).toBe(paying0 + 1);
    });

    it('a paid local invoice shows in revenueByMonth and counts one paid conversion', async () => {
      const before = await eventually('a report', today(), () => true);
      const month = todayUtc().slice(0, 7);
      const revenue0 = before.revenueByMonth.find((r: any) => r.month === month && r.currency === 'USD')?.amount ?? 0;
      const conversions0 = before.daily[0]?.paidConversions ?? 0;

      // Starter (local), its period ended: the renewal job issues the invoice; an administrator marks it paid.
      const t = await newTenant(server(), 'an-invoice');
      ok(await api(server(), 'post', '/api/user/subscription/change', { token: t.token, body: { plan: 'starter', interval: 'month' } }), 'post', '/api/user/subscription/change', 200);
      const upd = await dbQuery(
        server(),
        `UPDATE subscriptions SET current_period_start = date_trunc('second', now()) - interval '1 month',
                                  current_period_end = date_trunc('second', now()) - interval '1 second'
          WHERE organization_id = $1 AND status = 'active' AND source = 'local'`,
        [t.orgId],
      );
      expect(upd.rowCount).toBe(1);
      const deadline = Date.now() + SETTLE_MS;
      let invoiceId: string | undefined;
      while (!invoiceId) {
        const q = await dbQuery(server(), `SELECT id::text AS id FROM billing_records WHERE organization_id = $1 AND source = 'local'`, [t.orgId]);
        invoiceId = q.rows[0]?.id;
        if (!invoiceId && Date.now() > deadline) throw new Error('no local invoice for the ended period');
        if (!invoiceId) await sleep(200);
      }
      const marked = await api(server(), 'post', `/api/admin/invoices/${invoiceId}/mark-paid`, { token: admin.token, body: { reason: 'Analytics test: bank transfer' } });
      expect(marked.status, marked.text.slice(0, 500)).toBe(200);
      const paid = (await dbQuery(server(), `SELECT amount_paid_minor::int AS amount, currency FROM billing_records WHERE id = $1`, [invoiceId])).rows[0];
      expect(paid).toEqual({ amount: 1900, currency: 'USD' });

      const b = await eventually('the paid invoice in the report', today(), (x) =>
        (x.revenueByMonth.find((r: any) => r.month === month && r.currency === 'USD')?.amount ?? 0) >= revenue0 + 1900 && x.daily[0]?.paidConversions > conversions0,
      );
      expect(b.revenueByMonth.find((r: any) => r.month === month && r.currency === 'USD')).toEqual({ month, currency: 'USD', amount: revenue0 + 1900 });
      expect(b.daily[0].paidConversions).toBe(conversions0 + 1);
      expect(b.totals.paidConversions).toBe(conversions0 + 1);
      expect(b.conversionRate).toBeCloseTo(b.totals.paidConversions / b.totals.signups, 9);
      // Months sorted; only the 12 months up to `to`.
      const months = b.revenueByMonth.map((r: any) => r.month);
      expect([...months].sort()).toEqual(months);
      // The same month seen from a range that ends before the invoice was paid does not have it.
      const earlier = await report({ from: dayOf(utcMidnight() - 40 * DAY), to: dayOf(utcMidnight() - 32 * DAY) });
      expect(earlier.revenueByMonth.find((r: any) => r.month === month)).toBeUndefined();
    });

    it('an organization that moves from one paid plan to another and then leaves counts as one churned subscription', async () => {
      const before = await eventually('a report', today(), () => true);
      const churned0 = before.daily[0]?.churned ?? 0;

      const t = await newTenant(server(), 'an-churn');
      const change = (plan: string) => api(server(), 'post', '/api/user/subscription/change', { token: t.token, body: { plan, interval: 'month' } });
      ok(await change('starter'), 'post', '/api/user/subscription/change', 200);
      ok(await change('pro'), 'post', '/api/user/subscription/change', 200);
      // An upgrade is not churn.
      await sleep(2500);
      const mid = await report(today());
      expect(mid.daily[0].churned, 'a switch between paid plans').toBe(churned0);

      // Cancel at period end, then the period ends: the renewal job ends the subscription.
      const c = await api(server(), 'post', '/api/user/subscription/cancel', { token: t.token });
      expect(c.status, c.text.slice(0, 500)).toBe(200);
      await dbQuery(
        server(),
        `UPDATE subscriptions SET current_period_start = date_trunc('second', now()) - interval '1 month',
                                  current_period_end = date_trunc('second', now()) - interval '1 second'
          WHERE organization_id = $1 AND status IN ('trialing', 'active')`,
        [t.orgId],
      );
      const deadline = Date.now() + SETTLE_MS;
      for (;;) {
        const q = await dbQuery(server(), `SELECT count(*)::int AS n FROM subscriptions WHERE organization_id = $1 AND status IN ('trialing','active','past_due','unpaid','paused')`, [t.orgId]);
        if (q.rows[0].n === 0) break;
        if (Date.now() > deadline) throw new Error('the canceled subscription did not end');
        await sleep(200);
      }

      const b = await eventually('the churn in the report', today(), (x) => x.daily[0]?.churned > churned0);
      // Give the job a few more rounds: the number must settle at one.
      await sleep(2500);
      const settled = await report(today());
      expect(b.daily[0].churned).toBeGreaterThan(churned0);
      expect(settled.daily[0].churned, 'one organization left: the Starter row it upgraded from had a paid successor').toBe(churned0 + 1);
      expect(settled.totals.churned).toBe(churned0 + 1);
      // churnRate = churned / paying organizations at the start of the range (today's snapshot for a one-day range).
      expect(settled.payingOrganizations).toBeGreaterThan(0);
      expect(settled.churnRate).toBeCloseTo(settled.totals.churned / settled.payingOrganizations, 9);
    });

    it('a range with no activity: all zeros, no top organizations or endpoints', async () => {
      const old = await report({ from: '2020-01-01', to: '2020-01-31' });
      expect(old.topOrganizations).toEqual([]);
      expect(old.topEndpoints).toEqual([]);
      for (const [k, v] of Object.entries(old.totals)) expect(v, `totals.${k}`).toBe(0);
      expect(old.conversionRate).toBe(0);
    });
  });
});
