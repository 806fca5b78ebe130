/**
 * Fault suite: Stripe failing. The fake Stripe API answers 500/503 (`failNext`) and, through a small node:http proxy
 * in front of it (STRIPE_API_BASE points at the proxy), "times out": the proxy forwards a call, the fake performs it
 * (the customer / price / session / meter event exists), and the proxy holds the answer past Tollgate's Stripe
 * timeout (src/billing/stripe_client.hpp: 20 s per attempt, 3 retries with 0.5/1/2 s back-off). That is the case
 * where a retry without the same Idempotency-Key would create a second object.
 *
 * Covered, against one server:
 *  - plan catalog sync (`stripe.sync_plan`, the seeded plans at start): 500s on products, 503s on prices, a 500 on
 *    meters, one price answer lost → one product / price / meter per plan, every retry with the same key;
 *  - customer creation (`stripe.create_customer`, queued by registration): 500s and one lost answer → exactly one
 *    customer per organization, recorded, every attempt with `tollgate-create-customer-<org>`;
 *  - metered usage reporting (billing upkeep): 500s and one lost answer → the ledger's identifiers only (no new
 *    seq rows), each sent with itself as the key, Stripe's meter total = the overage exactly;
 *  - checkout (request path): 500 on every attempt → the documented 503 STRIPE_UNAVAILABLE after 4 attempts with one
 *    key; a lost answer → 200 with the session the first attempt created (replayed), one session.
 * Meanwhile a prober calls Tollgate's own API (plans, subscription, invoices, payment methods, readiness,
 * registration): every answer is an explicitly documented status of its path, never a 500.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import { printLogsOnFailure } from '../functional/harness/vitest-helpers.js';
import { startServer, type TollgateServer } from '../functional/harness/server.js';
import { startFakeStripe, type FakeStripe } from '../functional/harness/fake-stripe.js';
import { loadSpec } from '../functional/harness/openapi.js';
import { sleep } from '../functional/harness/env.js';
import { request } from '../functional/harness/http.js';
import { GOOD_PASSWORD, api, dbQuery, postJson, uniqueEmail } from '../functional/test/auth-helpers.js';
import { newTenant, type Tenant } from '../functional/test/keys-helpers.js';
import {
  A,
  ADD_ROLLUPS_SQL,
  HOUR,
  checkoutStripe,
  customerOf,
  floorHour,
  hourTag,
  inTransaction,
  keyIdOf,
  meterReports,
  okJson,
  problemOf,
  rollupParams,
  stripeEnv,
  until,
} from '../functional/test/billing-admin-helpers.js';

/** Tollgate's per-attempt Stripe timeout (StripeOptions::timeout). */
const STRIPE_TIMEOUT_MS = 20_000;
/** The proxy gives up holding an answer after this long (Tollgate should have hung up well before). */
const HOLD_MAX_MS = 40_000;

// ------------------------------------------------------------------------------------------ the proxy

interface ProxyRecord {
  method: string;
  path: string;
  key?: string;
  /** The fake's answer status (what Tollgate got, unless held). */
  status: number;
  /** The fake replayed a stored answer for the Idempotency-Key. */
  replayed: boolean;
  /** The answer was withheld: Tollgate saw a timeout. */
  held: boolean;
  /** For held answers: when Tollgate hung up, ms after the fake answered. */
  abandonedAfterMs?: number;
  body: string;
  answer: string;
  at: number;
}

