/**
 * Helpers of the admin-plan, plan-sync, meter-reporting, reconciliation and admin-invoice test files
 * (admin-plans, stripe-plan-sync, stripe-meter-reporting, billing-reconciliation, admin-invoices). Not a test file.
 *
 * Self-contained on purpose (besides auth-helpers / keys-helpers): billing-helpers.ts is edited by other work.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { expect } from 'vitest';
import { sleep } from '../harness/env.js';
import type { FetchResult } from '../harness/http.js';
import { validateResponse, expectProblemShape } from '../harness/openapi.js';
import type { TollgateServer } from '../harness/server.js';
import { encodeForm, type FakeStripe, type RecordedRequest } from '../harness/fake-stripe.js';
import { api, dbQuery, enableTwoFactor, loginWith2fa, makeAdmin, registerAccount } from './auth-helpers.js';
import { createKey, newTenant, type Tenant } from './keys-helpers.js';

// ------------------------------------------------------------------------------------------ polling

/** Polls `probe` every 150 ms until it returns something other than undefined; throws after `withinMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, withinMs = 15_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(150);
  }
}

// ------------------------------------------------------------------------------------- environment

export const STRIPE_KEY = 'sk_test_tollgate';
export const STRIPE_VERSION = '2024-06-20';
export const APP_URL = 'https://app.tollgate.test';
const LIMITS = { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_USER_MAX: '100000' };

/** A server in Stripe billing mode against the fake (call inside useServer's env function). */
export function stripeEnv(fake: FakeStripe, extra: Record<string, string> = {}): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: STRIPE_KEY,
    STRIPE_API_BASE: fake.url,
    STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
    PUBLIC_URL: APP_URL,
    ...LIMITS,
    ...extra,
  };
}

/** A server in local billing mode (no STRIPE_SECRET_KEY, even if the runner has one). */
export function localEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { STRIPE_SECRET_KEY: '', PUBLIC_URL: APP_URL, ...LIMITS, ...extra };
}

// ----------------------------------------------------------------------------------------- paths

export const A = {
  plans: '/api/admin/plans',
  plan: '/api/admin/plans/{id}',
  markPaid: '/api/admin/invoices/{id}/mark-paid',
  publicPlans: '/api/plans',
  subscription: '/api/user/subscription',
  change: '/api/user/subscription/change',
  checkout: '/api/user/subscription/checkout',
  invoices: '/api/user/billing/invoices',
  invoice: '/api/user/billing/invoices/{id}',
} as const;

/** Fills `{id}` of a path template. */
export function fill(template: string, id: string): string {
  return template.replace('{id}', encodeURIComponent(id));
}

// -------------------------------------------------------------------------------- contract checks

/** Expects `status` (2xx) and a JSON body valid for the spec's response; returns the parsed body. */
export function okJson(r: FetchResult, method: string, template: string, status = 200): any {
  expect(r.status, `expected ${status} from ${method.toUpperCase()} ${template}, got ${r.status}: ${r.text.slice(0, 800)}`).toBe(status);
  expect(r.contentType).toMatch(/^application\/json\b/i);
  validateResponse(method, template, status, r.contentType, r.text);
  return r.json;
}

/** An error answer: problem+json, the Problem schema, the path's documented response, the code and requestId. */
export function problemOf(r: FetchResult, method: string, template: string, status: number, code: string): any {
  expect(r.status, `expected ${status} ${code} from ${method.toUpperCase()} ${template}, got ${r.status}: ${r.text.slice(0, 800)}`).toBe(status);
  const body = expectProblemShape(status, r.contentType, r.text);
  expect(body.code, r.text).toBe(code);
  expect(body.requestId).toBe(r.headers.get('x-request-id'));
  validateResponse(method, template, status, r.contentType, r.text);
  return body;
}

/** 422 VALIDATION_FAILED whose errors[] names exactly `field` (among others). */
export function invalidField(r: FetchResult, method: string, template: string, field: string): any {
  const body = problemOf(r, method, template, 422, 'VALIDATION_FAILED');
  expect(Array.isArray(body.errors), r.text).toBe(true);
  expect(
    body.errors.some((e: { field: string }) => e.field === field),
    `errors[] should name "${field}": ${JSON.stringify(body.errors)}`,
  ).toBe(true);
  return body;
}

// ----------------------------------------------------------------------------------------- admins

export interface Admin {
  token: string;
  userId: string;
  email: string;
}

