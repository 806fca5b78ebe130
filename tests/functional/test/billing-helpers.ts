/** Shared by the billing tests. */
import crypto from 'node:crypto';
import { expect } from 'vitest';
import { sleep } from '../harness/env.js';
import type { FetchResult } from '../harness/http.js';
import { validateResponse, expectProblemShape } from '../harness/openapi.js';
import type { TollgateServer } from '../harness/server.js';
import { encodeForm, signPayload, makeEvent, type FakeStripe, type RecordedRequest, type StripeEvent } from '../harness/fake-stripe.js';
import { api, dbQuery, PUBLIC_URL } from './auth-helpers.js';
import { createKey, newTenant, type Tenant } from './keys-helpers.js';

/**
 * Polls `probe` (every 150 ms) until it returns something other than undefined, or throws after `withinMs`
 * (with the last error the probe threw, if any).
 */
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

// ------------------------------------------------------------------------------------- paths, env

export const B = {
  subscription: '/api/user/subscription',
  checkout: '/api/user/subscription/checkout',
  preview: '/api/user/subscription/preview',
  change: '/api/user/subscription/change',
  cancel: '/api/user/subscription/cancel',
  resume: '/api/user/subscription/resume',
  portal: '/api/user/billing/portal',
  paymentMethods: '/api/user/billing/payment-methods',
  pmSetup: '/api/user/billing/payment-methods/setup',
  pmDefault: '/api/user/billing/payment-methods/{id}/default',
  pm: '/api/user/billing/payment-methods/{id}',
  invoices: '/api/user/billing/invoices',
  invoice: '/api/user/billing/invoices/{id}',
  upcoming: '/api/user/billing/upcoming',
} as const;
export type BillingPath = (typeof B)[keyof typeof B];

/** Fills `{id}` of a path template. */
export function fill(path: BillingPath, id: string): string {
  return path.replace('{id}', encodeURIComponent(id));
}

/** Where Stripe sends the customer back to (PUBLIC_URL of the billing test servers). */
export const APP_URL = PUBLIC_URL;
export const STRIPE_KEY = 'sk_test_tollgate';
export const STRIPE_VERSION = '2024-06-20';

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

// --------------------------------------------------------------------------------- contract checks

/** Expects `status` (2xx), a JSON body valid for the spec's response; returns the parsed body (undefined for 204). */
export function ok(r: FetchResult, method: string, path: BillingPath, status = 200): any {
  expect(r.status, `expected ${status} from ${method.toUpperCase()} ${path}, got ${r.status}: ${r.text.slice(0, 800)}`).toBe(status);
  if (status === 204) {
    expect(r.text).toBe('');
    validateResponse(method, path, 204, r.contentType || null, r.text);
    return undefined;
  }
  expect(r.contentType).toMatch(/^application\/json\b/i);
  validateResponse(method, path, status, r.contentType, r.text);
  return r.json;
}

/** An error answer: problem+json, the Problem schema, the documented response of the path, the code and requestId. */
export function problem(r: FetchResult, method: string, path: BillingPath, status: number, code: string): any {
  expect(r.status, `expected ${status} ${code} from ${method.toUpperCase()} ${path}, got ${r.status}: ${r.text.slice(0, 800)}`).toBe(status);
  const body = expectProblemShape(status, r.contentType, r.text);
  expect(body.code, r.text).toBe(code);
  expect(body.requestId).toBe(r.headers.get('x-request-id'));
  validateResponse(method, path, status, r.contentType, r.text);
  return body;
}

/** 422 VALIDATION_FAILED naming `field` in errors[]. */
export function invalid(r: FetchResult, method: string, path: BillingPath, field: string): any {
  const body = problem(r, method, path, 422, 'VALIDATION_FAILED');
  expect(Array.isArray(body.errors), r.text).toBe(true);
  expect(body.errors.some((e: { field: string }) => e.field === field), `errors[] should name "${field}": ${JSON.stringify(body.errors)}`).toBe(true);
  return body;
}

/** The body with its requestId blanked (two "not found" answers must otherwise be identical). */
export function withoutRequestId(r: FetchResult): unknown {
  const { requestId: _ignored, ...rest } = r.json ?? {};
  return rest;
}

