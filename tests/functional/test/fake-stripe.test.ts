/**
 * Self-tests of harness/fake-stripe.ts — no Tollgate server. The billing tests trust this fake to behave like Stripe
 * (form decoding, auth, error shapes, idempotency, checkout → webhooks, proration estimate, signatures), so those
 * behaviours are pinned here: a billing test failing because the fake drifted would be hard to tell from a Tollgate bug.
 * Webhooks go to a local recording node:http receiver and are verified with the real stripe package.
 */
import http from 'node:http';
import type net from 'node:net';
import Stripe from 'stripe';
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import {
  startFakeStripe,
  decodeForm,
  encodeForm,
  signPayload,
  makeEvent,
  FAKE_STRIPE_API_VERSION,
  type FakeStripe,
  type StripeObject,
} from '../harness/fake-stripe.js';

const KEY = 'sk_test_fake_selftest';
const SECRET = 'whsec_selftest_secret';
const ID_RE = (prefix: string): RegExp => new RegExp(`^${prefix}_[0-9A-Za-z]{14}$`);

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Status the receiver answers with. */
  status: number;
  close(): Promise<void>;
}

/** A webhook endpoint stand-in: records the raw body and headers of every POST. */
async function startReceiver(): Promise<Receiver> {
  const sockets = new Set<net.Socket>();
  const rcv: Receiver = {
    url: '',
    received: [],
    status: 200,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      rcv.received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(rcv.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ received: true }));
    });
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  rcv.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return rcv;
}

