/**
 * A fake Stripe API for the billing tests: a node:http server on a free loopback port that speaks enough of
 * Stripe's v1 REST dialect (form-encoded nested parameters in, Stripe-shaped JSON and error bodies out, Bearer
 * `sk_…` auth, idempotency keys) for Tollgate's billing code to run against it without the network.
 *
 * Why a fake and not stripe-mock: stripe-mock answers canned fixtures and keeps no state, so a checkout → webhook →
 * subscription → invoice flow cannot be followed through it. This one keeps objects in Maps, so what Tollgate created
 * can be read back, and it signs and POSTs webhooks exactly like Stripe (the `Stripe-Signature: t=…,v1=…` header over
 * the raw JSON body), so Tollgate's signature check is exercised for real.
 *
 * Test hooks: every request is recorded (with its decoded form), `failNext` injects Stripe errors (with
 * `Stripe-Should-Retry` when asked) to test retries, `deliver` sends any event, and a browser-style
 * `GET /checkout/<cs_id>` completes a Checkout Session the way a customer paying would.
 *
 * Behaviours copied from Stripe because client code depends on them:
 *  - ids are `<prefix>_` + 14 base62 chars; lists are newest first, `limit` defaults to 10 (max 100);
 *  - an empty string for a scalar or a metadata key unsets it; `metadata=` clears all metadata;
 *  - a POST with an already-used Idempotency-Key replays the stored answer (`Idempotent-Replayed: true`); a result is
 *    stored only once an endpoint ran (2xx, or 402/404 from a handler) — injected failures, auth failures and
 *    parameter validation errors are not stored, so a client retrying with the same key after a 5xx/429 gets through;
 *  - meter events are deduplicated by `identifier`; their timestamp must be within the past 35 days and at most
 *    5 minutes ahead;
 *  - `GET /v1/subscriptions` hides canceled subscriptions unless `status=all` or `status=canceled`.
 * `?expand[]=a.b` is honoured for ids that name an object this fake holds.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import Stripe from 'stripe';

/** The api_version stamped on events (the one Tollgate pins). */
export const FAKE_STRIPE_API_VERSION = '2024-06-20';
/** Used when neither startFakeStripe nor deliver gets a secret. */
export const DEFAULT_WEBHOOK_SECRET = 'whsec_fake_stripe_test_secret';

const DAY = 86_400;
const PERIOD = 30 * DAY;

/**
 * Any Stripe object as JSON; fields (`id` included — meter events and upcoming invoices have none) are `any` so
 * tests can read nested fields without casts.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StripeObject = { object: string; [key: string]: any };

export interface StripeList<T = StripeObject> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
  data: { object: unknown; previous_attributes?: unknown };
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The query string decoded like a form body (nested keys → objects, numeric indices → arrays). */
  query: Record<string, unknown>;
  /** The raw query string without '?', '' when none. */
  rawQuery: string;
  /** Header names lower-cased. */
  headers: http.IncomingHttpHeaders;
  /** The raw body as received (utf-8). */
  body: string;
  /** The body decoded from Stripe's nested x-www-form-urlencoded encoding ({} when not form-encoded). */
  form: Record<string, unknown>;
  idempotencyKey?: string;
  stripeVersion?: string;
  at: number;
}

export interface FailOptions {
  /** How many matching requests fail (default 1). */
  times?: number;
  /** Sends `Stripe-Should-Retry: true|false`. */
  shouldRetry?: boolean;
  /** Error type; default from the status (400 invalid_request_error, 402 card_error, 429 rate_limit_error, …). */
  type?: string;
  message?: string;
  code?: string;
}

export interface WebhookDelivery {
  event: StripeEvent;
  url: string;
  /** Absent when the POST failed at the connection level (see `error`). */
  status?: number;
  body?: string;
  error?: string;
  at: number;
}

export interface FakeStripeState {
  customers: ReadonlyMap<string, StripeObject>;
  products: ReadonlyMap<string, StripeObject>;
  prices: ReadonlyMap<string, StripeObject>;
  billingMeters: ReadonlyMap<string, StripeObject>;
  /** Keyed by the event's `identifier`. */
  meterEvents: ReadonlyMap<string, StripeObject>;
  subscriptions: ReadonlyMap<string, StripeObject>;
  invoices: ReadonlyMap<string, StripeObject>;
  paymentMethods: ReadonlyMap<string, StripeObject>;
  checkoutSessions: ReadonlyMap<string, StripeObject>;
  portalSessions: ReadonlyMap<string, StripeObject>;
  setupIntents: ReadonlyMap<string, StripeObject>;
  /** Every event the fake generated or delivered (what `GET /v1/events` lists). */
  events: ReadonlyMap<string, StripeEvent>;
}

export interface FakeStripeOptions {
  /** Where the checkout flow (and `deliver` without a url) POSTs webhooks; settable later via `webhookUrl`. */
  webhookUrl?: string;
  /** `whsec_…` used to sign webhooks (default DEFAULT_WEBHOOK_SECRET). */
  webhookSecret?: string;
  /**
   * Also deliver the events API calls cause (customer.subscription.updated/deleted, invoice.paid, payment_method.*,
   * …) — after the API response, one at a time, like Stripe. Off by default so tests only see the webhooks they
   * ask for; the checkout flow always delivers. Use `settled()` to wait for them.
   */
  apiWebhooks?: boolean;
}

export interface DeliverOptions {
  url?: string;
  secret?: string;
  /** Send the same event (same id, freshly signed) this many times, like Stripe's retries (default 1). */
  times?: number;
}

export interface FakeStripe {
  /** `http://127.0.0.1:<port>` — give Tollgate this as its Stripe API base. */
  url: string;
  port: number;
  /** Mutable: Tollgate's port is often known only after the fake started. */
  webhookUrl: string | undefined;
  webhookSecret: string;
  /** Every request received so far, oldest first (checkout/portal browser visits included). */
  readonly requests: RecordedRequest[];
  /** Requests with this method ('*' = any) whose path starts with `pathPrefix`. */
  requestsTo(method: string, pathPrefix: string): RecordedRequest[];
  /** The objects by id. The Maps are read-only; the objects may be edited to set up a scenario. */
  readonly state: FakeStripeState;
  /** Every webhook POST made so far, oldest first. */
  readonly deliveries: WebhookDelivery[];
  /**
   * Mutable, default false: like Stripe at API versions before 2026-05-27.dahlia (Tollgate pins 2024-06-20), an
   * update with `payment_behavior=pending_if_incomplete` refuses `metadata` (400). True accepts it, as newer API
   * versions do.
   */
  pendingUpdateMetadata: boolean;
  /** The next `times` requests matching method ('*' = any) and path prefix fail with `status`. */
  failNext(method: string, pathPrefix: string, status: number, opts?: FailOptions): void;
  /** Sum of the stored meter event values for a customer and event name. */
  meterTotal(customerId: string, eventName: string): number;
  /** Creates a card payment method attached to the customer (last4 0002 or 0341 declines charges). */
  addCard(customerId: string, card?: { brand?: string; last4?: string; expMonth?: number; expYear?: number }): StripeObject;
  /** Creates an invoice for the customer (default status 'open'), e.g. to test paying it. */
  addInvoice(
    customerId: string,
    opts: { amountDue: number; status?: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible'; subscription?: string; description?: string; currency?: string },
  ): StripeObject;
  /** Signs and POSTs an event to the webhook url; resolves with every answer (rejects on connection errors). */
  deliver(
    event: { type: string; data: { object: unknown; previous_attributes?: unknown }; id?: string; created?: number },
    opts?: DeliverOptions,
  ): Promise<{ status: number; body: string }[]>;
  /** Resolves when the webhooks queued by API calls (apiWebhooks) have been delivered. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Pure helpers (exported for tests)
// ---------------------------------------------------------------------------------------------------------------

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `<prefix>_` + 14 random base62 characters, like Stripe's (shorter) test ids. */
export function stripeId(prefix: string, length = 14): string {
  const bytes = crypto.randomBytes(length);
  let s = '';
  for (const b of bytes) s += BASE62[b % 62];
  return `${prefix}_${s}`;
}

function decodeComponent(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/** `a[b][0]` → ['a', 'b', '0']; a key that is not of that shape is one segment. */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const segs = [key.slice(0, open)];
  const rest = key.slice(open);
  const re = /\[([^\]]*)\]/g;
  let consumed = 0;
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
    if (m.index !== consumed) return [key];
    segs.push(m[1]);
    consumed = re.lastIndex;
  }
  return consumed === rest.length ? segs : [key];
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Objects whose keys are all non-negative integers become arrays (ordered by index). */
function arrayify(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (const k of keys) obj[k] = arrayify(obj[k]);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => obj[k]);
  }
  return obj;
}

/**
 * Decodes Stripe's application/x-www-form-urlencoded nesting: `a[b][0]=x&a[b][1]=y&c[d]=1` →
 * `{a: {b: ['x', 'y']}, c: {d: '1'}}`. Numeric indices make arrays, `a[]=x` appends, values stay strings.
 */
export function decodeForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  if (!body) return root;
  for (const pair of body.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq >= 0 ? pair.slice(0, eq) : pair);
    const value = decodeComponent(eq >= 0 ? pair.slice(eq + 1) : '');
    const segs = splitKey(key);
    if (segs.some((s) => UNSAFE_KEYS.has(s))) continue;
    let node = root;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i] === '' ? String(Object.keys(node).length) : segs[i];
      if (i === segs.length - 1) {
        node[seg] = value;
      } else {
        const next = node[seg];
        if (next === null || typeof next !== 'object') node[seg] = {};
        node = node[seg] as Record<string, unknown>;
      }
    }
  }
  return arrayify(root) as Record<string, unknown>;
}