/** An ADMIN with two-factor authentication, signed in with password + TOTP (what the admin API requires). */
export async function adminSignIn(s: TollgateServer, tag = 'plan-admin'): Promise<Admin> {
  const acct = await registerAccount(s, {}, tag);
  const userId = acct.result.user.id as string;
  await makeAdmin(s, userId);
  const tf = await enableTwoFactor(s, acct.result.accessToken, acct.password);
  const signedIn = await loginWith2fa(s, acct.email, acct.password, tf.secret);
  expect(signedIn.user.role).toBe('ADMIN');
  return { token: signedIn.accessToken, userId, email: acct.email };
}

/** A unique plan slug of these tests. */
export function slugOf(tag: string): string {
  return `${tag}-${crypto.randomBytes(4).toString('hex')}`;
}

/** POST /api/admin/plans expecting 201 (spec-valid); returns the AdminPlan. */
export async function createPlanApi(s: TollgateServer, token: string, body: Record<string, unknown>): Promise<any> {
  const r = await api(s, 'post', A.plans, { token, body });
  return okJson(r, 'post', A.plans, 201);
}

/** PATCH /api/admin/plans/{id} expecting 200 (spec-valid); returns the AdminPlan. */
export async function patchPlanApi(s: TollgateServer, token: string, id: string, body: Record<string, unknown>): Promise<any> {
  const r = await api(s, 'patch', fill(A.plan, id), { token, body });
  return okJson(r, 'patch', A.plan, 200);
}

/** GET /api/admin/plans (spec-valid 200); returns the plans. */
export async function adminPlans(s: TollgateServer, token: string): Promise<any[]> {
  const r = await api(s, 'get', A.plans, { token });
  return okJson(r, 'get', A.plans, 200).plans;
}

export async function adminPlan(s: TollgateServer, token: string, id: string): Promise<any> {
  const p = (await adminPlans(s, token)).find((x) => x.id === id);
  expect(p, `plan ${id} in GET /api/admin/plans`).toBeTruthy();
  return p;
}

/** The plan row's Stripe columns, with the sync time at full precision. */
export async function planStripeRow(s: TollgateServer, id: string): Promise<any> {
  const r = await dbQuery(
    s,
    `SELECT stripe_product_id AS product, stripe_price_monthly_id AS monthly, stripe_price_annual_id AS annual,
            stripe_price_metered_id AS metered, stripe_meter_id AS meter,
            (extract(epoch FROM stripe_synced_at) * 1000000)::bigint::text AS synced_us
       FROM plans WHERE id = $1`,
    [id],
  );
  return r.rows[0];
}

/** Waits until the plan's stripe.sync_plan jobs are all done (none queued/running) and it was synced after `afterUs`. */
export async function waitPlanSynced(s: TollgateServer, id: string, afterUs = '0', withinMs = 20_000): Promise<any> {
  return until(
    `plan ${id} synced to Stripe`,
    async () => {
      const jobs = await dbQuery(
        s,
        `SELECT count(*) FILTER (WHERE status IN ('queued', 'running'))::int AS pending,
                count(*) FILTER (WHERE status = 'dead')::int AS dead, max(last_error) AS err
           FROM jobs WHERE kind = 'stripe.sync_plan' AND payload->>'planId' = $1`,
        [id],
      );
      if (jobs.rows[0].dead > 0) throw new Error(`sync job dead: ${jobs.rows[0].err}`);
      if (jobs.rows[0].pending > 0) return undefined;
      const row = await planStripeRow(s, id);
      return row.synced_us !== null && BigInt(row.synced_us) > BigInt(afterUs) ? row : undefined;
    },
    withinMs,
  );
}

// ------------------------------------------------------------------------------------------ tenants

/** POST /api/user/subscription/change in local mode (spec-valid 200); returns the Subscription. */
export async function subscribeLocal(s: TollgateServer, t: Tenant, slug: string, interval: 'month' | 'year' = 'month'): Promise<any> {
  const r = await api(s, 'post', A.change, { token: t.token, body: { plan: slug, interval } });
  return okJson(r, 'post', A.change, 200);
}

/** GET /api/user/subscription (spec-valid 200). */
export async function subscriptionOf(s: TollgateServer, token: string): Promise<any> {
  return okJson(await api(s, 'get', A.subscription, { token }), 'get', A.subscription, 200);
}

/** The organization's Stripe customer id, once the stripe.create_customer job recorded it. */
export async function customerOf(s: TollgateServer, orgId: string): Promise<string> {
  return until('the Stripe customer of the organization', async () => {
    const r = await dbQuery(s, 'SELECT stripe_customer_id FROM organizations WHERE id = $1', [orgId]);
    return r.rows[0]?.stripe_customer_id ?? undefined;
  });
}