interface ApiResult {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

let fake: FakeStripe;
let hook: Receiver;

async function api(
  method: string,
  path: string,
  params?: Record<string, unknown>,
  o: { key?: string | null; idem?: string; headers?: Record<string, string> } = {},
): Promise<ApiResult> {
  const headers: Record<string, string> = { 'stripe-version': FAKE_STRIPE_API_VERSION, ...(o.headers ?? {}) };
  if (o.key !== null) headers.authorization = `Bearer ${o.key ?? KEY}`;
  if (o.idem) headers['idempotency-key'] = o.idem;
  let url = fake.url + path;
  let body: string | undefined;
  if (params) {
    const enc = encodeForm(params);
    if (method === 'GET' || method === 'DELETE') url += (path.includes('?') ? '&' : '?') + enc;
    else {
      body = enc;
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
  }
  const r = await fetch(url, { method, headers, body });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, body: text ? JSON.parse(text) : undefined };
}

async function ok(method: string, path: string, params?: Record<string, unknown>): Promise<StripeObject> {
  const r = await api(method, path, params);
  expect(r.status, `${method} ${path}: ${r.text}`).toBe(200);
  return r.body as StripeObject;
}

/** A browser visit: no auth, redirects not followed. */
async function visit(url: string): Promise<{ status: number; location: string | null }> {
  const r = await fetch(url, { redirect: 'manual' });
  await r.text();
  return { status: r.status, location: r.headers.get('location') };
}

async function setupCatalog(): Promise<{ product: StripeObject; basic: StripeObject; pro: StripeObject; meter: StripeObject; metered: StripeObject }> {
  const eventName = `api_calls_${Math.random().toString(36).slice(2, 8)}`;
  const product = await ok('POST', '/v1/products', { name: 'Tollgate Pro', metadata: { plan: 'pro' } });
  const basic = await ok('POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } });
  const pro = await ok('POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 3000, recurring: { interval: 'month' } });
  const meter = await ok('POST', '/v1/billing/meters', {
    display_name: 'API calls',
    event_name: eventName,
    default_aggregation: { formula: 'sum' },
    customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
  });
  const metered = await ok('POST', '/v1/prices', {
    product: product.id,
    currency: 'usd',
    unit_amount_decimal: '0.5',
    recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
  });
  return { product, basic, pro, meter, metered };
}

beforeAll(async () => {
  hook = await startReceiver();
  fake = await startFakeStripe({ webhookUrl: `${hook.url}/webhooks/stripe`, webhookSecret: SECRET });
});

afterAll(async () => {
  await fake?.close();
  await hook?.close();
});

beforeEach(() => {
  hook.received.length = 0;
  hook.status = 200;
});

describe('form decoding', () => {
  it('decodes nested keys into objects and numeric indices into arrays', () => {
    expect(decodeForm('a[b][0]=x&a[b][1]=y&c[d]=1')).toEqual({ a: { b: ['x', 'y'] }, c: { d: '1' } });
    expect(decodeForm('line_items[0][price]=price_1&line_items[0][quantity]=2&line_items[1][price]=price_2')).toEqual({
      line_items: [{ price: 'price_1', quantity: '2' }, { price: 'price_2' }],
    });
    expect(decodeForm('expand[]=customer&expand[]=latest_invoice')).toEqual({ expand: ['customer', 'latest_invoice'] });
    expect(decodeForm('name=Ada+Lovelace&metadata[note]=a%26b%3Dc&empty=')).toEqual({ name: 'Ada Lovelace', metadata: { note: 'a&b=c' }, empty: '' });
    expect(decodeForm('items[10][id]=b&items[2][id]=a')).toEqual({ items: [{ id: 'a' }, { id: 'b' }] });
    expect(decodeForm('__proto__[polluted]=1&x=2')).toEqual({ x: '2' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(decodeForm('')).toEqual({});
  });

  it('round-trips encodeForm and records the decoded form, idempotency key and Stripe-Version of every request', async () => {
    const params = { email: 'a@example.com', metadata: { org_id: '42', 'tier name': 'pro & co' }, preferred_locales: ['en', 'fr'] };
    expect(decodeForm(encodeForm(params))).toEqual(params);
    const before = fake.requests.length;
    await api('POST', '/v1/customers', params, { idem: 'rec-key-1' });
    const rec = fake.requests[before];
    expect(rec.method).toBe('POST');
    expect(rec.path).toBe('/v1/customers');
    expect(rec.form).toEqual(params);
    expect(rec.body).toBe(encodeForm(params));
    expect(rec.idempotencyKey).toBe('rec-key-1');
    expect(rec.stripeVersion).toBe(FAKE_STRIPE_API_VERSION);
    expect(rec.headers['content-type']).toBe('application/x-www-form-urlencoded');
    await api('GET', '/v1/customers?limit=3&expand[]=data.default_source');
    const get = fake.requests[fake.requests.length - 1];
    expect(get.query).toEqual({ limit: '3', expand: ['data.default_source'] });
    expect(fake.requestsTo('POST', '/v1/customers').length).toBeGreaterThanOrEqual(1);
    expect(fake.requestsTo('get', '/v1/customers').every((r) => r.method === 'GET')).toBe(true);
  });
});

describe('auth and errors', () => {
  it('requires Authorization: Bearer sk_…', async () => {
    const none = await api('GET', '/v1/customers', undefined, { key: null });
    expect(none.status).toBe(401);
    expect(none.body.error.type).toBe('authentication_error');
    expect(none.body.error.message).toMatch(/did not provide an API key/);
    const publishable = await api('GET', '/v1/customers', undefined, { key: 'pk_test_abc' });
    expect(publishable.status).toBe(401);
    expect(publishable.body).toEqual({ error: { type: 'authentication_error', message: expect.stringMatching(/^Invalid API Key provided/) } });
    expect((await api('GET', '/v1/customers', undefined, { key: 'sk_live_whatever' })).status).toBe(200);
  });

  it('answers unknown routes and missing objects with Stripe 404 shapes', async () => {
    const route = await api('GET', '/v1/nope/thing');
    expect(route.status).toBe(404);
    expect(route.body).toEqual({
      error: { type: 'invalid_request_error', code: 'resource_missing', message: 'Unrecognized request URL (GET: /v1/nope/thing)' },
    });
    const method = await api('PATCH', '/v1/customers');
    expect(method.body.error.message).toBe('Unrecognized request URL (PATCH: /v1/customers)');
    const missing = await api('GET', '/v1/customers/cus_doesnotexist00');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: { type: 'invalid_request_error', code: 'resource_missing', message: "No such customer: 'cus_doesnotexist00'", param: 'id' },
    });
  });

  it('answers a missing required param with 400 parameter_missing', async () => {
    const r = await api('POST', '/v1/products', { description: 'no name' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { type: 'invalid_request_error', code: 'parameter_missing', message: 'Missing required param: name.', param: 'name' } });
  });
});

describe('customers', () => {
  it('creates, reads, updates, lists and deletes', async () => {
    const email = `c${Date.now()}@example.com`;
    const c = await ok('POST', '/v1/customers', { email, name: 'Ada', metadata: { org_id: '7', drop: 'me' } });
    expect(c).toMatchObject({ object: 'customer', email, name: 'Ada', livemode: false, metadata: { org_id: '7', drop: 'me' } });
    expect(c.id).toMatch(ID_RE('cus'));
    expect(Math.abs(c.created - Date.now() / 1000)).toBeLessThan(5);
    expect(c.invoice_settings.default_payment_method).toBeNull();
    expect(fake.state.customers.get(c.id)).toBe(fake.state.customers.get(c.id));

    expect(await ok('GET', `/v1/customers/${c.id}`)).toEqual(c);

    const card = fake.addCard(c.id, { brand: 'mastercard' });
    expect(card).toMatchObject({ object: 'payment_method', type: 'card', customer: c.id, card: { brand: 'mastercard', last4: '4444' } });
    const u = await ok('POST', `/v1/customers/${c.id}`, {
      name: 'Ada Lovelace',
      description: '',
      metadata: { drop: '', plan: 'pro' },
      invoice_settings: { default_payment_method: card.id },
    });
    expect(u).toMatchObject({ name: 'Ada Lovelace', description: null, metadata: { org_id: '7', plan: 'pro' } });
    expect(u.metadata.drop).toBeUndefined();
    expect(u.invoice_settings.default_payment_method).toBe(card.id);

    const stranger = fake.addCard((await ok('POST', '/v1/customers', {})).id);
    const bad = await api('POST', `/v1/customers/${c.id}`, { invoice_settings: { default_payment_method: stranger.id } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing', param: 'invoice_settings[default_payment_method]' });

    const listed = await ok('GET', '/v1/customers', { email });
    expect(listed).toMatchObject({ object: 'list', has_more: false, url: '/v1/customers' });
    expect(listed.data.map((x: StripeObject) => x.id)).toEqual([c.id]);

    expect(await ok('DELETE', `/v1/customers/${c.id}`)).toEqual({ id: c.id, object: 'customer', deleted: true });
    expect(await ok('GET', `/v1/customers/${c.id}`)).toEqual({ id: c.id, object: 'customer', deleted: true });
    expect((await api('POST', `/v1/customers/${c.id}`, { name: 'x' })).status).toBe(404);
    expect((await api('DELETE', `/v1/customers/${c.id}`)).status).toBe(404);
    expect(fake.state.customers.has(c.id)).toBe(false);
  });
});

describe('idempotency', () => {
  it('replays the stored answer for a repeated key and refuses the key with other parameters', async () => {
    const key = `idem-${Date.now()}`;
    const countBefore = fake.state.customers.size;
    const first = await api('POST', '/v1/customers', { email: 'idem@example.com' }, { idem: key });
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await api('POST', '/v1/customers', { email: 'idem@example.com' }, { idem: key });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(fake.state.customers.size).toBe(countBefore + 1);

    const other = await api('POST', '/v1/customers', { email: 'other@example.com' }, { idem: key });
    expect(other.status).toBe(400);
    expect(other.body.error.type).toBe('idempotency_error');
    expect(other.body.error.message).toMatch(/^Keys for idempotent requests can only be used with the same parameters/);
    const elsewhere = await api('POST', '/v1/products', { name: 'x' }, { idem: key });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error.type).toBe('idempotency_error');
    expect(fake.state.customers.size).toBe(countBefore + 1);
  });

  it('replays stored errors from an endpoint, but not injected failures (so a retry with the same key succeeds)', async () => {
    const key = `idem-err-${Date.now()}`;
    const miss = await api('POST', '/v1/customers/cus_missing000000', { name: 'x' }, { idem: key });
    expect(miss.status).toBe(404);
    const missAgain = await api('POST', '/v1/customers/cus_missing000000', { name: 'x' }, { idem: key });
    expect(missAgain.status).toBe(404);
    expect(missAgain.headers.get('idempotent-replayed')).toBe('true');

    const key2 = `idem-retry-${Date.now()}`;
    fake.failNext('POST', '/v1/customers', 500, { shouldRetry: true });
    const failed = await api('POST', '/v1/customers', { email: 'retry@example.com' }, { idem: key2 });
    expect(failed.status).toBe(500);
    const retried = await api('POST', '/v1/customers', { email: 'retry@example.com' }, { idem: key2 });
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('failNext', () => {
  it('fails the next matching requests with the Stripe error shape and Stripe-Should-Retry', async () => {
    fake.failNext('POST', '/v1/customers', 429, { times: 2, shouldRetry: true });
    const getDuring = await api('GET', '/v1/customers');
    expect(getDuring.status).toBe(200); // method must match
    for (let i = 0; i < 2; i++) {
      const r = await api('POST', '/v1/customers', { email: 'rl@example.com' });
      expect(r.status).toBe(429);
      expect(r.headers.get('stripe-should-retry')).toBe('true');
      expect(r.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit' });
    }
    expect((await api('POST', '/v1/customers', { email: 'rl@example.com' })).status).toBe(200);

    fake.failNext('POST', '/v1/customers', 500, { shouldRetry: false, message: 'boom' });
    const e500 = await api('POST', '/v1/customers', {});
    expect(e500.status).toBe(500);
    expect(e500.headers.get('stripe-should-retry')).toBe('false');
    expect(e500.body).toEqual({ error: { type: 'api_error', message: 'boom' } });

    fake.failNext('*', '/v1/prices', 402);
    const e402 = await api('GET', '/v1/prices');
    expect(e402.status).toBe(402);
    expect(e402.headers.get('stripe-should-retry')).toBeNull();
    expect(e402.body.error).toMatchObject({ type: 'card_error', code: 'card_declined', message: 'Your card was declined.' });

    fake.failNext('GET', '/v1/products', 400, { type: 'invalid_request_error', code: 'custom_code', message: 'custom' });
    expect((await api('GET', '/v1/products')).body).toEqual({ error: { type: 'invalid_request_error', code: 'custom_code', message: 'custom' } });
    expect((await api('GET', '/v1/products')).status).toBe(200);
  });

  it('works with the stripe package as client: its retries pass the same idempotency key', async () => {
    const stripe = new Stripe(KEY, { host: '127.0.0.1', port: fake.port, protocol: 'http', maxNetworkRetries: 2 });
    fake.failNext('POST', '/v1/customers', 500, { shouldRetry: true });
    const before = fake.requestsTo('POST', '/v1/customers').length;
    const c = await stripe.customers.create({ email: 'sdk@example.com', metadata: { via: 'sdk' } });
    expect(c.id).toMatch(ID_RE('cus'));
    expect(c.metadata).toEqual({ via: 'sdk' });
    const sent = fake.requestsTo('POST', '/v1/customers').slice(before);
    expect(sent.length).toBe(2);
    expect(sent[0].idempotencyKey).toBeTruthy();
    expect(sent[1].idempotencyKey).toBe(sent[0].idempotencyKey);
    await expect(stripe.customers.retrieve('cus_nope0000000000')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 404,
      code: 'resource_missing',
    });
  });
});

describe('catalog', () => {
  it('creates products, prices and meters', async () => {
    const { product, basic, meter, metered } = await setupCatalog();
    expect(product).toMatchObject({ object: 'product', name: 'Tollgate Pro', active: true, metadata: { plan: 'pro' } });
    expect(product.id).toMatch(ID_RE('prod'));
    expect(basic).toMatchObject({
      object: 'price',
      product: product.id,
      currency: 'usd',
      unit_amount: 1000,
      type: 'recurring',
      recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed', meter: null },
    });
    expect(basic.id).toMatch(ID_RE('price'));
    expect(meter).toMatchObject({
      object: 'billing.meter',
      status: 'active',
      default_aggregation: { formula: 'sum' },
      customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
      value_settings: { event_payload_key: 'value' },
    });
    expect(meter.id).toMatch(ID_RE('mtr'));
    expect(metered).toMatchObject({ unit_amount: null, unit_amount_decimal: '0.5', recurring: { usage_type: 'metered', meter: meter.id } });
    expect(fake.state.prices.get(basic.id)).toBeDefined();
    expect(fake.state.billingMeters.get(meter.id)).toBeDefined();

    const dup = await api('POST', '/v1/billing/meters', { display_name: 'x', event_name: meter.event_name, default_aggregation: { formula: 'sum' } });
    expect(dup.status).toBe(400);
    const noProduct = await api('POST', '/v1/prices', { product: 'prod_missing', currency: 'usd', unit_amount: 5 });
    expect(noProduct.status).toBe(400);
    expect(noProduct.body.error).toMatchObject({ code: 'resource_missing', param: 'product' });
    const notInt = await api('POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: '9.99' });
    expect(notInt.status).toBe(400);
    expect(notInt.body.error.param).toBe('unit_amount');

    const renamed = await ok('POST', `/v1/products/${product.id}`, { name: 'Tollgate Pro 2', metadata: { plan: '' } });
    expect(renamed).toMatchObject({ name: 'Tollgate Pro 2', metadata: {} });
    const archived = await ok('POST', `/v1/prices/${basic.id}`, { active: false, metadata: { legacy: 'yes' } });
    expect(archived).toMatchObject({ active: false, metadata: { legacy: 'yes' }, unit_amount: 1000 });
    const immutable = await api('POST', `/v1/prices/${basic.id}`, { unit_amount: 5 });
    expect(immutable.status).toBe(400);
    expect(immutable.body.error).toMatchObject({ code: 'parameter_unknown', param: 'unit_amount' });
  });

  it('dedupes meter events by identifier and sums them per customer with meterTotal', async () => {
    const { meter } = await setupCatalog();
    const ev = meter.event_name as string;
    const cus = (await ok('POST', '/v1/customers', {})).id as string;
    const other = (await ok('POST', '/v1/customers', {})).id as string;
    const id1 = `ev-${Date.now()}-1`;
    const first = await ok('POST', '/v1/billing/meter_events', { event_name: ev, identifier: id1, payload: { stripe_customer_id: cus, value: '5' } });
    expect(first).toMatchObject({ object: 'billing.meter_event', event_name: ev, identifier: id1, payload: { stripe_customer_id: cus, value: '5' } });
    const dup = await ok('POST', '/v1/billing/meter_events', { event_name: ev, identifier: id1, payload: { stripe_customer_id: cus, value: '500' } });
    expect(dup).toEqual(first);
    await ok('POST', '/v1/billing/meter_events', {
      event_name: ev,
      identifier: `ev-${Date.now()}-2`,
      timestamp: Math.floor(Date.now() / 1000) - 3600,
      payload: { stripe_customer_id: cus, value: '7' },
    });
    await ok('POST', '/v1/billing/meter_events', { event_name: ev, payload: { stripe_customer_id: other, value: '100' } });
    expect(fake.state.meterEvents.get(id1)?.payload.value).toBe('5');
    expect(fake.meterTotal(cus, ev)).toBe(12);
    expect(fake.meterTotal(other, ev)).toBe(100);
    expect(fake.meterTotal(cus, 'no_such_event')).toBe(0);

    const old = await api('POST', '/v1/billing/meter_events', {
      event_name: ev,
      timestamp: Math.floor(Date.now() / 1000) - 40 * 86400,
      payload: { stripe_customer_id: cus, value: '1' },
    });
    expect(old.status).toBe(400);
    expect(old.body.error.param).toBe('timestamp');
    const notNumber = await api('POST', '/v1/billing/meter_events', { event_name: ev, payload: { stripe_customer_id: cus, value: 'lots' } });
    expect(notNumber.status).toBe(400);
    expect(fake.meterTotal(cus, ev)).toBe(12);

    const now = Math.floor(Date.now() / 1000);
    const summary = await ok('GET', `/v1/billing/meters/${meter.id}/event_summaries`, { customer: cus, start_time: now - 7200, end_time: now + 60 });
    expect(summary.data[0]).toMatchObject({ object: 'billing.meter_event_summary', aggregated_value: 12, meter: meter.id });
  });
});

describe('checkout', () => {
  it('subscription mode: the visit completes the session, creates an active subscription and a paid invoice, sends signed webhooks in order, then 303s to success_url', async () => {
    const { product, pro } = await setupCatalog();
    const cus = await ok('POST', '/v1/customers', { email: 'checkout@example.com' });
    const session = await ok('POST', '/v1/checkout/sessions', {
      mode: 'subscription',
      customer: cus.id,
      line_items: [{ price: pro.id, quantity: 1 }],
      success_url: 'https://app.example.com/billing/success?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.example.com/billing/cancel',
      client_reference_id: 'org_42',
      metadata: { org_id: '42' },
      subscription_data: { metadata: { org_id: '42', plan: 'pro' } },
    });
    expect(session).toMatchObject({ object: 'checkout.session', status: 'open', mode: 'subscription', customer: cus.id, client_reference_id: 'org_42', subscription: null, metadata: { org_id: '42' } });
    expect(session.id).toMatch(/^cs_/);
    expect(session.url).toBe(`${fake.url}/checkout/${session.id}`);

    const page = await visit(session.url);
    expect(page.status).toBe(303);
    expect(page.location).toBe(`https://app.example.com/billing/success?session=${session.id}`);

    const done = await ok('GET', `/v1/checkout/sessions/${session.id}`);
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid' });
    expect(done.subscription).toMatch(ID_RE('sub'));
    const sub = await ok('GET', `/v1/subscriptions/${done.subscription}`);
    expect(sub).toMatchObject({ object: 'subscription', status: 'active', customer: cus.id, metadata: { org_id: '42', plan: 'pro' }, cancel_at_period_end: false });
    expect(sub.items.data[0].price).toMatchObject({ id: pro.id, unit_amount: 3000, product: product.id });
    expect(sub.current_period_end - sub.current_period_start).toBe(30 * 86400);
    const inv = await ok('GET', `/v1/invoices/${sub.latest_invoice}`);
    expect(inv).toMatchObject({ object: 'invoice', status: 'paid', paid: true, amount_paid: 3000, customer: cus.id, subscription: sub.id, billing_reason: 'subscription_create' });
    const pms = await ok('GET', `/v1/customers/${cus.id}/payment_methods`, { type: 'card' });
    expect(pms.data).toHaveLength(1);
    expect(pms.data[0].card).toMatchObject({ brand: 'visa', last4: '4242' });
    expect(sub.default_payment_method).toBe(pms.data[0].id);

    expect(hook.received.map((r) => r.path)).toEqual(Array(3).fill('/webhooks/stripe'));
    const evs = hook.received.map((r) => {
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      return Stripe.webhooks.constructEvent(r.body, String(r.headers['stripe-signature']), SECRET);
    });
    expect(evs.map((e) => e.type)).toEqual(['checkout.session.completed', 'customer.subscription.created', 'invoice.paid']);
    for (const e of evs) expect(e).toMatchObject({ object: 'event', api_version: FAKE_STRIPE_API_VERSION, livemode: false });
    expect((evs[0].data.object as StripeObject)).toMatchObject({ id: session.id, status: 'complete', subscription: sub.id, client_reference_id: 'org_42' });
    expect((evs[1].data.object as StripeObject)).toMatchObject({ id: sub.id, status: 'active' });
    expect((evs[2].data.object as StripeObject)).toMatchObject({ id: inv.id, status: 'paid' });
    expect(fake.deliveries.slice(-3).map((d) => d.status)).toEqual([200, 200, 200]);
    expect(() => Stripe.webhooks.constructEvent(hook.received[0].body, String(hook.received[0].headers['stripe-signature']), 'whsec_other')).toThrow();

    // A second visit redirects again without creating or sending anything.
    const again = await visit(session.url);
    expect(again.status).toBe(303);
    expect(hook.received).toHaveLength(3);
    expect([...fake.state.subscriptions.values()].filter((s) => s.customer === cus.id)).toHaveLength(1);
  });

  it('setup mode: attaches a card and sends checkout.session.completed then payment_method.attached', async () => {
    const cus = await ok('POST', '/v1/customers', { email: 'setup@example.com' });
    const session = await ok('POST', '/v1/checkout/sessions', { mode: 'setup', customer: cus.id, success_url: 'https://app.example.com/ok', currency: 'usd' });
    const page = await visit(`${session.url}?brand=mastercard`);
    expect(page).toEqual({ status: 303, location: 'https://app.example.com/ok' });
    const evs = hook.received.map((r) => Stripe.webhooks.constructEvent(r.body, String(r.headers['stripe-signature']), SECRET));
    expect(evs.map((e) => e.type)).toEqual(['checkout.session.completed', 'payment_method.attached']);
    const done = await ok('GET', `/v1/checkout/sessions/${session.id}`, { expand: ['setup_intent'] });
    expect(done.status).toBe('complete');
    expect(done.setup_intent).toMatchObject({ object: 'setup_intent', status: 'succeeded', customer: cus.id });
    const pm = await ok('GET', `/v1/payment_methods/${done.setup_intent.payment_method}`);
    expect(pm).toMatchObject({ customer: cus.id, card: { brand: 'mastercard', last4: '4444' } });
    expect((evs[1].data.object as StripeObject).id).toBe(pm.id);
  });

  it('refuses line items Stripe refuses', async () => {
    const { metered, pro } = await setupCatalog();
    const base = { mode: 'subscription', success_url: 'https://x.example/ok' };
    const meteredQty = await api('POST', '/v1/checkout/sessions', { ...base, line_items: [{ price: metered.id, quantity: 1 }] });
    expect(meteredQty.status).toBe(400);
    expect(meteredQty.body.error.message).toMatch(/Quantity should not be specified/);
    const noQty = await api('POST', '/v1/checkout/sessions', { ...base, line_items: [{ price: pro.id }] });
    expect(noQty.status).toBe(400);
    const missing = await api('POST', '/v1/checkout/sessions', { ...base, line_items: [{ price: 'price_missing', quantity: 1 }] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'resource_missing', param: 'line_items[0][price]' });
    expect((await ok('POST', '/v1/checkout/sessions', { ...base, line_items: [{ price: metered.id }, { price: pro.id, quantity: 2 }] })).amount_total).toBe(6000);
  });

  it('billing portal session redirects to return_url', async () => {
    const cus = await ok('POST', '/v1/customers', {});
    const s = await ok('POST', '/v1/billing_portal/sessions', { customer: cus.id, return_url: 'https://app.example.com/billing' });
    expect(s).toMatchObject({ object: 'billing_portal.session', customer: cus.id, return_url: 'https://app.example.com/billing' });
    expect(s.url).toBe(`${fake.url}/portal/${s.id}`);
    expect(fake.state.portalSessions.get(s.id)).toBeDefined();
    expect(await visit(s.url)).toEqual({ status: 303, location: 'https://app.example.com/billing' });
    expect((await api('POST', '/v1/billing_portal/sessions', { customer: 'cus_missing' })).status).toBe(400);
  });
});

describe('subscriptions and invoices', () => {
  async function subscribed(): Promise<{ cus: StripeObject; sub: StripeObject; basic: StripeObject; pro: StripeObject; metered: StripeObject; meter: StripeObject }> {
    const cat = await setupCatalog();
    const cus = await ok('POST', '/v1/customers', { email: 'sub@example.com' });
    fake.addCard(cus.id);
    const sub = await ok('POST', '/v1/subscriptions', { customer: cus.id, items: [{ price: cat.basic.id, quantity: 1 }], metadata: { org_id: '9' } });
    return { cus, sub, ...cat };
  }

  it('updates items, cancel_at_period_end and metadata; cancels; lists', async () => {
    const { cus, sub, pro } = await subscribed();
    const updated = await ok('POST', `/v1/subscriptions/${sub.id}`, {
      items: [{ id: sub.items.data[0].id, price: pro.id }],
      proration_behavior: 'create_prorations',
      cancel_at_period_end: true,
      metadata: { plan: 'pro' },
    });
    expect(updated.items.data).toHaveLength(1);
    expect(updated.items.data[0]).toMatchObject({ id: sub.items.data[0].id, price: { id: pro.id }, quantity: 1 });
    expect(updated).toMatchObject({ cancel_at_period_end: true, cancel_at: sub.current_period_end, metadata: { org_id: '9', plan: 'pro' }, status: 'active' });
    const badItem = await api('POST', `/v1/subscriptions/${sub.id}`, {
      items: [{ id: sub.items.data[0].id, quantity: 5 }, { id: 'si_nope', price: pro.id }],
      metadata: { plan: 'changed' },
    });
    expect(badItem.status).toBe(400);
    expect(badItem.body.error.param).toBe('items[1][id]');
    expect(await ok('GET', `/v1/subscriptions/${sub.id}`)).toEqual(updated); // refused atomically

    expect((await ok('GET', '/v1/subscriptions', { customer: cus.id })).data.map((s: StripeObject) => s.id)).toEqual([sub.id]);
    const canceled = await ok('DELETE', `/v1/subscriptions/${sub.id}`);
    expect(canceled).toMatchObject({ id: sub.id, status: 'canceled' });
    expect(canceled.canceled_at).toBeTypeOf('number');
    expect((await ok('GET', '/v1/subscriptions', { customer: cus.id })).data).toHaveLength(0);
    expect((await ok('GET', '/v1/subscriptions', { customer: cus.id, status: 'all' })).data).toHaveLength(1);
    expect((await api('POST', `/v1/subscriptions/${sub.id}`, { items: [{ id: sub.items.data[0].id, price: pro.id }] })).status).toBe(400);
    expect((await api('GET', '/v1/subscriptions/sub_nope')).status).toBe(404);
  });

  it('estimates the upcoming invoice: new price minus the proration credit', async () => {
    const { cus, sub, pro } = await subscribed();
    const plain = await ok('GET', '/v1/invoices/upcoming', { customer: cus.id });
    expect(plain).toMatchObject({ object: 'invoice', amount_due: 1000, subscription: sub.id, customer: cus.id });
    const est = await ok('GET', '/v1/invoices/upcoming', {
      customer: cus.id,
      subscription: sub.id,
      subscription_items: [{ id: sub.items.data[0].id, price: pro.id }],
    });
    const lines = est.lines.data as StripeObject[];
    expect(lines).toHaveLength(2);
    const credit = lines.find((l) => l.amount < 0)!;
    const charge = lines.find((l) => l.amount > 0)!;
    expect(credit).toMatchObject({ proration: true });
    expect(credit.description).toMatch(/^Unused time on 1 × Tollgate Pro/);
    expect(-credit.amount).toBeGreaterThan(990); // the period has just started
    expect(-credit.amount).toBeLessThanOrEqual(1000);
    expect(charge).toMatchObject({ amount: 3000, price: { id: pro.id } });
    expect(charge.description).toMatch(/^1 × Tollgate Pro \(at \$30\.00 \/ month\)$/);
    expect(est.amount_due).toBe(3000 + credit.amount);
    expect((await ok('POST', '/v1/invoices/create_preview', {
      customer: cus.id,
      subscription: sub.id,
      subscription_details: { items: [{ id: sub.items.data[0].id, price: pro.id }] },
    })).amount_due).toBe(est.amount_due);
    // The estimate changes nothing.
    expect((await ok('GET', `/v1/subscriptions/${sub.id}`)).items.data[0].price.id).not.toBe(pro.id);

    const lonely = await ok('POST', '/v1/customers', {});
    const none = await api('GET', '/v1/invoices/upcoming', { customer: lonely.id });
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('invoice_upcoming_none');
  });

  it('bills metered usage of the current period in the estimate', async () => {
    const cat = await setupCatalog();
    const cus = await ok('POST', '/v1/customers', {});
    const sub = await ok('POST', '/v1/subscriptions', { customer: cus.id, items: [{ price: cat.metered.id }] });
    expect(sub.items.data[0].quantity).toBeUndefined();
    await ok('POST', '/v1/billing/meter_events', { event_name: cat.meter.event_name, payload: { stripe_customer_id: cus.id, value: '1000' } });
    const est = await ok('GET', '/v1/invoices/upcoming', { customer: cus.id });
    expect(est.amount_due).toBe(500); // 1000 units × 0.5¢
  });

  it('lists, reads and pays invoices; a declining card gives 402', async () => {
    const { cus, sub } = await subscribed();
    const list = await ok('GET', '/v1/invoices', { customer: cus.id });
    expect(list.data.map((i: StripeObject) => i.id)).toEqual([sub.latest_invoice]);
    const open = fake.addInvoice(cus.id, { amountDue: 1234, subscription: sub.id });
    expect(open).toMatchObject({ status: 'open', amount_due: 1234, paid: false });
    expect((await ok('GET', '/v1/invoices', { customer: cus.id })).data[0].id).toBe(open.id);
    const paid = await ok('POST', `/v1/invoices/${open.id}/pay`);
    expect(paid).toMatchObject({ status: 'paid', paid: true, amount_paid: 1234, amount_remaining: 0 });
    const twice = await api('POST', `/v1/invoices/${open.id}/pay`);
    expect(twice.status).toBe(400);

    const poor = await ok('POST', '/v1/customers', {});
    const declining = fake.addCard(poor.id, { last4: '0002' });
    await ok('POST', `/v1/customers/${poor.id}`, { invoice_settings: { default_payment_method: declining.id } });
    const bill = fake.addInvoice(poor.id, { amountDue: 500 });
    const declined = await api('POST', `/v1/invoices/${bill.id}/pay`);
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' });
    expect(fake.state.invoices.get(bill.id!)?.status).toBe('open');
    expect((await api('GET', '/v1/invoices/in_nope')).status).toBe(404);
  });
});

describe('payment methods', () => {
  it('attaches, lists and detaches cards', async () => {
    const cus = await ok('POST', '/v1/customers', {});
    const visa = fake.addCard(cus.id);
    expect(visa.id).toMatch(ID_RE('pm'));
    const mc = await ok('POST', '/v1/payment_methods/pm_card_mastercard/attach', { customer: cus.id });
    expect(mc).toMatchObject({ object: 'payment_method', type: 'card', customer: cus.id, card: { brand: 'mastercard', last4: '4444' } });
    expect(Object.keys(mc.card)).toEqual(expect.arrayContaining(['brand', 'last4', 'exp_month', 'exp_year']));

    const loose = fake.addCard(cus.id);
    await ok('POST', `/v1/payment_methods/${loose.id}/detach`);
    const other = await ok('POST', '/v1/customers', {});
    expect((await ok('POST', `/v1/payment_methods/${loose.id}/attach`, { customer: other.id })).customer).toBe(other.id);
    const taken = await api('POST', `/v1/payment_methods/${loose.id}/attach`, { customer: cus.id });
    expect(taken.status).toBe(400);

    const viaCustomer = await ok('GET', `/v1/customers/${cus.id}/payment_methods`, { type: 'card' });
    expect(viaCustomer.data.map((p: StripeObject) => p.id)).toEqual([mc.id, visa.id]);
    const viaQuery = await ok('GET', '/v1/payment_methods', { customer: cus.id, type: 'card' });
    expect(viaQuery.data.map((p: StripeObject) => p.id)).toEqual([mc.id, visa.id]);

    await ok('POST', `/v1/customers/${cus.id}`, { invoice_settings: { default_payment_method: visa.id } });
    const detached = await ok('POST', `/v1/payment_methods/${visa.id}/detach`);
    expect(detached).toMatchObject({ id: visa.id, customer: null });
    expect((await ok('GET', `/v1/customers/${cus.id}`)).invoice_settings.default_payment_method).toBeNull();
    expect((await ok('GET', `/v1/customers/${cus.id}/payment_methods`)).data.map((p: StripeObject) => p.id)).toEqual([mc.id]);
    expect((await api('POST', `/v1/payment_methods/${visa.id}/detach`)).status).toBe(400);
    expect((await api('POST', `/v1/payment_methods/${mc.id}/attach`, { customer: 'cus_missing' })).status).toBe(400);
    expect((await api('POST', '/v1/payment_methods/pm_missing/attach', { customer: cus.id })).status).toBe(404);
  });
});

describe('webhook signing and delivery', () => {
  it('signPayload matches the stripe package and constructEvent rejects a changed byte', () => {
    const ev = makeEvent('invoice.paid', { id: 'in_123', object: 'invoice', amount_paid: 100 });
    expect(ev).toMatchObject({ object: 'event', api_version: FAKE_STRIPE_API_VERSION, livemode: false, pending_webhooks: 1, type: 'invoice.paid' });
    expect(ev.id).toMatch(/^evt_/);
    const payload = JSON.stringify(ev);
    const t = Math.floor(Date.now() / 1000);
    const header = signPayload(payload, SECRET, t);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(header).toBe(Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: t }));
    expect(Stripe.webhooks.constructEvent(payload, header, SECRET).id).toBe(ev.id);
    expect(Stripe.webhooks.constructEvent(payload, signPayload(payload, SECRET), SECRET).id).toBe(ev.id);

    const tampered = payload.replace('"amount_paid":100', '"amount_paid":900');
    expect(tampered).not.toBe(payload);
    expect(() => Stripe.webhooks.constructEvent(tampered, header, SECRET)).toThrow(/signature/i);
    expect(() => Stripe.webhooks.constructEvent(payload, signPayload(payload, 'whsec_wrong', t), SECRET)).toThrow(/signature/i);
    expect(() => Stripe.webhooks.constructEvent(payload, signPayload(payload, SECRET, t - 3600), SECRET)).toThrow(/tolerance/i);
    expect(makeEvent('x', {}, { id: 'evt_fixed', created: 1 })).toMatchObject({ id: 'evt_fixed', created: 1, type: 'x' });
  });

  it('deliver signs, POSTs (times n with the same event id) and returns the answers', async () => {
    const res = await fake.deliver({ type: 'customer.subscription.deleted', data: { object: { id: 'sub_x', object: 'subscription', status: 'canceled' } } }, { times: 2 });
    expect(res).toEqual([
      { status: 200, body: '{"received":true}' },
      { status: 200, body: '{"received":true}' },
    ]);
    expect(hook.received).toHaveLength(2);
    const [a, b] = hook.received.map((r) => Stripe.webhooks.constructEvent(r.body, String(r.headers['stripe-signature']), SECRET));
    expect(a.id).toBe(b.id);
    expect(a.type).toBe('customer.subscription.deleted');
    expect(hook.received[0].headers['content-type']).toMatch(/^application\/json/);

    hook.status = 400;
    const fixed = await fake.deliver({ id: 'evt_given', created: 1700000000, type: 'invoice.payment_failed', data: { object: { id: 'in_y', object: 'invoice' } } }, { secret: 'whsec_other' });
    expect(fixed[0].status).toBe(400);
    const got = Stripe.webhooks.constructEvent(hook.received[2].body, String(hook.received[2].headers['stripe-signature']), 'whsec_other', 1e10);
    expect(got).toMatchObject({ id: 'evt_given', created: 1700000000 });
    expect(fake.deliveries[fake.deliveries.length - 1]).toMatchObject({ status: 400, url: `${hook.url}/webhooks/stripe` });

    await expect(fake.deliver({ type: 'x', data: { object: {} } }, { url: 'http://127.0.0.1:1/hook' })).rejects.toThrow();
  });

  it('with apiWebhooks, API calls deliver their events after answering', async () => {
    const own = await startReceiver();
    const f2 = await startFakeStripe({ webhookUrl: own.url, apiWebhooks: true });
    try {
      const r = await fetch(`${f2.url}/v1/customers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: encodeForm({ email: 'hooks@example.com' }),
      });
      const c = (await r.json()) as StripeObject;
      await fetch(`${f2.url}/v1/customers/${c.id}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: encodeForm({ name: 'Hooked' }),
      });
      await f2.settled();
      const evs = own.received.map((x) => Stripe.webhooks.constructEvent(x.body, String(x.headers['stripe-signature']), f2.webhookSecret));
      expect(evs.map((e) => e.type)).toEqual(['customer.created', 'customer.updated']);
      expect((evs[1].data.object as StripeObject).name).toBe('Hooked');
      expect(f2.state.events.size).toBe(2);
    } finally {
      await f2.close();
      await own.close();
    }
  });
});