/** The inverse of decodeForm, as stripe-node encodes: nested objects as `a[b]`, arrays as `a[0]`. */
export function encodeForm(params: Record<string, unknown>): string {
  const out: string[] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (v === undefined) return;
    if (v === null) {
      out.push(`${encodeURIComponent(prefix)}=`);
    } else if (Array.isArray(v)) {
      v.forEach((el, i) => walk(`${prefix}[${i}]`, el));
    } else if (typeof v === 'object') {
      for (const [k, el] of Object.entries(v as Record<string, unknown>)) walk(prefix ? `${prefix}[${k}]` : k, el);
    } else {
      out.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(String(v))}`);
    }
  };
  walk('', params);
  return out.join('&');
}

/**
 * The `Stripe-Signature` value for a payload: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`.
 * Independent of the stripe package so tests can craft stale or wrong signatures.
 */
export function signPayload(payload: string, secret: string, timestamp?: number): string {
  const t = timestamp ?? Math.floor(Date.now() / 1000);
  const v1 = crypto.createHmac('sha256', secret).update(`${t}.${payload}`, 'utf8').digest('hex');
  return `t=${t},v1=${v1}`;
}

/** A Stripe event envelope around `object`; `overrides` replace any top-level field (id, created, request…). */
export function makeEvent(type: string, object: unknown, overrides: Partial<StripeEvent> = {}): StripeEvent {
  return {
    id: stripeId('evt', 24),
    object: 'event',
    api_version: FAKE_STRIPE_API_VERSION,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    ...overrides,
    type,
    data: { ...(overrides.data ?? {}), object },
  };
}

/** The error body Stripe sends: `{error: {type, code?, message, param?}}`. */
export function stripeErrorBody(
  status: number,
  message?: string,
  extra: { type?: string; code?: string; param?: string; decline_code?: string } = {},
): { error: Record<string, string> } {
  const error: Record<string, string> = { type: extra.type ?? defaultType(status) };
  const code = extra.code ?? DEFAULT_CODE[status];
  if (code) error.code = code;
  if (extra.decline_code ?? (status === 402 && !extra.code ? 'generic_decline' : undefined)) {
    error.decline_code = extra.decline_code ?? 'generic_decline';
  }
  error.message = message ?? DEFAULT_MESSAGE[status] ?? (status >= 500 ? DEFAULT_MESSAGE[500] : 'Invalid request.');
  if (extra.param) error.param = extra.param;
  return { error };
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'card_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  409: 'idempotency_error',
  429: 'rate_limit_error',
};
const DEFAULT_CODE: Record<number, string> = { 402: 'card_declined', 404: 'resource_missing', 429: 'rate_limit' };
const DEFAULT_MESSAGE: Record<number, string> = {
  400: 'Invalid request.',
  401: 'Invalid API Key provided.',
  402: 'Your card was declined.',
  403: 'The provided key does not have access to this resource.',
  404: 'The requested resource does not exist.',
  409: 'There is currently another in-progress request using this idempotency key. Please try again later.',
  429: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
  500: 'An unknown error occurred.',
};

function defaultType(status: number): string {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

// ---------------------------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------------------------

/** Thrown by handlers to answer with a Stripe error. */
class StripeFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: ReturnType<typeof stripeErrorBody>,
    /** Handler errors after the endpoint "ran" are stored for idempotent replay (402, 404). */
    readonly store: boolean,
  ) {
    super(body.error.message);
  }
}

function fail(status: number, message: string, extra: { type?: string; code?: string; param?: string; decline_code?: string } = {}): never {
  throw new StripeFailure(status, stripeErrorBody(status, message, extra), status === 402 || status === 404);
}

type Params = Record<string, unknown>;

interface Ctx {
  rec: RecordedRequest;
  /** Path parameters (decoded). */
  args: string[];
  /** Query and form merged (GET/DELETE send parameters in the query). */
  p: Params;
  /** Events to record (and, with apiWebhooks, deliver) once the answer is sent. */
  emits: StripeEvent[];
}

interface Route {
  method: string;
  re: RegExp;
  handler: (c: Ctx) => unknown;
}

interface FailRule {
  method: string;
  prefix: string;
  status: number;
  left: number;
  opts: FailOptions;
}

interface StoredIdempotent {
  method: string;
  path: string;
  params: string;
  status: number;
  body: string;
}

const nowSec = (): number => Math.floor(Date.now() / 1000);

const PAYMENT_BEHAVIORS = ['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'];
/** The update-subscription parameters a pending update accepts (Stripe's "Pending updates reference"). */
const PENDING_UPDATE_PARAMS = [
  'expand', 'payment_behavior', 'proration_behavior', 'proration_date', 'billing_cycle_anchor', 'items', 'trial_end',
  'trial_from_plan', 'add_invoice_items',
];

function prorationBehavior(v: unknown, name: string): string | undefined {
  const s = str(v);
  if (s === undefined || s === '') return undefined;
  if (!['create_prorations', 'none', 'always_invoice'].includes(s)) {
    fail(400, `Invalid ${name}: must be one of always_invoice, create_prorations, or none`, { param: name });
  }
  return s;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A string param where '' means "unset" (null). */
function nullable(v: unknown): string | null | undefined {
  if (v === undefined) return undefined;
  const s = str(v);
  return s === undefined || s === '' ? null : s;
}

function required(p: Params, name: string, display = name): string {
  const v = str(p[name]);
  if (v === undefined || v === '') fail(400, `Missing required param: ${display}.`, { code: 'parameter_missing', param: display });
  return v;
}

function intParam(v: unknown, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const s = str(v);
  if (s === undefined || !/^-?\d+$/.test(s)) fail(400, `Invalid integer: ${String(s ?? JSON.stringify(v))}`, { code: 'parameter_invalid_integer', param: name });
  return Number(s);
}

function boolParam(v: unknown, name: string): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  fail(400, `Invalid boolean: ${String(v)}`, { code: 'parameter_invalid_boolean', param: name });
}

function obj(v: unknown): Params | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Params) : undefined;
}

function arr(v: unknown): Params[] {
  if (Array.isArray(v)) return v.map((x) => obj(x) ?? {});
  const o = obj(v);
  return o ? [o] : [];
}

/** Stripe metadata semantics: `metadata=` clears, `metadata[k]=` deletes k, values are strings. */
function mergeMetadata(current: Record<string, string>, input: unknown): Record<string, string> {
  if (input === undefined) return current;
  if (input === '') return {};
  const o = obj(input);
  if (!o) fail(400, 'Invalid metadata: must be an object.', { param: 'metadata' });
  const out = { ...current };
  for (const [k, v] of Object.entries(o)) {
    if (v === '') delete out[k];
    else out[k] = String(v);
  }
  return out;
}

/** Stable JSON (sorted keys) so idempotency compares parameters, not their order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function money(amount: number, currency: string): string {
  const units = Number.isInteger(amount) ? (amount / 100).toFixed(2) : String(amount / 100);
  return currency.toLowerCase() === 'usd' ? `$${units}` : `${units} ${currency.toUpperCase()}`;
}

const CARD_LAST4: Record<string, string> = { visa: '4242', mastercard: '4444', amex: '8431', discover: '1117', diners: '0004', jcb: '0505', unionpay: '0005' };
/** Test cards whose charges Stripe declines (4000000000000002, 4000000000000341). */
const DECLINING_LAST4 = new Set(['0002', '0341']);