/** Waits until every stored webhook event has been handled (none received/processing/failed). */
export async function webhooksSettled(s: TollgateServer): Promise<void> {
  await until('webhook events handled', async () => {
    const r = await dbQuery(s, `SELECT count(*)::int AS n FROM stripe_webhook_events WHERE status NOT IN ('processed', 'ignored')`);
    return r.rows[0].n === 0 ? true : undefined;
  });
}

/**
 * Subscribes the tenant through Tollgate's checkout and the fake's hosted page, then waits until the subscription
 * is mirrored and every webhook handled. Returns the Stripe subscription id and the customer.
 */
export async function checkoutStripe(s: TollgateServer, fake: FakeStripe, t: Tenant, slug: string): Promise<{ subId: string; customer: string }> {
  const customer = await customerOf(s, t.orgId);
  const r = await api(s, 'post', A.checkout, { token: t.token, body: { plan: slug, interval: 'month' } });
  const session = okJson(r, 'post', A.checkout, 200);
  const visit = await fetch(session.url, { redirect: 'manual' });
  expect(visit.status, 'the fake checkout page redirects back').toBe(303);
  const cs = fake.state.checkoutSessions.get(session.id);
  expect(cs?.status).toBe('complete');
  const subId = cs!.subscription as string;
  await until(`the subscription on ${slug}`, async () => {
    const body = await subscriptionOf(s, t.token);
    return body.plan.slug === slug && body.source === 'stripe' ? body : undefined;
  });
  await webhooksSettled(s);
  return { subId, customer };
}