/** The RFC 3339 form the API uses for timestamps (whole seconds, UTC, `Z`). */
export function isoSeconds(t: number | Date): string {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

// ------------------------------------------------------------------------------------- fake Stripe

/** Calls the fake Stripe API as Stripe's dashboard / a test would (expects 2xx). */
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

/** Requests Tollgate sent to the fake after `since` (an index into fake.requests). */
export function sentSince(fake: FakeStripe, since: number, method?: string, pathPrefix?: string): RecordedRequest[] {
  return fake.requests
    .slice(since)
    .filter((r) => (!method || r.method === method) && (!pathPrefix || r.path.startsWith(pathPrefix)))
    .filter((r) => r.headers.authorization === `Bearer ${STRIPE_KEY}` && r.headers['user-agent'] === 'Tollgate');
}

/** Every call Tollgate makes pins the API version and authenticates; POSTs are form-encoded with an Idempotency-Key. */
export function expectTollgateCall(r: RecordedRequest): void {
  expect(r.stripeVersion, `${r.method} ${r.path}`).toBe(STRIPE_VERSION);
  expect(r.headers.authorization).toBe(`Bearer ${STRIPE_KEY}`);
  if (r.method === 'POST') {
    expect(r.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(r.idempotencyKey, `Idempotency-Key of POST ${r.path}`).toBeTruthy();
  }
}

// ------------------------------------------------------------------------------------------- plans

export interface PlanSpec {
  name?: string;
  type?: 'SUBSCRIPTION' | 'PAY_AS_YOU_GO' | 'HYBRID';
  currency?: string;
  priceMonthly?: number;
  /** null: no annual option. */
  priceAnnual?: number | null;
  includedUnits?: number;
  overagePrice?: number;
  overageBlock?: number;
  policy?: 'hard_cap' | 'allow_overage';
  trialDays?: number;
  status?: 'active' | 'archived';
}

export interface TestPlan {
  id: string;
  slug: string;
  name: string;
  type: string;
  currency: string;
  priceMonthly: number;
  priceAnnual: number | null;
  includedUnits: number;
  overagePrice: number;
  overageBlock: number;
  policy: string;
  trialDays: number;
  /** Stripe ids once synced (syncPlan). */
  stripe: { product?: string; monthly?: string; annual?: string; metered?: string };
}

/**
 * A plan of this test only (unique slug, not public), inserted by SQL: the seeded plans stay as other files
 * expect them. Defaults: a SUBSCRIPTION plan at 2,900/month without an annual price.
 */
export async function insertPlan(s: TollgateServer, spec: PlanSpec = {}): Promise<TestPlan> {
  const slug = `tb-${crypto.randomBytes(5).toString('hex')}`;
  const p = {
    name: spec.name ?? `Plan ${slug}`,
    type: spec.type ?? 'SUBSCRIPTION',
    currency: spec.currency ?? 'USD',
    priceMonthly: spec.priceMonthly ?? 2900,
    priceAnnual: spec.priceAnnual === undefined ? null : spec.priceAnnual,
    includedUnits: spec.includedUnits ?? 10_000,
    overagePrice: spec.overagePrice ?? 0,
    overageBlock: spec.overageBlock ?? 1000,
    policy: spec.policy ?? (spec.type && spec.type !== 'SUBSCRIPTION' ? 'allow_overage' : 'hard_cap'),
    trialDays: spec.trialDays ?? 0,
    status: spec.status ?? 'active',
  };
  const r = await dbQuery(
    s,
    `INSERT INTO plans (slug, name, description, type, currency, price_monthly_minor, price_annual_minor, included_units,
                        overage_price_minor, overage_block_units, quota_policy, rate_limit_per_minute, max_api_keys,
                        max_members, trial_days, status, is_public)
     VALUES ($1, $2, 'A plan of the billing tests', $3, $4, $5, $6, $7, $8, $9, $10, 1000, 10, 5, $11, $12, false)
     RETURNING id::text AS id`,
    [slug, p.name, p.type, p.currency, p.priceMonthly, p.priceAnnual, p.includedUnits, p.overagePrice, p.overageBlock, p.policy, p.trialDays, p.status],
  );
  return {
    id: r.rows[0].id,
    slug,
    name: p.name,
    type: p.type,
    currency: p.currency,
    priceMonthly: p.priceMonthly,
    priceAnnual: p.priceAnnual,
    includedUnits: p.includedUnits,
    overagePrice: p.overagePrice,
    overageBlock: p.overageBlock,
    policy: p.policy,
    trialDays: p.trialDays,
    stripe: {},
  };
}

/**
 * Creates the plan's product and prices in the fake (monthly, annual when the plan has an annual price, metered
 * when it bills overage and `metered` is not false) and records their ids on the plan, as the catalog sync would.
 */
export async function syncPlan(
  s: TollgateServer,
  fake: FakeStripe,
  plan: TestPlan,
  which: { monthly?: boolean; annual?: boolean; metered?: boolean } = {},
): Promise<TestPlan> {
  const product = await stripeApi(fake, 'POST', '/v1/products', { name: plan.name, metadata: { plan: plan.slug } });
  const cur = plan.currency.toLowerCase();
  const out: TestPlan['stripe'] = { product: product.id };
  if (which.monthly !== false && plan.priceMonthly > 0) {
    out.monthly = (await stripeApi(fake, 'POST', '/v1/prices', { product: product.id, currency: cur, unit_amount: plan.priceMonthly, recurring: { interval: 'month' } })).id;
  }
  if (which.annual !== false && plan.priceAnnual) {
    out.annual = (await stripeApi(fake, 'POST', '/v1/prices', { product: product.id, currency: cur, unit_amount: plan.priceAnnual, recurring: { interval: 'year' } })).id;
  }
  if (which.metered !== false && plan.type !== 'SUBSCRIPTION' && plan.overagePrice > 0) {
    out.metered = (
      await stripeApi(fake, 'POST', '/v1/prices', {
        product: product.id,
        currency: cur,
        unit_amount_decimal: String(plan.overagePrice / plan.overageBlock),
        recurring: { interval: 'month', usage_type: 'metered' },
      })
    ).id;
  }
  await dbQuery(
    s,
    `UPDATE plans SET stripe_product_id = $2, stripe_price_monthly_id = $3, stripe_price_annual_id = $4,
                      stripe_price_metered_id = $5, stripe_synced_at = now() WHERE id = $1`,
    [plan.id, out.product, out.monthly ?? null, out.annual ?? null, out.metered ?? null],
  );
  plan.stripe = out;
  return plan;
}

/** A plan created and synced to the fake. */
export async function stripePlan(s: TollgateServer, fake: FakeStripe, spec: PlanSpec = {}): Promise<TestPlan> {
  return syncPlan(s, fake, await insertPlan(s, spec));
}

// ------------------------------------------------------------------------------- tenants, customers

/** The organization's Stripe customer id, once the stripe.create_customer job recorded it. */
export async function customerOf(s: TollgateServer, orgId: string): Promise<string> {
  return until('the Stripe customer of the organization', async () => {
    const r = await dbQuery(s, 'SELECT stripe_customer_id FROM organizations WHERE id = $1', [orgId]);
    return r.rows[0]?.stripe_customer_id ?? undefined;
  });
}

/** A fresh tenant whose Stripe customer exists (so no background customer call is pending afterwards). */
export async function stripeTenant(s: TollgateServer, tag = 'bill'): Promise<Tenant & { customer: string }> {
  const t = await newTenant(s, tag);
  return { ...t, customer: await customerOf(s, t.orgId) };
}

/** GET /api/user/subscription (spec-valid 200). */
export async function subscriptionOf(s: TollgateServer, token: string): Promise<any> {
  return ok(await api(s, 'get', B.subscription, { token }), 'get', B.subscription);
}

/**
 * Subscribes through Tollgate's checkout and the fake's hosted page (the card's last4 chosen by `card`), then
 * waits until GET /api/user/subscription shows the plan. Returns the Stripe subscription.
 */
export async function subscribe(
  s: TollgateServer,
  fake: FakeStripe,
  t: Tenant,
  plan: TestPlan,
  opts: { interval?: 'month' | 'year'; last4?: string } = {},
): Promise<{ subId: string; sub: any; session: string }> {
  const r = await api(s, 'post', B.checkout, { token: t.token, body: { plan: plan.slug, interval: opts.interval ?? 'month' } });
  const session = ok(r, 'post', B.checkout);
  const visit = await fetch(session.url + (opts.last4 ? `?last4=${opts.last4}` : ''), { redirect: 'manual' });
  expect(visit.status, 'the fake checkout page redirects back').toBe(303);
  const cs = fake.state.checkoutSessions.get(session.id);
  expect(cs?.status).toBe('complete');
  const subId = cs!.subscription as string;
  await until(`the subscription on ${plan.slug}`, async () => {
    const body = await subscriptionOf(s, t.token);
    return body.plan.slug === plan.slug && body.source === 'stripe' ? body : undefined;
  });
  // The checkout's other webhooks (invoice.*) are still being processed and read Stripe: let them settle, so a
  // test counting the requests Tollgate sends afterwards sees only its own.
  await until('the checkout webhooks processed', async () => {
    const r = await dbQuery(
      s,
      "SELECT count(*)::int AS n FROM jobs WHERE kind = 'stripe.process_event' AND (status = 'running' OR (status = 'queued' AND attempts = 0))",
    );
    return r.rows[0].n === 0 ? true : undefined;
  });
  return { subId, sub: fake.state.subscriptions.get(subId), session: session.id };
}

/** Waits until the stored webhook events have been handled (processed or ignored); returns their statuses. */
export async function eventsHandled(s: TollgateServer, eventIds: string[], withinMs = 15_000): Promise<Record<string, string>> {
  return until(`events ${eventIds.join(', ')} handled`, async () => {
    const r = await dbQuery(s, 'SELECT stripe_event_id, status FROM stripe_webhook_events WHERE stripe_event_id = ANY($1)', [eventIds]);
    const statuses: Record<string, string> = Object.fromEntries(r.rows.map((x) => [x.stripe_event_id, x.status]));
    return r.rows.length === eventIds.length && r.rows.every((x) => x.status === 'processed' || x.status === 'ignored') ? statuses : undefined;
  }, withinMs);
}

/** Delivers `event` (signed like Stripe) and waits until Tollgate has processed it. */
export async function deliverAndWait(s: TollgateServer, fake: FakeStripe, event: StripeEvent): Promise<void> {
  const [res] = await fake.deliver(event);
  expect(res!.status, res!.body).toBe(200);
  await eventsHandled(s, [event.id]);
}

/** An event of the fake's own log (what the API calls emitted), newest first, matching type and object id. */
export function emitted(fake: FakeStripe, type: string, objectId: string): StripeEvent[] {
  return [...fake.state.events.values()]
    .filter((e) => e.type === type && (e.data.object as { id?: string })?.id === objectId)
    .reverse();
}

/** A raw signed webhook POST (for concurrent deliveries of one payload). */
export function postSigned(s: TollgateServer, fake: FakeStripe, payload: string): Promise<FetchResult> {
  return api(s, 'post', '/api/stripe/webhook', {
    body: payload,
    headers: { 'stripe-signature': signPayload(payload, fake.webhookSecret) },
  });
}

export { makeEvent };

// ------------------------------------------------------------------------------------------- usage

/** An API key id of the tenant (usage rollups reference one). */
export async function keyIdOf(s: TollgateServer, t: Tenant): Promise<string> {
  const { key } = await createKey(s, t.token, { name: 'billing' });
  return key.id as string;
}

/** Adds `units` of cost to the hourly rollup of the hour containing `at` (as the usage shipper would). */
export async function addUsage(s: TollgateServer, orgId: string, keyId: string, at: Date | string, units: number): Promise<void> {
  await dbQuery(
    s,
    `INSERT INTO usage_rollups (bucket, bucket_start, organization_id, api_key_id, requests, cost_units)
     VALUES ('hour', date_trunc('hour', $1::timestamptz, 'UTC'), $2, $3, $4, $4)
     ON CONFLICT (bucket, bucket_start, organization_id, api_key_id, method, endpoint)
     DO UPDATE SET requests = usage_rollups.requests + EXCLUDED.requests, cost_units = usage_rollups.cost_units + EXCLUDED.cost_units`,
    [typeof at === 'string' ? at : at.toISOString(), orgId, keyId, units],
  );
}

/** Puts the organization on a local subscription of `planId` with the given period (ends any current one). */
export async function localSubscription(
  s: TollgateServer,
  orgId: string,
  planId: string,
  opts: { start: string; end: string; interval?: 'month' | 'year'; source?: 'local' | 'manual' | 'stripe'; cancelAtPeriodEnd?: boolean; stripeId?: string },
): Promise<{ id: string; start: Date; end: Date }> {
  await dbQuery(
    s,
    `UPDATE subscriptions SET status = 'canceled', canceled_at = now(), ended_at = now()
      WHERE organization_id = $1 AND status IN ('trialing','active','past_due','unpaid','paused')`,
    [orgId],
  );
  const r = await dbQuery(
    s,
    `INSERT INTO subscriptions (organization_id, plan_id, status, source, billing_interval, current_period_start,
                                current_period_end, cancel_at_period_end, stripe_subscription_id)
     VALUES ($1, $2, 'active', $3, $4, ${opts.start}, ${opts.end}, $5, $6)
     RETURNING id::text AS id, current_period_start AS start, current_period_end AS "end"`,
    [orgId, planId, opts.source ?? 'local', opts.interval ?? 'month', opts.cancelAtPeriodEnd ?? false, opts.stripeId ?? null],
  );
  return r.rows[0];
}

/** Half-up rounding of the overage amount, once per invoice: (units × price + block / 2) / block, integer division. */
export function overageAmount(units: number, price: number, block: number): number {
  return Math.floor((units * price + Math.floor(block / 2)) / block);
}

/** Audit rows of the organization with `action`, oldest first. */
export async function auditRows(s: TollgateServer, orgId: string, action: string): Promise<any[]> {
  const r = await dbQuery(s, 'SELECT * FROM audit_log WHERE organization_id = $1 AND action = $2 ORDER BY id', [orgId, action]);
  return r.rows;
}

/** email_outbox rows sent to `email` with `template`. */
export async function mails(s: TollgateServer, email: string, template: string): Promise<any[]> {
  const r = await dbQuery(s, 'SELECT * FROM email_outbox WHERE lower(to_email) = lower($1) AND template = $2 ORDER BY created_at', [email, template]);
  return r.rows;
}

/** A seeded PRNG (mulberry32) so a failing random order can be replayed from its printed seed. */
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

export function shuffle<T>(xs: readonly T[], rnd: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