function postWebhook(url: string, payload: string, signature: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      {
        method: 'POST',
        agent: false,
        timeout: 15_000,
        rejectUnauthorized: false,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(payload),
          'stripe-signature': signature,
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          accept: '*/*; q=0.5, application/xml',
          'cache-control': 'no-cache',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`webhook POST to ${url} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function startFakeStripe(opts: FakeStripeOptions = {}): Promise<FakeStripe> {
  const requests: RecordedRequest[] = [];
  const deliveries: WebhookDelivery[] = [];
  const failRules: FailRule[] = [];
  const idempotent = new Map<string, StoredIdempotent>();
  const sockets = new Set<net.Socket>();

  const customers = new Map<string, StripeObject>();
  const deletedCustomers = new Set<string>();
  const products = new Map<string, StripeObject>();
  const prices = new Map<string, StripeObject>();
  const billingMeters = new Map<string, StripeObject>();
  const meterEvents = new Map<string, StripeObject>();
  const subscriptions = new Map<string, StripeObject>();
  const invoices = new Map<string, StripeObject>();
  const paymentMethods = new Map<string, StripeObject>();
  const checkoutSessions = new Map<string, StripeObject>();
  const portalSessions = new Map<string, StripeObject>();
  const setupIntents = new Map<string, StripeObject>();
  const events = new Map<string, StripeEvent>();
  /** Checkout line items are not part of the session object unless expanded; kept aside. */
  const sessionLines = new Map<string, { price: StripeObject; quantity?: number }[]>();
  const sessionSubData = new Map<string, { metadata: Record<string, string>; trialDays?: number }>();
  const allMaps: Map<string, StripeObject>[] = [
    customers, products, prices, billingMeters, subscriptions, invoices, paymentMethods, checkoutSessions, portalSessions, setupIntents,
  ];
  let invoiceSeq = 0;
  let deliveryChain: Promise<void> = Promise.resolve();
  let baseUrl = '';

  const base = (object: string, prefix: string, id?: string): StripeObject => ({
    id: id ?? stripeId(prefix),
    object,
    created: nowSec(),
    livemode: false,
    metadata: {},
  });

  // ---- lookups -------------------------------------------------------------------------------------------------

  /** 404 for the object named in the URL. */
  const get404 = (map: Map<string, StripeObject>, id: string, noun: string): StripeObject => {
    const o = map.get(id);
    if (!o) fail(404, `No such ${noun}: '${id}'`, { param: 'id' });
    return o;
  };
  /** 400 resource_missing for an object named by a parameter (Stripe's answer for a dangling reference). */
  const ref400 = (map: Map<string, StripeObject>, id: string, noun: string, param: string): StripeObject => {
    const o = map.get(id);
    if (!o) fail(400, `No such ${noun}: '${id}'`, { code: 'resource_missing', param });
    return o;
  };
  const liveCustomer = (id: string, param?: string): StripeObject =>
    param ? ref400(customers, id, 'customer', param) : get404(customers, id, 'customer');

  const findById = (id: string): StripeObject | undefined => {
    for (const m of allMaps) {
      const o = m.get(id);
      if (o) return o;
    }
    return undefined;
  };

  const expandPath = (node: unknown, segs: string[]): void => {
    if (node === null || typeof node !== 'object' || segs.length === 0) return;
    if (Array.isArray(node)) {
      for (const el of node) expandPath(el, segs);
      return;
    }
    const o = node as Record<string, unknown>;
    const [head, ...rest] = segs;
    const v = o[head];
    if (typeof v === 'string') {
      const found = findById(v);
      if (found) o[head] = structuredClone(found);
    }
    expandPath(o[head], rest);
  };
  const expand = (body: unknown, p: Params): unknown => {
    const e = p.expand;
    const paths = (Array.isArray(e) ? e : typeof e === 'string' ? [e] : []).filter((x): x is string => typeof x === 'string');
    if (paths.length === 0 || body === null || typeof body !== 'object') return body;
    const copy = structuredClone(body);
    for (const path of paths) expandPath(copy, path.split('.'));
    return copy;
  };

  const list = (url: string, items: StripeObject[], p: Params): StripeList => {
    const sorted = [...items].reverse();
    let start = 0;
    const after = str(p.starting_after);
    if (after) start = sorted.findIndex((o) => o.id === after) + 1;
    const limit = Math.min(100, Math.max(1, intParam(p.limit, 'limit') ?? 10));
    return { object: 'list', data: sorted.slice(start, start + limit), has_more: start + limit < sorted.length, url };
  };

  // ---- domain helpers ------------------------------------------------------------------------------------------

  const unitAmount = (price: StripeObject): number => price.unit_amount ?? Number(price.unit_amount_decimal ?? 0);
  const productName = (price: StripeObject): string =>
    products.get(price.product as string)?.name ?? price.nickname ?? price.id ?? 'product';
  const isMetered = (price: StripeObject): boolean => price.recurring?.usage_type === 'metered';
  const meterFor = (eventName: string): StripeObject | undefined =>
    [...billingMeters.values()].find((m) => m.event_name === eventName && m.status === 'active') ??
    [...billingMeters.values()].find((m) => m.event_name === eventName);

  const usage = (customerId: string, eventName: string, from?: number, to?: number): { sum: number; count: number; last: number } => {
    const meter = meterFor(eventName);
    const custKey: string = meter?.customer_mapping?.event_payload_key ?? 'stripe_customer_id';
    const valueKey: string = meter?.value_settings?.event_payload_key ?? 'value';
    let sum = 0;
    let count = 0;
    let last = 0;
    for (const ev of meterEvents.values()) {
      if (ev.event_name !== eventName || ev.payload?.[custKey] !== customerId) continue;
      if (from !== undefined && ev.timestamp < from) continue;
      if (to !== undefined && ev.timestamp >= to) continue;
      const v = Number(ev.payload?.[valueKey] ?? 1);
      if (!Number.isFinite(v)) continue;
      sum += v;
      count += 1;
      last = v;
    }
    return { sum, count, last };
  };
  const meterTotal = (customerId: string, eventName: string): number => usage(customerId, eventName).sum;

  const makeCard = (customerId: string | null, card: { brand?: string; last4?: string; expMonth?: number; expYear?: number } = {}): StripeObject => {
    const brand = card.brand ?? 'visa';
    const pm: StripeObject = {
      ...base('payment_method', 'pm'),
      type: 'card',
      allow_redisplay: 'unspecified',
      billing_details: { address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: null, phone: null },
      card: {
        brand,
        display_brand: brand,
        last4: card.last4 ?? CARD_LAST4[brand] ?? '4242',
        exp_month: card.expMonth ?? 12,
        exp_year: card.expYear ?? new Date().getUTCFullYear() + 3,
        country: 'US',
        funding: 'credit',
        fingerprint: crypto.randomBytes(8).toString('hex'),
        networks: { available: [brand], preferred: null },
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
        wallet: null,
      },
      customer: customerId,
    };
    paymentMethods.set(pm.id!, pm);
    return pm;
  };

  const defaultPaymentMethod = (customerId: string, sub?: StripeObject): StripeObject | undefined => {
    const ids = [sub?.default_payment_method, customers.get(customerId)?.invoice_settings?.default_payment_method];
    for (const id of ids) {
      const pm = typeof id === 'string' ? paymentMethods.get(id) : undefined;
      if (pm && pm.customer === customerId) return pm;
    }
    return [...paymentMethods.values()].reverse().find((pm) => pm.customer === customerId);
  };

  interface Line {
    amount: number;
    description: string;
    price?: StripeObject;
    quantity?: number | null;
    proration?: boolean;
    period: { start: number; end: number };
  }

  const invoiceLine = (l: Line, currency: string): StripeObject => ({
    id: stripeId('il'),
    object: 'line_item',
    amount: l.amount,
    currency,
    description: l.description,
    livemode: false,
    metadata: {},
    period: l.period,
    price: l.price ? structuredClone(l.price) : null,
    proration: l.proration ?? false,
    quantity: l.quantity ?? null,
    type: 'subscription',
  });

  const makeInvoice = (
    customerId: string,
    o: { lines: Line[]; status: string; subscription?: StripeObject; billingReason: string; currency?: string; description?: string },
  ): StripeObject => {
    const currency = o.currency ?? (o.lines.find((l) => l.price)?.price?.currency as string | undefined) ?? 'usd';
    const total = o.lines.reduce((s, l) => s + l.amount, 0);
    const due = Math.max(0, total);
    const t = nowSec();
    const inv: StripeObject = { ...base('invoice', 'in') };
    const paid = o.status === 'paid';
    const periodStart = o.lines[0]?.period.start ?? t;
    const periodEnd = o.lines[0]?.period.end ?? t;
    Object.assign(inv, {
      account_country: 'US',
      amount_due: due,
      amount_paid: paid ? due : 0,
      amount_remaining: paid ? 0 : due,
      attempt_count: paid ? 1 : 0,
      attempted: paid,
      billing_reason: o.billingReason,
      collection_method: 'charge_automatically',
      currency,
      customer: customerId,
      customer_email: customers.get(customerId)?.email ?? null,
      description: o.description ?? null,
      hosted_invoice_url: `${baseUrl}/invoice/${inv.id}`,
      invoice_pdf: `${baseUrl}/invoice/${inv.id}/pdf`,
      lines: { object: 'list', data: o.lines.map((l) => invoiceLine(l, currency)), has_more: false, url: `/v1/invoices/${inv.id}/lines` },
      next_payment_attempt: paid || o.status !== 'open' ? null : t + 3600,
      number: `FAKE-${String(++invoiceSeq).padStart(4, '0')}`,
      paid,
      parent: o.subscription
        ? { type: 'subscription_details', subscription_details: { subscription: o.subscription.id, metadata: { ...o.subscription.metadata } } }
        : null,
      period_end: periodEnd,
      period_start: periodStart,
      status: o.status,
      status_transitions: {
        finalized_at: o.status === 'draft' ? null : t,
        paid_at: paid ? t : null,
        voided_at: o.status === 'void' ? t : null,
        marked_uncollectible_at: null,
      },
      subscription: o.subscription?.id ?? null,
      subtotal: total,
      total,
    });
    invoices.set(inv.id!, inv);
    return inv;
  };

  const licensedLine = (price: StripeObject, quantity: number, period: { start: number; end: number }): Line => {
    const amount = Math.round(unitAmount(price) * quantity);
    return {
      amount,
      description: `${quantity} × ${productName(price)} (at ${money(unitAmount(price), price.currency)} / ${price.recurring?.interval ?? 'each'})`,
      price,
      quantity,
      period,
    };
  };
  const meteredLine = (customerId: string, price: StripeObject, period: { start: number; end: number }): Line => {
    const meter = typeof price.recurring?.meter === 'string' ? billingMeters.get(price.recurring.meter) : undefined;
    const used = meter ? usage(customerId, meter.event_name, period.start, period.end).sum : 0;
    return {
      amount: Math.round(used * unitAmount(price)),
      description: `${used} × ${productName(price)} (at ${money(unitAmount(price), price.currency)} / unit)`,
      price,
      quantity: used,
      period,
    };
  };

  const makeSubscriptionItem = (subId: string, price: StripeObject, quantity: number | undefined, start: number, end: number): StripeObject => {
    const item: StripeObject = {
      id: stripeId('si'),
      object: 'subscription_item',
      created: nowSec(),
      current_period_end: end,
      current_period_start: start,
      metadata: {},
      price: structuredClone(price),
      subscription: subId,
    };
    if (!isMetered(price)) item.quantity = quantity ?? 1;
    return item;
  };

  const createSubscription = (
    customerId: string,
    lines: { price: StripeObject; quantity?: number }[],
    o: { metadata: Record<string, string>; trialDays?: number; paymentMethod?: StripeObject },
  ): { sub: StripeObject; invoice: StripeObject } => {
    const t = nowSec();
    const trialEnd = o.trialDays ? t + o.trialDays * DAY : null;
    const end = trialEnd ?? t + PERIOD;
    const sub: StripeObject = { ...base('subscription', 'sub'), metadata: { ...o.metadata } };
    Object.assign(sub, {
      billing_cycle_anchor: end,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      collection_method: 'charge_automatically',
      currency: lines[0]?.price.currency ?? 'usd',
      current_period_end: end,
      current_period_start: t,
      customer: customerId,
      default_payment_method: o.paymentMethod?.id ?? null,
      ended_at: null,
      items: {
        object: 'list',
        data: lines.map((l) => makeSubscriptionItem(sub.id!, l.price, l.quantity, t, end)),
        has_more: false,
        url: `/v1/subscription_items?subscription=${sub.id}`,
      },
      latest_invoice: null,
      pending_update: null,
      start_date: t,
      status: trialEnd ? 'trialing' : 'active',
      trial_end: trialEnd,
      trial_start: trialEnd ? t : null,
    });
    const period = { start: t, end };
    const invLines = lines.map((l) =>
      isMetered(l.price)
        ? { amount: 0, description: `${productName(l.price)} (metered, billed in arrears)`, price: l.price, quantity: 0, period }
        : trialEnd
          ? { amount: 0, description: `Trial period for ${productName(l.price)}`, price: l.price, quantity: l.quantity ?? 1, period }
          : licensedLine(l.price, l.quantity ?? 1, period),
    );
    subscriptions.set(sub.id!, sub);
    const invoice = makeInvoice(customerId, { lines: invLines, status: 'paid', subscription: sub, billingReason: 'subscription_create' });
    sub.latest_invoice = invoice.id;
    return { sub, invoice };
  };

  /**
   * The upcoming-invoice estimate. With item changes: each changed licensed item yields a credit for the unused
   * part of the period of its old price, plus the new price in full (Stripe's arithmetic, simplified).
   * Metered items are billed from the usage recorded in the current period.
   *
   * `o.prorationDate` (Stripe's `subscription_proration_date` / `proration_date`) is the instant the prorations are
   * computed at (default: now). With `o.behavior === 'always_invoice'` the answer is the invoice Stripe would
   * create at once for the change: only the proration lines — the credit for the unused time on the old price and
   * the charge for the remaining time on the new one — as Stripe invoices a change made with
   * `proration_behavior=always_invoice`.
   */
  const previewInvoice = (
    p: Params,
    changes: Params[],
    changesParam: string,
    o: { prorationDate?: number; behavior?: string } = {},
  ): StripeObject => {
    const subParam = str(p.subscription);
    const customerParam = str(p.customer);
    if (!subParam && !customerParam) fail(400, 'Missing required param: customer.', { code: 'parameter_missing', param: 'customer' });
    let sub: StripeObject | undefined;
    if (subParam) sub = ref400(subscriptions, subParam, 'subscription', 'subscription');
    else {
      liveCustomer(customerParam!, 'customer');
      sub = [...subscriptions.values()].reverse().find((s) => s.customer === customerParam && s.status !== 'canceled');
    }
    if (!sub || sub.status === 'canceled') {
      fail(404, `No upcoming invoices for customer: ${customerParam ?? sub?.customer}`, { code: 'invoice_upcoming_none' });
    }
    const customerId = sub.customer as string;
    const t = o.prorationDate ?? nowSec();
    const start = sub.current_period_start as number;
    const end = sub.current_period_end as number;
    const remaining = Math.min(1, Math.max(0, (end - t) / Math.max(1, end - start)));
    const immediate = o.behavior === 'always_invoice';
    const items = (sub.items.data as StripeObject[]).map((it) => ({ id: it.id as string | undefined, price: it.price as StripeObject, quantity: (it.quantity as number | undefined) ?? 1 }));
    const lines: Line[] = [];
    const credit = (price: StripeObject, quantity: number): void => {
      if (isMetered(price)) return;
      const amount = Math.round(unitAmount(price) * quantity * remaining);
      lines.push({
        amount: -amount,
        description: `Unused time on ${quantity} × ${productName(price)} after ${new Date(t * 1000).toUTCString().slice(5, 16)}`,
        price,
        quantity,
        proration: true,
        period: { start: t, end },
      });
    };
    const remainingCharge = (price: StripeObject, quantity: number): void => {
      if (isMetered(price)) return;
      lines.push({
        amount: Math.round(unitAmount(price) * quantity * remaining),
        description: `Remaining time on ${quantity} × ${productName(price)} after ${new Date(t * 1000).toUTCString().slice(5, 16)}`,
        price,
        quantity,
        proration: true,
        period: { start: t, end },
      });
    };
    changes.forEach((ch, i) => {
      const id = str(ch.id);
      const target = id ? items.find((it) => it.id === id) : undefined;
      if (id && !target) fail(400, `No such subscription item: '${id}'`, { code: 'resource_missing', param: `${changesParam}[${i}][id]` });
      if (ch.deleted === 'true' && target) {
        credit(target.price, target.quantity);
        items.splice(items.indexOf(target), 1);
        return;
      }
      const priceId = str(ch.price);
      const quantity = intParam(ch.quantity, `${changesParam}[${i}][quantity]`);
      if (priceId) {
        const price = ref400(prices, priceId, 'price', `${changesParam}[${i}][price]`);
        if (target) {
          const changed = target.price.id !== price.id || (quantity !== undefined && quantity !== target.quantity);
          if (changed) credit(target.price, target.quantity);
          target.price = price;
          if (quantity !== undefined) target.quantity = quantity;
          if (changed && immediate) remainingCharge(price, target.quantity);
        } else {
          items.push({ id: undefined, price, quantity: quantity ?? 1 });
          if (immediate) remainingCharge(price, quantity ?? 1);
        }
      } else if (target && quantity !== undefined && quantity !== target.quantity) {
        credit(target.price, target.quantity);
        target.quantity = quantity;
        if (immediate) remainingCharge(target.price, quantity);
      }
    });
    if (!immediate) {
      for (const it of items) {
        lines.push(isMetered(it.price) ? meteredLine(customerId, it.price, { start, end }) : licensedLine(it.price, it.quantity, { start, end }));
      }
    }
    const currency = (items[0]?.price.currency as string | undefined) ?? (sub.currency as string);
    const total = lines.reduce((s, l) => s + l.amount, 0);
    return {
      object: 'invoice',
      account_country: 'US',
      amount_due: Math.max(0, total),
      amount_paid: 0,
      amount_remaining: Math.max(0, total),
      billing_reason: immediate ? 'subscription_update' : 'upcoming',
      collection_method: 'charge_automatically',
      created: t,
      currency,
      customer: customerId,
      lines: { object: 'list', data: lines.map((l) => invoiceLine(l, currency)), has_more: false, url: `/v1/invoices/upcoming/lines?customer=${customerId}` },
      livemode: false,
      metadata: {},
      next_payment_attempt: end,
      paid: false,
      period_end: end,
      period_start: start,
      starting_balance: 0,
      status: 'draft',
      subscription: sub.id,
      subtotal: total,
      total,
    };
  };

  /** Charges an open invoice from the customer's default (or newest) card. */
  const payInvoice = (inv: StripeObject, emits: StripeEvent[], outOfBand = false): StripeObject => {
    if (inv.status === 'paid') fail(400, 'Invoice is already paid', { code: 'invoice_already_paid' });
    if (inv.status === 'void' || inv.status === 'draft') fail(400, `You can only pay an invoice that is open or uncollectible; this invoice is ${inv.status}.`, { code: 'invoice_not_open' });
    const t = nowSec();
    if (!outOfBand && inv.amount_due > 0) {
      const sub = typeof inv.subscription === 'string' ? subscriptions.get(inv.subscription) : undefined;
      const pm = defaultPaymentMethod(inv.customer as string, sub);
      if (!pm) fail(400, 'This customer has no attached payment source or default payment method.');
      if (DECLINING_LAST4.has(pm.card?.last4)) {
        inv.attempt_count = (inv.attempt_count ?? 0) + 1;
        inv.attempted = true;
        emits.push(makeEvent('invoice.payment_failed', structuredClone(inv)));
        throw new StripeFailure(402, stripeErrorBody(402, 'Your card was declined.', { code: 'card_declined', decline_code: 'generic_decline' }), true);
      }
    }
    Object.assign(inv, {
      status: 'paid',
      paid: true,
      amount_paid: inv.amount_due,
      amount_remaining: 0,
      attempt_count: (inv.attempt_count ?? 0) + 1,
      attempted: true,
      next_payment_attempt: null,
      paid_out_of_band: outOfBand,
    });
    inv.status_transitions = { ...inv.status_transitions, paid_at: t };
    emits.push(makeEvent('invoice.paid', structuredClone(inv)));
    return inv;
  };

  const attachPaymentMethod = (pmId: string, customerId: string, param: string): StripeObject => {
    const customer = liveCustomer(customerId, param);
    const token = /^pm_card_([a-z]+)(?:_(chargeDeclined))?$/.exec(pmId) ?? /^pm_card_(chargeDeclined)$/.exec(pmId);
    if (token) {
      // Stripe's test tokens: attaching pm_card_visa creates a new card payment method.
      const declined = token[1] === 'chargeDeclined' || token[2] === 'chargeDeclined';
      const brand = token[1] === 'chargeDeclined' ? 'visa' : token[1];
      return makeCard(customer.id!, { brand, last4: declined ? '0341' : undefined });
    }
    const pm = get404(paymentMethods, pmId, 'PaymentMethod');
    if (pm.customer && pm.customer !== customerId) {
      fail(400, 'The payment method you provided has already been attached to a customer.', { code: 'payment_method_already_attached' });
    }
    pm.customer = customerId;
    return pm;
  };

  const setDefaultPaymentMethod = (customer: StripeObject, v: unknown, param: string): void => {
    const id = nullable(v);
    if (id === undefined) return;
    if (id !== null) {
      const pm = paymentMethods.get(id);
      if (!pm || pm.customer !== customer.id) {
        fail(400, `The customer does not have a payment method with the ID ${id}. The payment method must be attached to the customer.`, {
          code: 'resource_missing',
          param,
        });
      }
    }
    customer.invoice_settings = { ...customer.invoice_settings, default_payment_method: id };
  };

  // ---- routes --------------------------------------------------------------------------------------------------

  const routes: Route[] = [];
  const route = (method: string, pattern: string, handler: (c: Ctx) => unknown): void => {
    routes.push({ method, re: new RegExp(`^${pattern.replace(/:[a-z_]+/g, '([^/]+)')}/?$`), handler });
  };

  // Customers
  const customerView = (id: string): StripeObject => {
    if (deletedCustomers.has(id)) return { id, object: 'customer', deleted: true };
    return get404(customers, id, 'customer');
  };
  route('POST', '/v1/customers', ({ p, emits }) => {
    const c: StripeObject = { ...base('customer', 'cus') };
    Object.assign(c, {
      address: null,
      balance: intParam(p.balance, 'balance') ?? 0,
      currency: null,
      default_source: null,
      delinquent: false,
      description: nullable(p.description) ?? null,
      email: nullable(p.email) ?? null,
      invoice_prefix: crypto.randomBytes(4).toString('hex').toUpperCase(),
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      metadata: mergeMetadata({}, p.metadata),
      name: nullable(p.name) ?? null,
      phone: nullable(p.phone) ?? null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    });
    customers.set(c.id!, c);
    try {
      const pmId = str(p.payment_method);
      if (pmId) attachPaymentMethod(pmId, c.id!, 'payment_method');
      setDefaultPaymentMethod(c, obj(p.invoice_settings)?.default_payment_method, 'invoice_settings[default_payment_method]');
    } catch (e) {
      customers.delete(c.id!); // a failed create leaves nothing behind
      throw e;
    }
    emits.push(makeEvent('customer.created', structuredClone(c)));
    return c;
  });
  route('GET', '/v1/customers', ({ p }) => {
    const email = str(p.email);
    return list('/v1/customers', [...customers.values()].filter((c) => !email || c.email === email), p);
  });
  route('GET', '/v1/customers/:id', ({ args }) => customerView(args[0]));
  route('POST', '/v1/customers/:id', ({ args, p, emits }) => {
    const c = get404(customers, args[0], 'customer');
    for (const k of ['email', 'name', 'description', 'phone'] as const) {
      const v = nullable(p[k]);
      if (v !== undefined) c[k] = v;
    }
    c.metadata = mergeMetadata(c.metadata, p.metadata);
    setDefaultPaymentMethod(c, obj(p.invoice_settings)?.default_payment_method, 'invoice_settings[default_payment_method]');
    emits.push(makeEvent('customer.updated', structuredClone(c)));
    return c;
  });
  route('DELETE', '/v1/customers/:id', ({ args, emits }) => {
    const c = get404(customers, args[0], 'customer');
    // Stripe cancels a deleted customer's subscriptions immediately.
    for (const sub of subscriptions.values()) {
      if (sub.customer === c.id && sub.status !== 'canceled') {
        Object.assign(sub, { status: 'canceled', canceled_at: nowSec(), ended_at: nowSec() });
        emits.push(makeEvent('customer.subscription.deleted', structuredClone(sub)));
      }
    }
    customers.delete(c.id!);
    deletedCustomers.add(c.id!);
    emits.push(makeEvent('customer.deleted', structuredClone(c)));
    return { id: c.id, object: 'customer', deleted: true };
  });
  route('GET', '/v1/customers/:id/payment_methods', ({ args, p }) => {
    get404(customers, args[0], 'customer');
    const type = str(p.type);
    return list(
      `/v1/customers/${args[0]}/payment_methods`,
      [...paymentMethods.values()].filter((pm) => pm.customer === args[0] && (!type || pm.type === type)),
      p,
    );
  });

  // Products and prices
  route('POST', '/v1/products', ({ p, emits }) => {
    const name = required(p, 'name');
    const id = str(p.id);
    if (id && products.has(id)) fail(400, `Product already exists.`, { code: 'resource_already_exists', param: 'id' });
    const prod: StripeObject = { ...base('product', 'prod', id || undefined) };
    Object.assign(prod, {
      active: boolParam(p.active, 'active') ?? true,
      default_price: null,
      description: nullable(p.description) ?? null,
      images: [],
      marketing_features: [],
      metadata: mergeMetadata({}, p.metadata),
      name,
      package_dimensions: null,
      shippable: null,
      statement_descriptor: null,
      tax_code: nullable(p.tax_code) ?? null,
      type: 'service',
      unit_label: nullable(p.unit_label) ?? null,
      updated: nowSec(),
      url: null,
    });
    products.set(prod.id!, prod);
    emits.push(makeEvent('product.created', structuredClone(prod)));
    return prod;
  });
  route('GET', '/v1/products', ({ p }) => {
    const active = boolParam(p.active, 'active');
    return list('/v1/products', [...products.values()].filter((x) => active === undefined || x.active === active), p);
  });
  route('GET', '/v1/products/:id', ({ args }) => get404(products, args[0], 'product'));
  route('POST', '/v1/products/:id', ({ args, p, emits }) => {
    const prod = get404(products, args[0], 'product');
    const name = str(p.name);
    if (name === '') fail(400, 'You cannot unset the name of a product.', { param: 'name' });
    if (name) prod.name = name;
    for (const k of ['description', 'unit_label', 'tax_code'] as const) {
      const v = nullable(p[k]);
      if (v !== undefined) prod[k] = v;
    }
    const active = boolParam(p.active, 'active');
    if (active !== undefined) prod.active = active;
    const dp = nullable(p.default_price);
    if (dp) {
      const price = ref400(prices, dp, 'price', 'default_price');
      if (price.product !== prod.id) fail(400, `The price ${dp} does not belong to this product.`, { param: 'default_price' });
    }
    if (dp !== undefined) prod.default_price = dp;
    prod.metadata = mergeMetadata(prod.metadata, p.metadata);
    prod.updated = nowSec();
    emits.push(makeEvent('product.updated', structuredClone(prod)));
    return prod;
  });

  route('POST', '/v1/prices', ({ p, emits }) => {
    const currency = required(p, 'currency').toLowerCase();
    let productId = str(p.product);
    const productData = obj(p.product_data);
    if (!productId && !productData) fail(400, 'Missing required param: product.', { code: 'parameter_missing', param: 'product' });
    if (productId) ref400(products, productId, 'product', 'product');
    const unit = intParam(p.unit_amount, 'unit_amount');
    const decimal = str(p.unit_amount_decimal);
    if (unit === undefined && decimal === undefined) fail(400, 'Missing required param: unit_amount.', { code: 'parameter_missing', param: 'unit_amount' });
    if (unit !== undefined && unit < 0) fail(400, 'This value must be greater than or equal to 0.', { param: 'unit_amount' });
    if (decimal !== undefined && !/^\d+(\.\d{1,12})?$/.test(decimal)) fail(400, `Invalid decimal: ${decimal}`, { param: 'unit_amount_decimal' });
    const rec = obj(p.recurring);
    let recurring: StripeObject | null = null;
    if (rec) {
      const interval = str(rec.interval);
      if (!interval) fail(400, 'Missing required param: recurring[interval].', { code: 'parameter_missing', param: 'recurring[interval]' });
      if (!['day', 'week', 'month', 'year'].includes(interval)) fail(400, `Invalid recurring[interval]: must be one of day, week, month, or year`, { param: 'recurring[interval]' });
      const usageType = str(rec.usage_type) ?? 'licensed';
      if (!['licensed', 'metered'].includes(usageType)) fail(400, 'Invalid recurring[usage_type]: must be one of licensed or metered', { param: 'recurring[usage_type]' });
      const meter = str(rec.meter);
      if (meter) ref400(billingMeters, meter, 'billing.meter', 'recurring[meter]');
      if (meter && usageType !== 'metered') fail(400, 'recurring[meter] can only be set when recurring[usage_type] is metered.', { param: 'recurring[meter]' });
      recurring = {
        object: 'recurring',
        aggregate_usage: null,
        interval,
        interval_count: intParam(rec.interval_count, 'recurring[interval_count]') ?? 1,
        meter: meter ?? null,
        trial_period_days: null,
        usage_type: usageType,
      };
    }
    if (!productId && productData) {
      const prod: StripeObject = { ...base('product', 'prod') };
      Object.assign(prod, {
        active: true,
        default_price: null,
        description: null,
        images: [],
        marketing_features: [],
        metadata: mergeMetadata({}, productData.metadata),
        name: required(productData, 'name', 'product_data[name]'),
        type: 'service',
        unit_label: null,
        updated: nowSec(),
        url: null,
      });
      products.set(prod.id!, prod);
      productId = prod.id;
    }
    const price: StripeObject = { ...base('price', 'price') };
    Object.assign(price, {
      active: boolParam(p.active, 'active') ?? true,
      billing_scheme: str(p.billing_scheme) ?? 'per_unit',
      currency,
      custom_unit_amount: null,
      lookup_key: nullable(p.lookup_key) ?? null,
      metadata: mergeMetadata({}, p.metadata),
      nickname: nullable(p.nickname) ?? null,
      product: productId,
      recurring,
      tax_behavior: str(p.tax_behavior) ?? 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: recurring ? 'recurring' : 'one_time',
      unit_amount: unit ?? (decimal !== undefined && /^\d+(\.0+)?$/.test(decimal) ? Number.parseInt(decimal, 10) : null),
      unit_amount_decimal: decimal ?? String(unit),
    });
    prices.set(price.id!, price);
    emits.push(makeEvent('price.created', structuredClone(price)));
    return price;
  });
  route('GET', '/v1/prices', ({ p }) => {
    const product = str(p.product);
    const active = boolParam(p.active, 'active');
    const lookupKeys = Array.isArray(p.lookup_keys) ? (p.lookup_keys as unknown[]) : undefined;
    return list(
      '/v1/prices',
      [...prices.values()].filter(
        (x) => (!product || x.product === product) && (active === undefined || x.active === active) && (!lookupKeys || lookupKeys.includes(x.lookup_key)),
      ),
      p,
    );
  });
  route('GET', '/v1/prices/:id', ({ args }) => get404(prices, args[0], 'price'));
  route('POST', '/v1/prices/:id', ({ args, p, emits }) => {
    const price = get404(prices, args[0], 'price');
    for (const k of Object.keys(p)) {
      // Amounts, currency and recurrence of a Stripe price are immutable.
      if (!['active', 'metadata', 'expand'].includes(k)) fail(400, `Received unknown parameter: ${k}`, { code: 'parameter_unknown', param: k });
    }
    const active = boolParam(p.active, 'active');
    if (active !== undefined) price.active = active;
    price.metadata = mergeMetadata(price.metadata, p.metadata);
    emits.push(makeEvent('price.updated', structuredClone(price)));
    return price;
  });

  // Billing meters and meter events
  route('POST', '/v1/billing/meters', ({ p }) => {
    const displayName = required(p, 'display_name');
    const eventName = required(p, 'event_name');
    const formula = str(obj(p.default_aggregation)?.formula);
    if (!formula) fail(400, 'Missing required param: default_aggregation[formula].', { code: 'parameter_missing', param: 'default_aggregation[formula]' });
    if (!['sum', 'count', 'last'].includes(formula)) fail(400, 'Invalid default_aggregation[formula]: must be one of count, sum, or last', { param: 'default_aggregation[formula]' });
    if ([...billingMeters.values()].some((m) => m.event_name === eventName && m.status === 'active')) {
      fail(400, `An active meter with event_name '${eventName}' already exists.`, { code: 'resource_already_exists', param: 'event_name' });
    }
    const mapping = obj(p.customer_mapping) ?? {};
    const m: StripeObject = { ...base('billing.meter', 'mtr') };
    delete m.metadata;
    Object.assign(m, {
      customer_mapping: { event_payload_key: str(mapping.event_payload_key) ?? 'stripe_customer_id', type: str(mapping.type) ?? 'by_id' },
      default_aggregation: { formula },
      display_name: displayName,
      event_name: eventName,
      event_time_window: nullable(p.event_time_window) ?? null,
      status: 'active',
      status_transitions: { deactivated_at: null },
      updated: nowSec(),
      value_settings: { event_payload_key: str(obj(p.value_settings)?.event_payload_key) ?? 'value' },
    });
    billingMeters.set(m.id!, m);
    return m;
  });
  route('GET', '/v1/billing/meters', ({ p }) => {
    const status = str(p.status);
    return list('/v1/billing/meters', [...billingMeters.values()].filter((m) => !status || m.status === status), p);
  });
  route('GET', '/v1/billing/meters/:id', ({ args }) => get404(billingMeters, args[0], 'billing.meter'));
  route('POST', '/v1/billing/meters/:id', ({ args, p }) => {
    const m = get404(billingMeters, args[0], 'billing.meter');
    const dn = str(p.display_name);
    if (dn) m.display_name = dn;
    m.updated = nowSec();
    return m;
  });
  route('POST', '/v1/billing/meters/:id/deactivate', ({ args }) => {
    const m = get404(billingMeters, args[0], 'billing.meter');
    Object.assign(m, { status: 'inactive', status_transitions: { deactivated_at: nowSec() }, updated: nowSec() });
    return m;
  });
  route('POST', '/v1/billing/meters/:id/reactivate', ({ args }) => {
    const m = get404(billingMeters, args[0], 'billing.meter');
    Object.assign(m, { status: 'active', status_transitions: { deactivated_at: null }, updated: nowSec() });
    return m;
  });
  route('GET', '/v1/billing/meters/:id/event_summaries', ({ args, p }) => {
    const m = get404(billingMeters, args[0], 'billing.meter');
    const customer = required(p, 'customer');
    const startTime = intParam(p.start_time, 'start_time');
    const endTime = intParam(p.end_time, 'end_time');
    if (startTime === undefined) fail(400, 'Missing required param: start_time.', { code: 'parameter_missing', param: 'start_time' });
    if (endTime === undefined) fail(400, 'Missing required param: end_time.', { code: 'parameter_missing', param: 'end_time' });
    const u = usage(customer, m.event_name, startTime, endTime);
    const formula = m.default_aggregation.formula as string;
    const summary: StripeObject = {
      id: stripeId('mtrusg'),
      object: 'billing.meter_event_summary',
      aggregated_value: formula === 'count' ? u.count : formula === 'last' ? u.last : u.sum,
      end_time: endTime,
      livemode: false,
      meter: m.id,
      start_time: startTime,
    };
    return { object: 'list', data: [summary], has_more: false, url: `/v1/billing/meters/${m.id}/event_summaries` };
  });
  route('POST', '/v1/billing/meter_events', ({ p }) => {
    const eventName = required(p, 'event_name');
    const payload = obj(p.payload);
    if (!payload) fail(400, 'Missing required param: payload.', { code: 'parameter_missing', param: 'payload' });
    const identifier = str(p.identifier) || stripeId('mev', 20);
    const existing = meterEvents.get(identifier);
    if (existing) return existing; // Stripe deduplicates by identifier
    const t = nowSec();
    const timestamp = intParam(p.timestamp, 'timestamp') ?? t;
    if (timestamp < t - 35 * DAY || timestamp > t + 300) {
      fail(400, 'Timestamp must be within the past 35 days and not more than 5 minutes in the future.', { code: 'timestamp_out_of_range', param: 'timestamp' });
    }
    const meter = meterFor(eventName);
    const valueKey: string = meter?.value_settings?.event_payload_key ?? 'value';
    const value = payload[valueKey];
    if (value !== undefined && (typeof value !== 'string' || !Number.isFinite(Number(value)) || value.trim() === '')) {
      fail(400, `Invalid value for payload[${valueKey}]: must be a number.`, { param: `payload[${valueKey}]` });
    }
    const ev: StripeObject = {
      object: 'billing.meter_event',
      created: t,
      event_name: eventName,
      identifier,
      livemode: false,
      payload: { ...payload },
      timestamp,
    };
    meterEvents.set(identifier, ev);
    return ev;
  });

  // Checkout and the billing portal
  route('POST', '/v1/checkout/sessions', ({ p }) => {
    const mode = required(p, 'mode');
    if (!['subscription', 'setup', 'payment'].includes(mode)) fail(400, 'Invalid mode: must be one of payment, setup, or subscription', { param: 'mode' });
    const successUrl = required(p, 'success_url');
    const customerId = str(p.customer);
    const customerEmail = str(p.customer_email);
    if (customerId && customerEmail) fail(400, 'You may only specify one of these parameters: customer, customer_email.', { param: 'customer_email' });
    if (customerId) liveCustomer(customerId, 'customer');
    const lineParams = arr(p.line_items);
    const lines: { price: StripeObject; quantity?: number }[] = lineParams.map((li, i) => {
      const priceId = str(li.price);
      if (!priceId) fail(400, `Missing required param: line_items[${i}][price].`, { code: 'parameter_missing', param: `line_items[${i}][price]` });
      const price = ref400(prices, priceId, 'price', `line_items[${i}][price]`);
      if (!price.active) fail(400, `The price specified is inactive. This field only accepts active prices.`, { param: `line_items[${i}][price]` });
      const quantity = intParam(li.quantity, `line_items[${i}][quantity]`);
      if (isMetered(price) && quantity !== undefined) {
        fail(400, `Quantity should not be specified where usage_type is \`metered\`. Remove quantity from \`line_items[${i}]\``, { param: `line_items[${i}][quantity]` });
      }
      if (!isMetered(price) && quantity === undefined) fail(400, `Quantity is required. Add \`quantity\` to \`line_items[${i}]\``, { param: `line_items[${i}][quantity]` });
      if (mode === 'subscription' && !price.recurring) fail(400, 'You must provide at least one recurring price in `subscription` mode when using prices.', { param: 'line_items' });
      return { price, quantity };
    });
    if (mode !== 'setup' && lines.length === 0) fail(400, `Missing required param: line_items.`, { code: 'parameter_missing', param: 'line_items' });
    if (mode === 'setup' && lines.length > 0) fail(400, 'You cannot pass `line_items` in `setup` mode.', { param: 'line_items' });
    const subData = obj(p.subscription_data) ?? {};
    const s: StripeObject = { ...base('checkout.session', 'cs_test') };
    const t = nowSec();
    const amount = lines.reduce((sum, l) => sum + (isMetered(l.price) ? 0 : Math.round(unitAmount(l.price) * (l.quantity ?? 1))), 0);
    Object.assign(s, {
      amount_subtotal: amount,
      amount_total: amount,
      cancel_url: nullable(p.cancel_url) ?? null,
      client_reference_id: nullable(p.client_reference_id) ?? null,
      currency: lines[0]?.price.currency ?? null,
      customer: customerId ?? null,
      customer_email: customerEmail ?? null,
      expires_at: t + DAY,
      invoice: null,
      metadata: mergeMetadata({}, p.metadata),
      mode,
      payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
      setup_intent: null,
      status: 'open',
      subscription: null,
      success_url: successUrl,
      ui_mode: 'hosted',
      url: '',
    });
    s.url = `${baseUrl}/checkout/${s.id}`;
    checkoutSessions.set(s.id!, s);
    sessionLines.set(s.id!, lines);
    sessionSubData.set(s.id!, { metadata: mergeMetadata({}, subData.metadata), trialDays: intParam(subData.trial_period_days, 'subscription_data[trial_period_days]') });
    return s;
  });
  route('GET', '/v1/checkout/sessions/:id', ({ args }) => get404(checkoutSessions, args[0], 'checkout.session'));
  route('GET', '/v1/checkout/sessions/:id/line_items', ({ args, p }) => {
    get404(checkoutSessions, args[0], 'checkout.session');
    const data = (sessionLines.get(args[0]) ?? []).map((l) => ({
      id: stripeId('li'),
      object: 'item',
      amount_subtotal: isMetered(l.price) ? 0 : unitAmount(l.price) * (l.quantity ?? 1),
      amount_total: isMetered(l.price) ? 0 : unitAmount(l.price) * (l.quantity ?? 1),
      currency: l.price.currency,
      description: productName(l.price),
      price: structuredClone(l.price),
      quantity: l.quantity ?? null,
    }));
    return list(`/v1/checkout/sessions/${args[0]}/line_items`, data.reverse(), p);
  });
  route('POST', '/v1/checkout/sessions/:id/expire', ({ args, emits }) => {
    const s = get404(checkoutSessions, args[0], 'checkout.session');
    if (s.status !== 'open') fail(400, `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${s.status}".`);
    s.status = 'expired';
    s.url = null;
    emits.push(makeEvent('checkout.session.expired', structuredClone(s)));
    return s;
  });
  route('POST', '/v1/billing_portal/sessions', ({ p }) => {
    const customerId = required(p, 'customer');
    liveCustomer(customerId, 'customer');
    const s: StripeObject = {
      id: stripeId('bps'),
      object: 'billing_portal.session',
      configuration: stripeId('bpc'),
      created: nowSec(),
      customer: customerId,
      flow: null,
      livemode: false,
      locale: null,
      on_behalf_of: null,
      return_url: nullable(p.return_url) ?? null,
      url: '',
    };
    s.url = `${baseUrl}/portal/${s.id}`;
    portalSessions.set(s.id!, s);
    return s;
  });
  route('GET', '/v1/setup_intents/:id', ({ args }) => get404(setupIntents, args[0], 'setup_intent'));

  // Subscriptions
  route('POST', '/v1/subscriptions', ({ p, emits }) => {
    const customerId = required(p, 'customer');
    liveCustomer(customerId, 'customer');
    const itemParams = arr(p.items);
    if (itemParams.length === 0) fail(400, 'Missing required param: items.', { code: 'parameter_missing', param: 'items' });
    const lines = itemParams.map((it, i) => {
      const price = ref400(prices, required(it, 'price', `items[${i}][price]`), 'price', `items[${i}][price]`);
      return { price, quantity: intParam(it.quantity, `items[${i}][quantity]`) };
    });
    const pmId = str(p.default_payment_method);
    const pm = pmId ? ref400(paymentMethods, pmId, 'PaymentMethod', 'default_payment_method') : undefined;
    const { sub, invoice } = createSubscription(customerId, lines, {
      metadata: mergeMetadata({}, p.metadata),
      trialDays: intParam(p.trial_period_days, 'trial_period_days'),
      paymentMethod: pm,
    });
    emits.push(makeEvent('customer.subscription.created', structuredClone(sub)), makeEvent('invoice.paid', structuredClone(invoice)));
    return sub;
  });
  route('GET', '/v1/subscriptions', ({ p }) => {
    const customer = str(p.customer);
    const price = str(p.price);
    const status = str(p.status);
    return list(
      '/v1/subscriptions',
      [...subscriptions.values()].filter(
        (s) =>
          (!customer || s.customer === customer) &&
          (!price || (s.items.data as StripeObject[]).some((it) => it.price.id === price)) &&
          (status === 'all' ? true : status ? s.status === status : s.status !== 'canceled'),
      ),
      p,
    );
  });
  route('GET', '/v1/subscriptions/:id', ({ args }) => get404(subscriptions, args[0], 'subscription'));
  route('POST', '/v1/subscriptions/:id', (c) => {
    const sub = get404(subscriptions, c.args[0], 'subscription');
    const before = structuredClone(sub);
    try {
      return updateSubscription(sub, before, c);
    } catch (e) {
      // Stripe applies an update atomically: a refused one changes nothing.
      for (const k of Object.keys(sub)) delete sub[k];
      Object.assign(sub, before);
      throw e;
    }
  });
  const updateSubscription = (sub: StripeObject, before: StripeObject, { p, emits }: Ctx): StripeObject => {
    if (sub.status === 'canceled' && Object.keys(p).some((k) => !['metadata', 'cancellation_details', 'expand'].includes(k))) {
      fail(400, 'A canceled subscription can only update its cancellation_details and metadata.');
    }
    const proration = str(p.proration_behavior) ?? 'create_prorations';
    if (!['create_prorations', 'none', 'always_invoice'].includes(proration)) {
      fail(400, 'Invalid proration_behavior: must be one of always_invoice, create_prorations, or none', { param: 'proration_behavior' });
    }
    const paymentBehavior = str(p.payment_behavior) ?? 'allow_incomplete';
    if (!PAYMENT_BEHAVIORS.includes(paymentBehavior)) {
      fail(400, `Invalid payment_behavior: must be one of ${PAYMENT_BEHAVIORS.join(', ')}`, { param: 'payment_behavior' });
    }
    if (paymentBehavior === 'pending_if_incomplete') {
      // Pending updates accept only the parameters that generate invoices or control prorations (Stripe's
      // "Pending updates reference"); `metadata` only from API version 2026-05-27.dahlia on.
      const allowed = fake.pendingUpdateMetadata ? [...PENDING_UPDATE_PARAMS, 'metadata'] : PENDING_UPDATE_PARAMS;
      const refused = Object.keys(p).find((k) => !allowed.includes(k));
      if (refused) {
        fail(400, `When \`payment_behavior\` is \`pending_if_incomplete\`, you can only pass these parameters: ${allowed.join(', ')}. Remove \`${refused}\`.`, {
          param: refused,
        });
      }
    }
    const prorationDate = intParam(p.proration_date, 'proration_date');
    const changes = arr(p.items);
    // Computed before the items change: what always_invoice bills now.
    const prorationPreview =
      changes.length > 0 && proration === 'always_invoice'
        ? previewInvoice({ subscription: sub.id }, changes, 'items', { prorationDate, behavior: 'always_invoice' })
        : undefined;
    const data = sub.items.data as StripeObject[];
    changes.forEach((ch, i) => {
      const id = str(ch.id);
      const item = id ? data.find((it) => it.id === id) : undefined;
      if (id && !item) fail(400, `No such subscription item: '${id}'`, { code: 'resource_missing', param: `items[${i}][id]` });
      if (item && boolParam(ch.deleted, `items[${i}][deleted]`)) {
        data.splice(data.indexOf(item), 1);
        return;
      }
      const priceId = str(ch.price);
      const quantity = intParam(ch.quantity, `items[${i}][quantity]`);
      const price = priceId ? ref400(prices, priceId, 'price', `items[${i}][price]`) : undefined;
      if (item) {
        if (price) {
          item.price = structuredClone(price);
          if (isMetered(price)) delete item.quantity;
          else item.quantity ??= 1;
        }
        if (quantity !== undefined && !isMetered(item.price)) item.quantity = quantity;
        item.metadata = mergeMetadata(item.metadata, ch.metadata);
      } else if (price) {
        data.push(makeSubscriptionItem(sub.id!, price, quantity, sub.current_period_start, sub.current_period_end));
      } else {
        fail(400, `Missing required param: items[${i}][price].`, { code: 'parameter_missing', param: `items[${i}][price]` });
      }
    });
    const cape = boolParam(p.cancel_at_period_end, 'cancel_at_period_end');
    if (cape !== undefined) {
      sub.cancel_at_period_end = cape;
      sub.cancel_at = cape ? sub.current_period_end : null;
      sub.canceled_at = cape ? nowSec() : null;
    }
    const dpm = nullable(p.default_payment_method);
    if (dpm) ref400(paymentMethods, dpm, 'PaymentMethod', 'default_payment_method');
    if (dpm !== undefined) sub.default_payment_method = dpm;
    sub.metadata = mergeMetadata(sub.metadata, p.metadata);
    if (prorationPreview && prorationPreview.amount_due > 0) {
      const inv = makeInvoice(sub.customer, {
        lines: (prorationPreview.lines.data as StripeObject[]).map((l) => ({
          amount: l.amount,
          description: l.description,
          price: l.price ?? undefined,
          quantity: l.quantity,
          proration: l.proration,
          period: l.period,
        })),
        status: 'open',
        subscription: sub,
        billingReason: 'subscription_update',
      });
      sub.latest_invoice = inv.id;
      try {
        payInvoice(inv, emits);
      } catch (e) {
        if (paymentBehavior === 'error_if_incomplete') throw e; // 402, and the subscription stays as it was
        if (paymentBehavior === 'pending_if_incomplete') {
          // The changes wait in pending_update until the invoice is paid; the subscription keeps cycling as before.
          sub.items = structuredClone(before.items);
          sub.pending_update = {
            billing_cycle_anchor: null,
            expires_at: Math.min(sub.current_period_end as number, nowSec() + 23 * 3600),
            subscription_items: (data as StripeObject[]).map((it) => ({
              id: it.id,
              object: 'subscription_item',
              price: structuredClone(it.price),
              quantity: it.quantity,
            })),
            trial_end: null,
            trial_from_plan: null,
          };
        } else {
          sub.status = 'past_due';
        }
      }
    }
    const previous: Record<string, unknown> = {};
    for (const k of Object.keys(sub)) if (canonical(sub[k]) !== canonical(before[k])) previous[k] = before[k];
    emits.push(makeEvent('customer.subscription.updated', structuredClone(sub), { data: { object: null, previous_attributes: previous } }));
    return sub;
  };
  route('DELETE', '/v1/subscriptions/:id', ({ args, emits }) => {
    const sub = get404(subscriptions, args[0], 'subscription');
    if (sub.status !== 'canceled') {
      const t = nowSec();
      Object.assign(sub, { status: 'canceled', canceled_at: t, ended_at: t, cancel_at_period_end: false });
      emits.push(makeEvent('customer.subscription.deleted', structuredClone(sub)));
    }
    return sub;
  });

  // Invoices
  route('GET', '/v1/invoices', ({ p }) => {
    const customer = str(p.customer);
    const subscription = str(p.subscription);
    const status = str(p.status);
    return list(
      '/v1/invoices',
      [...invoices.values()].filter(
        (i) => (!customer || i.customer === customer) && (!subscription || i.subscription === subscription) && (!status || i.status === status),
      ),
      p,
    );
  });
  route('GET', '/v1/invoices/upcoming', ({ p }) =>
    previewInvoice(p, arr(p.subscription_items), 'subscription_items', {
      prorationDate: intParam(p.subscription_proration_date, 'subscription_proration_date'),
      behavior: prorationBehavior(p.subscription_proration_behavior, 'subscription_proration_behavior'),
    }),
  );
  route('POST', '/v1/invoices/create_preview', ({ p }) => {
    const details = obj(p.subscription_details) ?? {};
    return previewInvoice(p, arr(details.items), 'subscription_details[items]', {
      prorationDate: intParam(details.proration_date, 'subscription_details[proration_date]'),
      behavior: prorationBehavior(details.proration_behavior, 'subscription_details[proration_behavior]'),
    });
  });
  route('GET', '/v1/invoices/:id', ({ args }) => get404(invoices, args[0], 'invoice'));
  route('POST', '/v1/invoices/:id/pay', ({ args, p, emits }) => {
    const inv = get404(invoices, args[0], 'invoice');
    return payInvoice(inv, emits, boolParam(p.paid_out_of_band, 'paid_out_of_band') ?? false);
  });

  // Payment methods
  route('GET', '/v1/payment_methods', ({ p }) => {
    const customer = str(p.customer);
    const type = str(p.type);
    if (customer) liveCustomer(customer, 'customer');
    return list(
      '/v1/payment_methods',
      [...paymentMethods.values()].filter((pm) => (!customer || pm.customer === customer) && (!type || pm.type === type)),
      p,
    );
  });
  route('GET', '/v1/payment_methods/:id', ({ args }) => get404(paymentMethods, args[0], 'PaymentMethod'));
  route('POST', '/v1/payment_methods/:id/attach', ({ args, p, emits }) => {
    const pm = attachPaymentMethod(args[0], required(p, 'customer'), 'customer');
    emits.push(makeEvent('payment_method.attached', structuredClone(pm)));
    return pm;
  });
  route('POST', '/v1/payment_methods/:id/detach', ({ args, emits }) => {
    const pm = get404(paymentMethods, args[0], 'PaymentMethod');
    const owner = pm.customer as string | null;
    if (!owner) fail(400, `The payment method you provided is not attached to a customer so detachment is impossible.`, { code: 'payment_method_unexpected_state' });
    pm.customer = null;
    const c = customers.get(owner);
    if (c && c.invoice_settings?.default_payment_method === pm.id) c.invoice_settings.default_payment_method = null;
    for (const sub of subscriptions.values()) if (sub.default_payment_method === pm.id) sub.default_payment_method = null;
    emits.push(makeEvent('payment_method.detached', structuredClone(pm), { data: { object: null, previous_attributes: { customer: owner } } }));
    return pm;
  });

  // Events
  route('GET', '/v1/events', ({ p }) => {
    const type = str(p.type);
    return list('/v1/events', [...events.values()].filter((e) => !type || e.type === type) as unknown as StripeObject[], p);
  });
  route('GET', '/v1/events/:id', ({ args }) => get404(events as unknown as Map<string, StripeObject>, args[0], 'event'));

  // ---- webhooks ------------------------------------------------------------------------------------------------

  /** POSTs one event; never throws (failures are recorded in deliveries). */
  const deliverRecorded = async (ev: StripeEvent, url: string, secret: string): Promise<WebhookDelivery> => {
    const payload = JSON.stringify(ev);
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    const d: WebhookDelivery = { event: ev, url, at: Date.now() };
    try {
      const r = await postWebhook(url, payload, header);
      d.status = r.status;
      d.body = r.body;
    } catch (e) {
      d.error = (e as Error).message;
    }
    deliveries.push(d);
    return d;
  };

  /** Records API-caused events; with apiWebhooks, queues their delivery (in order, after the answer). */
  const publish = (emits: StripeEvent[]): void => {
    for (const ev of emits) events.set(ev.id, ev);
    if (!opts.apiWebhooks) return;
    for (const ev of emits) {
      deliveryChain = deliveryChain.then(async () => {
        const url = fake.webhookUrl;
        if (url) await deliverRecorded(ev, url, fake.webhookSecret);
      });
    }
  };

  // ---- browser pages -------------------------------------------------------------------------------------------

  /** The customer "pays" on the hosted Checkout page. */
  const completeCheckout = async (s: StripeObject, card: { brand?: string; last4?: string }): Promise<void> => {
    let customerId = s.customer as string | null;
    if (!customerId) {
      const c: StripeObject = { ...base('customer', 'cus') };
      Object.assign(c, {
        address: null,
        balance: 0,
        currency: null,
        default_source: null,
        delinquent: false,
        description: null,
        email: s.customer_email ?? null,
        invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
        name: null,
        phone: null,
        preferred_locales: [],
        tax_exempt: 'none',
        test_clock: null,
      });
      customers.set(c.id!, c);
      customerId = c.id as string;
      s.customer = customerId;
    }
    const pm = makeCard(customerId, card);
    const toSend: StripeEvent[] = [];
    if (s.mode === 'subscription') {
      const sd = sessionSubData.get(s.id!) ?? { metadata: {} };
      const { sub, invoice } = createSubscription(customerId, sessionLines.get(s.id!) ?? [], { metadata: sd.metadata, trialDays: sd.trialDays, paymentMethod: pm });
      Object.assign(s, { status: 'complete', payment_status: s.amount_total > 0 && !sd.trialDays ? 'paid' : 'no_payment_required', subscription: sub.id, invoice: invoice.id, url: null });
      toSend.push(
        makeEvent('checkout.session.completed', structuredClone(s)),
        makeEvent('customer.subscription.created', structuredClone(sub)),
        makeEvent('invoice.paid', structuredClone(invoice)),
      );
    } else if (s.mode === 'setup') {
      const si: StripeObject = {
        ...base('setup_intent', 'seti'),
        client_secret: `${stripeId('seti')}_secret_${crypto.randomBytes(8).toString('hex')}`,
        customer: customerId,
        payment_method: pm.id,
        payment_method_types: ['card'],
        status: 'succeeded',
        usage: 'off_session',
      };
      setupIntents.set(si.id!, si);
      Object.assign(s, { status: 'complete', setup_intent: si.id, url: null });
      toSend.push(makeEvent('checkout.session.completed', structuredClone(s)), makeEvent('payment_method.attached', structuredClone(pm)));
    } else {
      Object.assign(s, { status: 'complete', payment_status: 'paid', url: null });
      toSend.push(makeEvent('checkout.session.completed', structuredClone(s)));
    }
    for (const ev of toSend) events.set(ev.id, ev);
    const url = fake.webhookUrl;
    if (url) for (const ev of toSend) await deliverRecorded(ev, url, fake.webhookSecret);
  };

  const html = (res: http.ServerResponse, status: number, text: string): void => {
    const body = `<!doctype html><title>fake-stripe</title><p>${text.replace(/[<>&]/g, '')}</p>`;
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const redirect = (res: http.ServerResponse, location: string): void => {
    res.writeHead(303, { location, 'content-length': '0' });
    res.end();
  };

  const browser = async (rec: RecordedRequest, res: http.ServerResponse): Promise<boolean> => {
    let m = /^\/checkout\/([^/]+)(\/cancel)?\/?$/.exec(rec.path);
    if (m && rec.method === 'GET') {
      const s = checkoutSessions.get(decodeURIComponent(m[1]));
      if (!s) html(res, 404, 'No such checkout session');
      else if (m[2]) {
        if (s.cancel_url) redirect(res, s.cancel_url);
        else html(res, 200, 'Checkout canceled');
      } else if (s.status === 'expired') html(res, 410, 'This checkout session has expired');
      else {
        if (s.status === 'open') await completeCheckout(s, { brand: str(rec.query.brand), last4: str(rec.query.last4) });
        redirect(res, String(s.success_url).replace(/\{CHECKOUT_SESSION_ID\}/g, s.id!));
      }
      return true;
    }
    m = /^\/portal\/([^/]+)\/?$/.exec(rec.path);
    if (m && rec.method === 'GET') {
      const s = portalSessions.get(decodeURIComponent(m[1]));
      if (!s) html(res, 404, 'No such portal session');
      else if (s.return_url) redirect(res, s.return_url);
      else html(res, 200, `Billing portal for ${s.customer}`);
      return true;
    }
    return false;
  };

  // ---- request handling ----------------------------------------------------------------------------------------

  const sendJson = (res: http.ServerResponse, status: number, body: string, headers: Record<string, string>): void => {
    if (res.destroyed) return;
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'request-id': stripeId('req'),
      'stripe-version': FAKE_STRIPE_API_VERSION,
      'access-control-allow-origin': '*',
      ...headers,
    });
    res.end(body);
  };
  const errorJson = (body: unknown): string => JSON.stringify(body, null, 2);

  const authorized = (headers: http.IncomingHttpHeaders): boolean => {
    const auth = headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(auth);
    if (bearer) return bearer[1].startsWith('sk_');
    const basic = /^Basic\s+(\S+)$/i.exec(auth); // curl -u sk_test_…:
    if (basic) return Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0].startsWith('sk_');
    return false;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> => {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q >= 0 ? target.slice(0, q) : target;
    const rawQuery = q >= 0 ? target.slice(q + 1) : '';
    const ctype = String(req.headers['content-type'] ?? '');
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      query: decodeForm(rawQuery),
      rawQuery,
      headers: req.headers,
      body: raw,
      form: raw && (ctype === '' || ctype.startsWith('application/x-www-form-urlencoded')) ? decodeForm(raw) : {},
      idempotencyKey: header('idempotency-key'),
      stripeVersion: header('stripe-version'),
      at: Date.now(),
    };
    requests.push(rec);

    if (await browser(rec, res)) return;

    const echo: Record<string, string> = rec.idempotencyKey ? { 'idempotency-key': rec.idempotencyKey } : {};
    if (!authorized(req.headers)) {
      const auth = req.headers.authorization;
      const msg = auth
        ? `Invalid API Key provided: ${auth.replace(/^\S+\s+/, '').slice(0, 8)}********`
        : 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').';
      sendJson(res, 401, errorJson(stripeErrorBody(401, msg)), { 'www-authenticate': 'Bearer realm="Stripe"', ...echo });
      return;
    }

    const rule = failRules.find((r) => r.left > 0 && (r.method === '*' || r.method === rec.method) && rec.path.startsWith(r.prefix));
    if (rule) {
      rule.left -= 1;
      if (rule.left === 0) failRules.splice(failRules.indexOf(rule), 1);
      const headers: Record<string, string> = { ...echo };
      if (rule.opts.shouldRetry !== undefined) headers['stripe-should-retry'] = String(rule.opts.shouldRetry);
      const body = stripeErrorBody(rule.status, rule.opts.message, { type: rule.opts.type, code: rule.opts.code });
      sendJson(res, rule.status, errorJson(body), headers);
      return;
    }

    const params: Params = { ...rec.query, ...rec.form };
    const idemKey = rec.method === 'POST' ? rec.idempotencyKey : undefined;
    const paramsKey = canonical(rec.form);
    if (idemKey) {
      const seen = idempotent.get(idemKey);
      if (seen) {
        if (seen.method !== rec.method || seen.path !== rec.path) {
          const msg = `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${seen.method} ${seen.path}' vs '${rec.method} ${rec.path}'). Try using a key other than '${idemKey}' if you meant to execute a different request.`;
          sendJson(res, 400, errorJson(stripeErrorBody(400, msg, { type: 'idempotency_error' })), echo);
        } else if (seen.params !== paramsKey) {
          const msg = `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idemKey}' if you meant to execute a different request.`;
          sendJson(res, 400, errorJson(stripeErrorBody(400, msg, { type: 'idempotency_error' })), echo);
        } else {
          sendJson(res, seen.status, seen.body, { ...echo, 'idempotent-replayed': 'true', 'original-request': 'req_replayed' });
        }
        return;
      }
    }

    let matched: { r: Route; args: string[] } | undefined;
    for (const r of routes) {
      if (r.method !== rec.method) continue;
      const m = r.re.exec(rec.path);
      if (m) {
        matched = { r, args: m.slice(1).map((a) => decodeURIComponent(a)) };
        break;
      }
    }
    if (!matched) {
      const body = stripeErrorBody(404, `Unrecognized request URL (${rec.method}: ${rec.path})`, { code: 'resource_missing' });
      sendJson(res, 404, errorJson(body), echo);
      return;
    }

    const ctx: Ctx = { rec, args: matched.args, p: params, emits: [] };
    let status = 200;
    let text: string;
    let store = true;
    try {
      const result = matched.r.handler(ctx);
      text = JSON.stringify(expand(result, params), null, 2);
    } catch (e) {
      if (!(e instanceof StripeFailure)) throw e;
      status = e.status;
      text = errorJson(e.body);
      store = e.store;
    }
    if (idemKey && store) idempotent.set(idemKey, { method: rec.method, path: rec.path, params: paramsKey, status, body: text });
    for (const ev of ctx.emits) ev.request = { id: stripeId('req'), idempotency_key: idemKey ?? null };
    sendJson(res, status, text, echo);
    publish(ctx.emits);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((e: unknown) => {
        // A bug in the fake: answer like a Stripe 500 so the client sees something, and say what broke.
        const msg = `fake-stripe internal error: ${(e as Error)?.stack ?? String(e)}`;
        if (!res.headersSent) sendJson(res, 500, errorJson(stripeErrorBody(500, msg)), {});
        else res.destroy();
      });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  server.on('clientError', (_e, s) => s.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address() as net.AddressInfo;
  baseUrl = `http://127.0.0.1:${addr.port}`;

  const fake: FakeStripe = {
    url: baseUrl,
    port: addr.port,
    webhookUrl: opts.webhookUrl,
    webhookSecret: opts.webhookSecret ?? DEFAULT_WEBHOOK_SECRET,
    requests,
    requestsTo: (method, pathPrefix) =>
      requests.filter((r) => (method === '*' || r.method === method.toUpperCase()) && r.path.startsWith(pathPrefix)),
    state: {
      customers,
      products,
      prices,
      billingMeters,
      meterEvents,
      subscriptions,
      invoices,
      paymentMethods,
      checkoutSessions,
      portalSessions,
      setupIntents,
      events,
    },
    deliveries,
    pendingUpdateMetadata: false,
    failNext(method, pathPrefix, status, o = {}) {
      failRules.push({ method: method === '*' ? '*' : method.toUpperCase(), prefix: pathPrefix, status, left: o.times ?? 1, opts: o });
    },
    meterTotal,
    addCard(customerId, card) {
      if (!customers.has(customerId)) throw new Error(`addCard: no such customer ${customerId}`);
      return makeCard(customerId, card);
    },
    addInvoice(customerId, o) {
      if (!customers.has(customerId)) throw new Error(`addInvoice: no such customer ${customerId}`);
      const sub = o.subscription ? subscriptions.get(o.subscription) : undefined;
      if (o.subscription && !sub) throw new Error(`addInvoice: no such subscription ${o.subscription}`);
      const t = nowSec();
      return makeInvoice(customerId, {
        lines: [{ amount: o.amountDue, description: o.description ?? 'Fake invoice item', period: { start: t, end: t } }],
        status: o.status ?? 'open',
        subscription: sub,
        billingReason: sub ? 'subscription_cycle' : 'manual',
        currency: o.currency,
        description: o.description,
      });
    },
    async deliver(event, o = {}) {
      const url = o.url ?? fake.webhookUrl;
      if (!url) throw new Error('deliver: no webhook url (pass opts.url or set webhookUrl)');
      const secret = o.secret ?? fake.webhookSecret;
      const { type, data, ...rest } = event;
      const ev = makeEvent(type, data.object, { ...rest, data });
      events.set(ev.id, ev);
      const payload = JSON.stringify(ev);
      const out: { status: number; body: string }[] = [];
      for (let i = 0; i < (o.times ?? 1); i++) {
        const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
        const d: WebhookDelivery = { event: ev, url, at: Date.now() };
        try {
          const r = await postWebhook(url, payload, header);
          Object.assign(d, r);
          out.push(r);
        } catch (e) {
          d.error = (e as Error).message;
          throw e;
        } finally {
          deliveries.push(d);
        }
      }
      return out;
    },
    settled: async () => {
      // Chained deliveries may be queued while we wait; loop until the chain stops growing.
      for (;;) {
        const current = deliveryChain;
        await current;
        if (current === deliveryChain) return;
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return fake;
}