/** Calls the fake Stripe API as a test would (expects 2xx). */
export async function stripeApi(fake: FakeStripe, method: string, path: string, params: Record<string, unknown> = {}): Promise<any> {
  const q = method === 'GET' || method === 'DELETE' ? encodeForm(params) : '';
  const r = await fetch(fake.url + path + (q ? `?${q}` : ''), {
    method,
    headers: { authorization: `Bearer ${STRIPE_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: method === 'GET' || method === 'DELETE' ? undefined : encodeForm(params),
  });
  const body = await r.json();
  expect(r.status, `${method} ${path}: ${JSON.stringify(body)}`).toBeLessThan(300);
  return body;
}

/** Requests Tollgate (not the test) sent to the fake after index `since`. */
export function tollgateRequests(fake: FakeStripe, since = 0, method?: string, pathPrefix?: string): RecordedRequest[] {
  return fake.requests
    .slice(since)
    .filter((r) => (!method || r.method === method) && (!pathPrefix || r.path.startsWith(pathPrefix)))
    .filter((r) => r.headers['user-agent'] === 'Tollgate');
}

/** A Tollgate → Stripe call: pinned version, Bearer key; POSTs form-encoded with an Idempotency-Key. */
export function expectTollgateCall(r: RecordedRequest): void {
  expect(r.stripeVersion, `Stripe-Version of ${r.method} ${r.path}`).toBe(STRIPE_VERSION);
  expect(r.headers.authorization).toBe(`Bearer ${STRIPE_KEY}`);
  if (r.method === 'POST') {
    expect(r.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(r.idempotencyKey, `Idempotency-Key of POST ${r.path}`).toBeTruthy();
  }
}

// ------------------------------------------------------------------------------------------ usage

export const HOUR = 3_600_000;
export const floorHour = (t: number): number => Math.floor(t / HOUR) * HOUR;

/** 'YYYYMMDDHH' of the UTC hour (the meter event identifier's time part). */
export function hourTag(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, '');
}

export interface HourUnits {
  /** Hour start, ms epoch (UTC, whole hour). */
  h: number;
  units: number;
  endpoint?: string;
}

/** An API key of the tenant (rollups reference one). */
export async function keyIdOf(s: TollgateServer, t: Tenant): Promise<string> {
  const { key } = await createKey(s, t.token, { name: `billing-${crypto.randomBytes(2).toString('hex')}` });
  return key.id as string;
}

/** SQL adding `rows` to the hourly rollups (as the usage shipper would), for one statement in a transaction. */
export const ADD_ROLLUPS_SQL = `
  INSERT INTO usage_rollups (bucket, bucket_start, organization_id, api_key_id, method, endpoint, requests, cost_units)
  SELECT 'hour', to_timestamp(x.h / 1000.0), $1::uuid, $2::uuid, 'POST', x.ep, 1, x.u
    FROM unnest($3::bigint[], $4::bigint[], $5::text[]) AS x(h, u, ep)
  ON CONFLICT (bucket, bucket_start, organization_id, api_key_id, method, endpoint)
  DO UPDATE SET requests = usage_rollups.requests + EXCLUDED.requests,
                cost_units = usage_rollups.cost_units + EXCLUDED.cost_units`;

export function rollupParams(orgId: string, keyId: string, rows: HourUnits[]): unknown[] {
  return [orgId, keyId, rows.map((r) => r.h), rows.map((r) => r.units), rows.map((r) => r.endpoint ?? '/v1/metered')];
}

/** Adds the rows to usage_rollups. */
export async function addRollups(s: TollgateServer, orgId: string, keyId: string, rows: HourUnits[]): Promise<void> {
  await dbQuery(s, ADD_ROLLUPS_SQL, rollupParams(orgId, keyId, rows));
}

/** Runs `fn` in one transaction on its own connection (the server sees all of it at once or nothing). */
export async function inTransaction(s: TollgateServer, fn: (c: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: s.env.DATABASE_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query('BEGIN');
    await fn(client);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The overage of each hour: the hour's share of the units beyond `included`, by cumulative usage in hour order.
 * Hours with the same start are summed first. Returns hour → overage (hours without overage omitted).
 */
export function overageByHour(rows: HourUnits[], included: number): Map<number, number> {
  const perHour = new Map<number, number>();
  for (const r of rows) perHour.set(r.h, (perHour.get(r.h) ?? 0) + r.units);
  const out = new Map<number, number>();
  let cum = 0;
  for (const h of [...perHour.keys()].sort((a, b) => a - b)) {
    const before = cum;
    cum += perHour.get(h)!;
    const over = Math.max(cum - included, 0) - Math.max(before - included, 0);
    if (over > 0) out.set(h, over);
  }
  return out;
}

export function sum(xs: Iterable<number>): number {
  let t = 0;
  for (const x of xs) t += x;
  return t;
}

/** Half-up rounding of the overage amount, once per invoice: (units × price + block / 2) / block, integer division. */
export function overageAmount(units: number, price: number, block: number): number {
  return Number((BigInt(units) * BigInt(price) + BigInt(Math.floor(block / 2))) / BigInt(block));
}

/** A seeded PRNG (mulberry32), so a failing random month can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The meter events the fake stored for a customer and event name, by identifier. */
export function meterEventsOf(fake: FakeStripe, customer: string, eventName: string): Map<string, any> {
  const out = new Map<string, any>();
  for (const [id, ev] of fake.state.meterEvents) {
    if (ev.event_name === eventName && ev.payload?.stripe_customer_id === customer) out.set(id, ev);
  }
  return out;
}

/** usage_meter_reports rows of the organization, ordered by hour and seq. */
export async function meterReports(s: TollgateServer, orgId: string): Promise<any[]> {
  const r = await dbQuery(
    s,
    `SELECT identifier, seq, units::bigint::int AS units, status, attempts, last_error, stripe_meter_event_name AS event,
            (extract(epoch FROM bucket_start) * 1000)::bigint::text AS h
       FROM usage_meter_reports WHERE organization_id = $1 ORDER BY bucket_start, seq`,
    [orgId],
  );
  return r.rows.map((x) => ({ ...x, h: Number(x.h) }));
}

/** The meter reporter's cursor row ('stripe.meter_events'), or undefined. */
export async function meterCursor(s: TollgateServer): Promise<{ position: Date; updatedUs: bigint } | undefined> {
  const r = await dbQuery(
    s,
    `SELECT position, (extract(epoch FROM updated_at) * 1000000)::bigint::text AS us FROM billing_cursors WHERE name = 'stripe.meter_events'`,
  );
  if (r.rows.length === 0) return undefined;
  return { position: r.rows[0].position, updatedUs: BigInt(r.rows[0].us) };
}

/** Waits until the meter reporter completed a whole round (the cursor is written at the end of each) after now. */
export async function meterRoundsPass(s: TollgateServer, rounds = 2, withinMs = 15_000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const now = await dbQuery(s, `SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text AS us`);
    const mark = BigInt(now.rows[0].us);
    await until('a meter reporting round', async () => {
      const c = await meterCursor(s);
      return c && c.updatedUs > mark ? true : undefined;
    }, withinMs);
  }
}

export { newTenant, type Tenant };