interface StripeProxy {
  url: string;
  records: ProxyRecord[];
  /** The next `times` 2xx answers to method + path prefix are withheld until Tollgate gives up. */
  holdNextSuccess(method: string, prefix: string, times?: number): void;
  holdsLeft(): number;
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<StripeProxy> {
  const t = new URL(target);
  const rules: Array<{ method: string; prefix: string; left: number }> = [];
  const records: ProxyRecord[] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: http.OutgoingHttpHeaders = { ...req.headers, host: t.host, 'content-length': String(body.length) };
      delete headers.connection;
      const up = http.request(
        { host: t.hostname, port: Number(t.port), method: req.method, path: req.url, headers, agent: false },
        (ures) => {
          const uchunks: Buffer[] = [];
          ures.on('data', (c: Buffer) => uchunks.push(c));
          ures.on('end', () => {
            const answer = Buffer.concat(uchunks);
            const path = (req.url ?? '/').split('?')[0]!;
            const key = req.headers['idempotency-key'];
            const rec: ProxyRecord = {
              method: req.method ?? 'GET',
              path,
              key: Array.isArray(key) ? key[0] : key,
              status: ures.statusCode ?? 0,
              replayed: ures.headers['idempotent-replayed'] === 'true',
              held: false,
              body: body.toString('utf8'),
              answer: answer.toString('utf8'),
              at: Date.now(),
            };
            records.push(rec);
            const rule = rec.status < 300 ? rules.find((r) => r.left > 0 && r.method === rec.method && path.startsWith(r.prefix)) : undefined;
            if (rule) {
              rule.left -= 1;
              rec.held = true;
              const t0 = Date.now();
              open.add(res);
              const timer = setTimeout(() => res.destroy(), HOLD_MAX_MS);
              res.on('close', () => {
                clearTimeout(timer);
                open.delete(res);
                rec.abandonedAfterMs = Date.now() - t0;
              });
              return;
            }
            const h: http.OutgoingHttpHeaders = { ...ures.headers, 'content-length': String(answer.length) };
            delete h.connection;
            delete h['keep-alive'];
            delete h['transfer-encoding'];
            res.writeHead(rec.status, h);
            res.end(answer);
          });
        },
      );
      up.on('error', (e) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy: ${e.message}`);
      });
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    holdNextSuccess(method, prefix, times = 1) {
      rules.push({ method: method.toUpperCase(), prefix, left: times });
    },
    holdsLeft: () => rules.reduce((a, r) => a + r.left, 0),
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of open) r.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// ------------------------------------------------------------------------------------------ the prober

interface Probe {
  path: string;
  method: string;
  status: number;
  code?: string;
  ms: number;
  error?: string;
  at: number;
}

/** Explicitly documented statuses of a path (not `default`). */
function documentedStatuses(method: string, path: string): number[] {
  const op = loadSpec().paths[path]?.[method.toLowerCase()];
  return Object.keys(op?.responses ?? {})
    .filter((k) => /^\d{3}$/.test(k))
    .map(Number);
}

function startProber(s: TollgateServer, token: string, orgs: string[]): { stop(): Promise<Probe[]> } {
  const probes: Probe[] = [];
  let stopping = false;
  const loop = async (method: string, path: string, everyMs: number, call: () => Promise<{ status: number; json: any; ms: number }>) => {
    while (!stopping) {
      const t0 = Date.now();
      try {
        const r = await call();
        probes.push({ path, method, status: r.status, code: r.json?.code, ms: Math.round(r.ms), at: t0 });
        if (path === '/api/auth/register' && r.status === 201) orgs.push(r.json.organizationId);
      } catch (e) {
        probes.push({ path, method, status: 0, ms: Date.now() - t0, error: (e as Error).message, at: t0 });
      }
      await sleep(Math.max(0, everyMs - (Date.now() - t0)));
    }
  };
  const get = (path: string, timeoutMs = 60_000) => () =>
    request(s.baseUrl + path, { headers: { authorization: `Bearer ${token}` }, timeoutMs });
  const loops = [
    loop('GET', '/api/plans', 300, get('/api/plans')),
    loop('GET', '/api/user/subscription', 300, get('/api/user/subscription')),
    loop('GET', '/api/user/billing/invoices', 500, get('/api/user/billing/invoices')),
    loop('GET', '/api/user/billing/payment-methods', 500, get('/api/user/billing/payment-methods')),
    loop('GET', '/readyz', 500, get('/readyz')),
    loop('POST', '/api/auth/register', 2500, () => postJson(s, '/api/auth/register', { email: uniqueEmail('stripe-probe'), password: GOOD_PASSWORD })),
  ];
  return {
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return probes;
    },
  };
}

// ------------------------------------------------------------------------------------------ assertions

/**
 * Every idempotent POST Tollgate sent: all attempts of one key went to one path with one body; every key whose
 * attempt failed (5xx) or lost its answer was retried with that same key until a 2xx reached Tollgate
 * (`finalFailureKeys` excepted: request-path calls that gave up and answered 503).
 */
function expectSameKeyRetries(records: ProxyRecord[], finalFailureKeys: Set<string> = new Set()): { retriedKeys: number; failedAttempts: number; held: number } {
  const byKey = new Map<string, ProxyRecord[]>();
  for (const r of records.filter((x) => x.method === 'POST')) {
    expect(r.key, `POST ${r.path} without an Idempotency-Key`).toBeTruthy();
    byKey.set(r.key!, [...(byKey.get(r.key!) ?? []), r]);
  }
  let retriedKeys = 0;
  let failedAttempts = 0;
  let held = 0;
  for (const [key, rs] of byKey) {
    expect(new Set(rs.map((r) => r.path)).size, `key ${key} used on several paths`).toBe(1);
    expect(new Set(rs.map((r) => r.body)).size, `key ${key} used with different bodies`).toBe(1);
    const bad = rs.filter((r) => r.status >= 500 || r.held);
    failedAttempts += rs.filter((r) => r.status >= 500).length;
    held += rs.filter((r) => r.held).length;
    if (bad.length === 0) continue;
    retriedKeys++;
    if (finalFailureKeys.has(key)) continue;
    const lastBad = bad[bad.length - 1]!;
    const later = rs.filter((r) => r.at > lastBad.at && r.status < 300 && !r.held);
    expect(later.length, `key ${key}: a failed/lost attempt at ${lastBad.path} was never retried to success with the same key`).toBeGreaterThan(0);
  }
  return { retriedKeys, failedAttempts, held };
}

/** Distinct keys that got a 2xx from the fake on an object-creating path (what should equal the objects made). */
function keysCreated(records: ProxyRecord[], path: string): Set<string> {
  return new Set(records.filter((r) => r.method === 'POST' && r.path === path && r.status < 300).map((r) => r.key!));
}

// ------------------------------------------------------------------------------------------------ test

describe('Stripe failing: 500s and timeouts on every call Tollgate makes; same keys, no duplicate effects', () => {
  let fake: FakeStripe;
  let proxy: StripeProxy;
  let server: TollgateServer | undefined;
  let prober: { stop(): Promise<Probe[]> } | undefined;
  const orgs: string[] = [];
  const s = () => server!;

  beforeAll(async () => {
    fake = await startFakeStripe();
    proxy = await startProxy(fake.url);
    // Armed before the start, for the start-up catalog sync of the seeded plans.
    fake.failNext('POST', '/v1/products', 500, { times: 5 });
    fake.failNext('POST', '/v1/prices', 503, { times: 2 });
    fake.failNext('POST', '/v1/billing/meters', 500, { times: 1 });
    proxy.holdNextSuccess('POST', '/v1/prices', 1);
    server = await startServer({
      ...stripeEnv(fake),
      STRIPE_API_BASE: proxy.url,
      STRIPE_SYNC_PLANS_ON_START: 'true',
      BILLING_JOB_INTERVAL_SECONDS: '1',
    });
    fake.webhookUrl = server.baseUrl + '/api/stripe/webhook';
  }, 60_000);
  afterAll(async () => {
    await prober?.stop();
    await server?.stop('SIGTERM');
    await proxy?.close();
    await fake?.close();
  });
  printLogsOnFailure(() =>
    proxy
      ? `--- Tollgate → Stripe (through the proxy) ---\n${proxy.records
          .map((r) => `${new Date(r.at).toISOString()} ${r.method} ${r.path} key=${r.key ?? ''} → ${r.status}${r.replayed ? ' (replayed)' : ''}${r.held ? ` HELD, abandoned after ${r.abandonedAfterMs} ms` : ''}`)
          .join('\n')}`
      : '',
  );

  let probeTenant: Tenant;
  let meterTenant: Tenant & { keyId: string; subId: string; customer: string };

  it('plan sync at start through 500s, 503s and a lost answer: one product, price and meter per plan, retried with the same keys', async () => {
    // Tollgate's own API while the sync is failing: registration works, checkout of a plan not synced yet is a 409.
    probeTenant = await newTenant(s(), 'stripe-probe');
    orgs.push(probeTenant.orgId);
    prober = startProber(s(), probeTenant.token, orgs);
    const early = await api(s(), 'post', A.checkout, { token: probeTenant.token, body: { plan: 'starter', interval: 'month' } });
    if (early.status !== 200) problemOf(early, 'post', A.checkout, 409, 'PLAN_NOT_SYNCED');

    const t0 = Date.now();
    const plans = await until(
      'the seeded plans synced',
      async () => {
        const jobs = await dbQuery(s(), `SELECT status, count(*)::int AS n FROM jobs WHERE kind = 'stripe.sync_plan' GROUP BY status`);
        const by = Object.fromEntries(jobs.rows.map((r) => [r.status, r.n]));
        if (by.dead) throw new Error(`sync job dead: ${JSON.stringify(by)}`);
        if (!by.done || by.queued || by.running) return undefined;
        const r = await dbQuery(
          s(),
          `SELECT id::text AS id, slug, type, price_monthly_minor AS monthly_amount, price_annual_minor AS annual_amount,
                  overage_price_minor AS overage, stripe_product_id AS product, stripe_price_monthly_id AS monthly,
                  stripe_price_annual_id AS annual, stripe_price_metered_id AS metered, stripe_meter_id AS meter
             FROM plans ORDER BY display_order`,
        );
        return r.rows.every((p) => p.product) ? r.rows : undefined;
      },
      90_000,
    );
    const syncMs = Date.now() - t0;
    expect(plans.map((p) => p.slug)).toEqual(['free', 'starter', 'pro', 'business']);

    // One object per plan and option, and nothing else at Stripe.
    const wantPrices = plans.flatMap((p) => [p.monthly, p.annual, p.metered].filter(Boolean));
    expect(plans.filter((p) => p.slug !== 'free').every((p) => p.monthly && p.annual && p.metered && p.meter), JSON.stringify(plans)).toBe(true);
    expect([...fake.state.products.keys()].sort(), 'products at Stripe = the plans\' products').toEqual(plans.map((p) => p.product).sort());
    expect([...fake.state.prices.keys()].sort(), 'prices at Stripe = the plans\' prices').toEqual([...wantPrices].sort());
    expect([...fake.state.billingMeters.keys()].sort(), 'meters at Stripe = the plans\' meters').toEqual(plans.filter((p) => p.meter).map((p) => p.meter).sort());
    for (const p of plans) {
      expect(fake.state.products.get(p.product)!.metadata).toMatchObject({ plan_id: p.id, plan: p.slug });
      for (const id of [p.monthly, p.annual, p.metered].filter(Boolean)) expect(fake.state.prices.get(id)!.product).toBe(p.product);
    }
    expect(keysCreated(proxy.records, '/v1/products').size).toBe(fake.state.products.size);
    expect(keysCreated(proxy.records, '/v1/prices').size).toBe(fake.state.prices.size);
    expect(keysCreated(proxy.records, '/v1/billing/meters').size).toBe(fake.state.billingMeters.size);

    // The faults happened, and each failed or lost attempt was retried with its key.
    const sync = proxy.records.filter((r) => ['/v1/products', '/v1/prices', '/v1/billing/meters'].includes(r.path));
    expect(sync.filter((r) => r.path === '/v1/products' && r.status === 500).length).toBe(5);
    expect(sync.filter((r) => r.path === '/v1/prices' && r.status === 503).length).toBe(2);
    expect(sync.filter((r) => r.path === '/v1/billing/meters' && r.status === 500).length).toBe(1);
    const held = sync.filter((r) => r.held);
    expect(held.length, 'one price answer withheld').toBe(1);
    expect(held[0]!.abandonedAfterMs, 'Tollgate gave up on the withheld answer (its timeout)').toBeGreaterThan(STRIPE_TIMEOUT_MS - 1500);
    expect(held[0]!.abandonedAfterMs!).toBeLessThan(STRIPE_TIMEOUT_MS + 5000);
    const after = sync.filter((r) => r.key === held[0]!.key && r.at > held[0]!.at);
    expect(after.length).toBeGreaterThan(0);
    expect(after[0]!.replayed, 'the retry after the timeout got the stored answer (same key)').toBe(true);
    const stats = expectSameKeyRetries(sync);
    const job = await dbQuery(s(), `SELECT max(attempts)::int AS max, sum(attempts)::int AS total, count(*)::int AS n FROM jobs WHERE kind = 'stripe.sync_plan'`);
    expect(job.rows[0].max, 'a sync job failed whole and ran again').toBeGreaterThanOrEqual(2);
    console.info(
      `[stripe] plan sync: ${job.rows[0].n} jobs, ${job.rows[0].total} runs, ${sync.length} creating POSTs (${stats.failedAttempts} answered 5xx, ` +
        `${stats.held} answer lost: Tollgate hung up after ${held[0]!.abandonedAfterMs} ms), ${stats.retriedKeys} keys retried; ` +
        `${fake.state.products.size} products, ${fake.state.prices.size} prices, ${fake.state.billingMeters.size} meters; all synced ${syncMs} ms after the first check`,
    );

    // A tenant on Starter for the meter case below (its customer exists, its subscription is mirrored).
    const mt = await newTenant(s(), 'stripe-meter');
    orgs.push(mt.orgId);
    const keyId = await keyIdOf(s(), mt);
    const { subId, customer } = await checkoutStripe(s(), fake, mt, 'starter');
    meterTenant = { ...mt, keyId, subId, customer };
  }, 120_000);

  it('customer creation (500s, a lost answer) and meter reporting (500s, a lost answer) at once: one customer per organization, the overage reported exactly once', async () => {
    const since = proxy.records.length;
    fake.failNext('POST', '/v1/customers', 500, { times: 6 });
    proxy.holdNextSuccess('POST', '/v1/customers', 1);
    fake.failNext('POST', '/v1/billing/meter_events', 500, { times: 5 });
    proxy.holdNextSuccess('POST', '/v1/billing/meter_events', 1);

    // Usage beyond Starter's 50,000 included units in three past hours of the current period.
    const H = floorHour(Date.now());
    const rows = [
      { h: H - 4 * HOUR, units: 40_000 },
      { h: H - 3 * HOUR, units: 20_000 }, // 10,000 over
      { h: H - 2 * HOUR, units: 5_000 }, // 5,000 over
      { h: H - 1 * HOUR, units: 7 }, // 7 over
    ];
    const wantOver = new Map([
      [H - 3 * HOUR, 10_000],
      [H - 2 * HOUR, 5_000],
      [H - 1 * HOUR, 7],
    ]);
    await inTransaction(s(), async (c) => {
      await c.query(ADD_ROLLUPS_SQL, rollupParams(meterTenant.orgId, meterTenant.keyId, rows));
      const r = await c.query(`UPDATE subscriptions SET current_period_start = to_timestamp($2::bigint / 1000.0) WHERE stripe_subscription_id = $1`, [
        meterTenant.subId,
        H - 4 * HOUR,
      ]);
      expect(r.rowCount).toBe(1);
    });

    // Three sign-ups while Stripe fails (the prober signs up more).
    const t0 = Date.now();
    const tenants = await Promise.all([0, 1, 2].map((i) => newTenant(s(), `stripe-cust${i}`)));
    const signupMs = Date.now() - t0;
    orgs.push(...tenants.map((t) => t.orgId));
    for (const t of tenants) await until(`customer of ${t.orgId}`, () => customerOf(s(), t.orgId), 60_000);
    const idOf = (h: number) => `tg-${meterTenant.orgId}-${hourTag(h)}-0`;
    const ledger = await until(
      'the meter reports sent',
      async () => {
        const l = await meterReports(s(), meterTenant.orgId);
        return l.length >= wantOver.size && l.every((x) => x.status === 'sent') ? l : undefined;
      },
      60_000,
    );

    // Customers: one per organization at Stripe, the recorded one, every attempt with the organization's key.
    const recs = proxy.records.slice(since);
    const custPosts = recs.filter((r) => r.method === 'POST' && r.path === '/v1/customers');
    expect(custPosts.filter((r) => r.status === 500).length, 'the 500s were served').toBe(6);
    const heldCust = custPosts.filter((r) => r.held);
    expect(heldCust.length).toBe(1);
    for (const t of tenants) {
      const mine = [...fake.state.customers.values()].filter((c) => c.metadata?.organization_id === t.orgId);
      expect(mine.map((c) => c.id), `customers of ${t.orgId}`).toEqual([await customerOf(s(), t.orgId)]);
    }
    for (const r of custPosts) {
      const org = new URLSearchParams(r.body).get('metadata[organization_id]');
      expect(r.key).toBe(`tollgate-create-customer-${org}`);
    }
    const heldOrgAttempts = custPosts.filter((r) => r.key === heldCust[0]!.key);
    expect(heldOrgAttempts.at(-1)!.replayed, 'after the timeout: the same key, Stripe replays the customer').toBe(true);

    // Meter reports: the ledger's identifiers only, each its own key, Stripe's total = the overage.
    expect(ledger.map((x) => [x.h, x.seq, x.units, x.identifier])).toEqual([...wantOver.entries()].map(([h, u]) => [h, 0, u, idOf(h)]));
    const meterPosts = recs.filter((r) => r.method === 'POST' && r.path === '/v1/billing/meter_events');
    expect(meterPosts.filter((r) => r.status === 500).length).toBe(5);
    const heldMeter = meterPosts.filter((r) => r.held);
    expect(heldMeter.length).toBe(1);
    for (const r of meterPosts) expect(r.key).toBe(new URLSearchParams(r.body).get('identifier'));
    expect(new Set(meterPosts.map((r) => r.key))).toEqual(new Set(ledger.map((x) => x.identifier)));
    const events = [...fake.state.meterEvents.values()].filter((e) => e.payload?.stripe_customer_id === meterTenant.customer);
    expect(events.map((e) => e.identifier).sort()).toEqual(ledger.map((x) => x.identifier).sort());
    expect(fake.meterTotal(meterTenant.customer, 'tollgate_units_starter')).toBe(15_007);

    const stats = expectSameKeyRetries(recs.filter((r) => r.path === '/v1/customers' || r.path === '/v1/billing/meter_events'));
    const job = await dbQuery(s(), `SELECT max(attempts)::int AS max FROM jobs WHERE kind = 'stripe.create_customer' AND payload->>'organizationId' = ANY($1)`, [
      tenants.map((t) => t.orgId),
    ]);
    console.info(
      `[stripe] customers: 3 sign-ups in ${signupMs} ms while Stripe failed; ${custPosts.length} POST /v1/customers ` +
        `(6 × 500, 1 answer lost: hung up after ${heldCust[0]!.abandonedAfterMs} ms), max job runs ${job.rows[0].max}, one customer each. ` +
        `meter: ${meterPosts.length} POSTs (5 × 500, 1 answer lost: hung up after ${heldMeter[0]!.abandonedAfterMs} ms) for ${ledger.length} ledger rows, ` +
        `total ${fake.meterTotal(meterTenant.customer, 'tollgate_units_starter')} units = the overage; ${stats.retriedKeys} keys retried with the same key`,
    );
  }, 120_000);

  it('checkout (request path): 500 on every attempt → 503 STRIPE_UNAVAILABLE with one key and no session; a lost answer → 200 with the replayed session', async () => {
    const t = await newTenant(s(), 'stripe-co');
    orgs.push(t.orgId);
    await until('the customer', () => customerOf(s(), t.orgId), 60_000);
    const since = proxy.records.length;
    const sessionsOf = () => [...fake.state.checkoutSessions.values()].filter((x) => x.client_reference_id === t.orgId);

    fake.failNext('POST', '/v1/checkout/sessions', 500, { times: 4 });
    const r1 = await api(s(), 'post', A.checkout, { token: t.token, body: { plan: 'starter', interval: 'month' } });
    problemOf(r1, 'post', A.checkout, 503, 'STRIPE_UNAVAILABLE');
    expect(r1.headers.get('retry-after'), 'Retry-After on the 503').toBeTruthy();
    const rid1 = r1.headers.get('x-request-id');
    const a1 = proxy.records.slice(since).filter((r) => r.path === '/v1/checkout/sessions');
    expect(a1.map((r) => r.status)).toEqual([500, 500, 500, 500]);
    expect(new Set(a1.map((r) => r.key))).toEqual(new Set([`tollgate-checkout-${t.orgId}-${rid1}`]));
    expect(sessionsOf(), 'no session was created').toEqual([]);

    const since2 = proxy.records.length;
    proxy.holdNextSuccess('POST', '/v1/checkout/sessions', 1);
    const r2 = await request(s().baseUrl + A.checkout, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ plan: 'starter', interval: 'month' }),
      timeoutMs: 100_000,
    });
    const body = okJson(r2, 'post', A.checkout, 200);
    const rid2 = r2.headers.get('x-request-id');
    const a2 = proxy.records.slice(since2).filter((r) => r.path === '/v1/checkout/sessions');
    expect(a2.length, 'the lost attempt and its retry').toBe(2);
    expect(a2[0]!.held).toBe(true);
    expect(a2[1]!.replayed, 'the retry got the stored session (same key)').toBe(true);
    expect(new Set(a2.map((r) => r.key))).toEqual(new Set([`tollgate-checkout-${t.orgId}-${rid2}`]));
    expect(JSON.parse(a2[0]!.answer).id, 'the answer is the session the first attempt created').toBe(body.id);
    expect(sessionsOf().map((x) => x.id), 'one session').toEqual([body.id]);
    console.info(
      `[stripe] checkout: 4 × 500 → 503 STRIPE_UNAVAILABLE in ${Math.round(r1.ms)} ms (4 attempts, one key, no session); ` +
        `lost answer → 200 in ${Math.round(r2.ms)} ms (Tollgate hung up after ${a2[0]!.abandonedAfterMs} ms, the retry replayed the session)`,
    );
  }, 120_000);

  it('meanwhile Tollgate\'s own API answered only documented statuses (no 500); every Stripe key retried the same way; one customer per organization', async () => {
    const probes = await prober!.stop();
    prober = undefined;
    const wrong = probes.filter((p) => {
      if (p.status === 0) return true;
      if (!documentedStatuses(p.method, p.path).includes(p.status)) return true;
      if (p.status >= 500 && !(p.path === '/readyz' || ['STRIPE_UNAVAILABLE', 'STRIPE_ERROR'].includes(p.code ?? ''))) return true;
      return p.path === '/api/auth/register' && p.status !== 201;
    });
    expect(wrong.map((p) => `${new Date(p.at).toISOString()} ${p.method} ${p.path} → ${p.status} ${p.code ?? ''} ${p.error ?? ''}`), 'undocumented or failed answers').toEqual([]);
    const summary = [...new Set(probes.map((p) => p.path))].map((path) => {
      const ps = probes.filter((p) => p.path === path);
      const by = new Map<number, number>();
      for (const p of ps) by.set(p.status, (by.get(p.status) ?? 0) + 1);
      return `${path} ${[...by.entries()].map(([st, n]) => `${st}×${n}`).join(',')} max ${Math.max(...ps.map((p) => p.ms))} ms`;
    });
    console.info(`[stripe] Tollgate API during the faults: ${summary.join('; ')}`);

    // Every organization (the prober's sign-ups included): one customer at Stripe, the one recorded.
    for (const org of orgs) await until(`customer of ${org}`, () => customerOf(s(), org), 60_000);
    const recorded = await dbQuery(s(), `SELECT id::text AS id, stripe_customer_id AS customer FROM organizations WHERE stripe_customer_id IS NOT NULL`);
    const byOrg = new Map<string, string[]>();
    for (const c of fake.state.customers.values()) byOrg.set(c.metadata?.organization_id, [...(byOrg.get(c.metadata?.organization_id) ?? []), c.id]);
    for (const row of recorded.rows) expect(byOrg.get(row.id), `customers of ${row.id}`).toEqual([row.customer]);
    expect(fake.state.customers.size, 'no customer without its organization').toBe(recorded.rows.length);
    expect(keysCreated(proxy.records, '/v1/customers').size).toBe(fake.state.customers.size);

    const giveUps = new Set(proxy.records.filter((r) => r.path === '/v1/checkout/sessions' && r.status >= 500).map((r) => r.key!));
    expectSameKeyRetries(proxy.records, giveUps);
    const dead = await dbQuery(s(), `SELECT kind, last_error FROM jobs WHERE status = 'dead'`);
    expect(dead.rows).toEqual([]);
    expect(proxy.holdsLeft(), 'every armed timeout happened').toBe(0);
  }, 120_000);
});
