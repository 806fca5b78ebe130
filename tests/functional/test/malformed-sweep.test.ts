/**
 * Malformed-request sweep: thousands of deterministic mutations of valid requests, sent on raw sockets.
 *
 * Valid requests of every endpoint family (register/login/2FA/refresh/forgot-password, profile, API keys: create,
 * list, get, update, rotate; POST /v1/keys/verify with a service token; the gateway /gw/echo with a key; usage
 * queries; subscription, checkout and preview against the fake Stripe; the Stripe webhook; admin list queries as a
 * 2FA admin; organizations; notifications; client-errors) are mutated by a small seeded PRNG (mulberry32):
 * byte flips, truncation and duplication of JSON bodies, wrong JSON types, huge and odd numbers, deep nesting,
 * invalid UTF-8, overlong strings, NUL bytes, unknown and duplicate fields, wrong or missing Content-Type, broken
 * query strings (bad percent-encoding, repeated parameters, huge and negative limits, odd dates and UUIDs), odd
 * paths (dot segments, encoded slashes, very long), bad Authorization / X-API-Key / X-Organization-Id values
 * (garbage, truncated JWT, alg none, tokens correctly signed with junk claims), odd methods and HTTP framing.
 *
 * Asserted: no answer is a 5xx; a request that is framed correctly always gets an answer (on its own connection or
 * pipelined on a keep-alive one, unless an earlier answer announced `Connection: close`); every 4xx with a body under
 * /api or /v1 is application/problem+json with a `code`; the server is alive afterwards (/healthz 200, the process
 * has not exited); its RSS returns close to the warmed-up baseline; and made-up method tokens do not become metric
 * series (input-driven label cardinality is a leak RSS alone would miss at this volume). A few cases the sweep once
 * found are replayed every run (fixedCases). The server runs with Redis (the harness's startRedis), Stripe mode
 * against the fake Stripe, and generous /api limits (the auth routes' own throttles stay on: their 429s are fine).
 *
 * Knobs for exploring (defaults are what CI runs): SWEEP_SEED (number), SWEEP_COUNT (mutants in the measured
 * sweep), SWEEP_WARMUP, SWEEP_CONCURRENCY, SWEEP_FAMILIES (comma-separated seed families), SWEEP_DUMP (a file: one
 * JSON line per request of the measured sweep).
 */
import fs from 'node:fs';
import net from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startServer, type TollgateServer } from '../harness/server.js';
import { startRedis, type RedisInstance } from '../harness/redis.js';
import { startFakeStripe, signPayload, makeEvent, type FakeStripe } from '../harness/fake-stripe.js';
import { parseResponses } from '../harness/http.js';
import { sleep } from '../harness/env.js';
import { api, enableTwoFactor, loginOk, makeAdmin, registerAccount, signHs256, decodeJwt, GOOD_PASSWORD } from './auth-helpers.js';
import { createKey, createPlan, createServiceToken, newTenant, setPlan } from './keys-helpers.js';
import { stripeEnv, stripePlan, customerOf } from './billing-helpers.js';

const SEED = Number(process.env.SWEEP_SEED ?? 0x70116a7e) >>> 0;
const SWEEP_COUNT = Number(process.env.SWEEP_COUNT ?? 5200);
const WARMUP_COUNT = Number(process.env.SWEEP_WARMUP ?? 1000);
/** Comma-separated seed families to sweep (default: all), for bisecting a finding. */
const FAMILIES = (process.env.SWEEP_FAMILIES ?? '').split(',').map((f) => f.trim()).filter(Boolean);
/**
 * make test runs this suite on the asan build (TOLLGATE_SANITIZER): unoptimized and instrumented, it parses a
 * 400 KB JSON body in seconds, not milliseconds. There the sweep runs 4 at a time with a longer hang limit, and the
 * RSS comparison is left to LeakSanitizer (ASan's allocator holds freed memory in quarantine; every leak is reported
 * when the server exits, and any report fails the run).
 */
const SANITIZED = Boolean(process.env.TOLLGATE_SANITIZER);
const CONCURRENCY = Number(process.env.SWEEP_CONCURRENCY ?? (SANITIZED ? 4 : 16));
/** Per request: a server that neither answers nor closes within this is counted as hung. */
const REQUEST_TIMEOUT_MS = SANITIZED ? 60_000 : 10_000;
const MIB = 1024 * 1024;

// ------------------------------------------------------------------------------------------------ PRNG

/** mulberry32: tiny, fast, good enough for choosing mutations; same seed → same sequence. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  /** Weighted choice: [[weight, value], ...]. */
  weighted<T>(xs: ReadonlyArray<readonly [number, T]>): T {
    const total = xs.reduce((a, [w]) => a + w, 0);
    let r = this.next() * total;
    for (const [w, v] of xs) {
      r -= w;
      if (r < 0) return v;
    }
    return xs[xs.length - 1]![1];
  }
}

// ------------------------------------------------------------------------------------------- requests

type HeaderValue = string | Buffer;
type Header = [string, HeaderValue];

interface Req {
  family: string;
  ops: string[];
  method: string;
  /** Path without the query (may hold raw bytes once mutated). */
  path: string | Buffer;
  /** Query string without '?' (null: no '?'). */
  query: string | Buffer | null;
  headers: Header[];
  body: Buffer;
  /** The parsed JSON body while structural mutations still apply (undefined after a textual one). */
  json?: unknown;
  /** How Content-Length is written: from the body, not at all, or a given (wrong) raw value. */
  length: { kind: 'auto' } | { kind: 'none' } | { kind: 'raw'; values: string[] };
  version: string;
  host: 'normal' | 'missing' | 'double' | 'odd';
  /** Line ending of the head (bare LF is a framing mutation). */
  eol: string;
  /** The HTTP framing is broken: the server may close without answering. */
  mayDrop: boolean;
  /** Overrides everything: the exact bytes to send. */
  raw?: Buffer;
  /** Re-sign a webhook body after mutating it (so the event parser, not only the signature check, is reached). */
  webhookSecret?: string;
  signWebhook?: boolean;
  /** Unmutated: a valid request, counted separately in the report. */
  valid?: boolean;
}

function cloneReq(r: Req): Req {
  return {
    ...r,
    ops: [...r.ops],
    headers: r.headers.map(([k, v]) => [k, v]),
    body: Buffer.from(r.body),
    json: r.json === undefined ? undefined : structuredClone(r.json),
    length: r.length.kind === 'raw' ? { kind: 'raw', values: [...r.length.values] } : r.length,
  };
}

function buf(v: string | Buffer): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
}

function getHeader(r: Req, name: string): HeaderValue | undefined {
  return r.headers.find(([k]) => k.toLowerCase() === name)?.[1];
}

function setHeader(r: Req, name: string, value: HeaderValue | undefined): void {
  r.headers = r.headers.filter(([k]) => k.toLowerCase() !== name.toLowerCase());
  if (value !== undefined) r.headers.push([name, value]);
}

/** Serializes the request exactly as it will be written to the socket. */
function serialize(r: Req, port: number, requestId?: string, keepAlive = false): Buffer {
  if (r.raw) return r.raw;
  if (requestId && getHeader(r, 'x-request-id') === undefined) r.headers.unshift(['X-Request-ID', requestId]);
  if (r.signWebhook && r.webhookSecret) setHeader(r, 'Stripe-Signature', signPayload(r.body.toString('latin1'), r.webhookSecret));
  const eol = r.eol;
  const target = r.query === null ? buf(r.path) : Buffer.concat([buf(r.path), Buffer.from('?'), buf(r.query)]);
  const parts: Buffer[] = [Buffer.from(`${r.method} `, 'latin1'), target, Buffer.from(` ${r.version}${eol}`, 'latin1')];
  const hostLine = `Host: 127.0.0.1:${port}${eol}`;
  if (r.host === 'normal') parts.push(Buffer.from(hostLine));
  else if (r.host === 'double') parts.push(Buffer.from(hostLine + `Host: evil.example${eol}`));
  else if (r.host === 'odd') parts.push(Buffer.from(`Host: [::1${eol}`));
  for (const [k, v] of r.headers) parts.push(Buffer.from(`${k}: `, 'latin1'), buf(v), Buffer.from(eol));
  if (r.length.kind === 'auto') {
    if (r.body.length > 0 || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(r.method)) {
      parts.push(Buffer.from(`Content-Length: ${r.body.length}${eol}`));
    }
  } else if (r.length.kind === 'raw') {
    for (const v of r.length.values) parts.push(Buffer.from(`Content-Length: ${v}${eol}`, 'latin1'));
  }
  parts.push(Buffer.from(keepAlive ? eol : `Connection: close${eol}${eol}`), r.body);
  return Buffer.concat(parts);
}

function targetText(r: Req): string {
  const t = r.query === null ? buf(r.path) : Buffer.concat([buf(r.path), Buffer.from('?'), buf(r.query)]);
  return t.toString('latin1');
}

// -------------------------------------------------------------------------------------------- seeds

interface Ctx {
  port: number;
  jwtSecret: string;
  userToken: string;
  otherOrg: string;
  orgId: string;
  adminToken: string;
  svcToken: string;
  keySecret: string;
  keyId: string;
  otherUserId: string;
  webhookSecret: string;
}

function seedReq(family: string, method: string, url: string, headers: Header[], json?: unknown, rawBody?: string): Req {
  const q = url.indexOf('?');
  const body = json !== undefined ? Buffer.from(JSON.stringify(json)) : Buffer.from(rawBody ?? '');
  const hs: Header[] = [...headers];
  if (json !== undefined) hs.push(['Content-Type', 'application/json']);
  return {
    family,
    ops: [],
    method,
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? null : url.slice(q + 1),
    headers: hs,
    body,
    json,
    length: { kind: 'auto' },
    version: 'HTTP/1.1',
    host: 'normal',
    eol: '\r\n',
    mayDrop: false,
  };
}

function buildSeeds(c: Ctx, fx: Fixtures): Array<{ weight: number; req: Req }> {
  const user: Header[] = [['Authorization', `Bearer ${c.userToken}`]];
  const admin: Header[] = [['Authorization', `Bearer ${c.adminToken}`]];
  const now = Date.now();
  const from = new Date(now - 7 * 86_400_000).toISOString();
  const to = new Date(now + 3_600_000).toISOString();
  const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const evt = makeEvent('customer.created', { id: 'cus_sweep', object: 'customer', email: 'sweep@example.com' });
  const webhook = seedReq('stripe-webhook', 'POST', '/api/stripe/webhook', [], evt);
  webhook.webhookSecret = c.webhookSecret;
  webhook.signWebhook = true;
  const s: Array<[number, Req]> = [
    // Anonymous auth routes. Each password check is an argon2id hash (64 MiB, 2-thread pool), so the sweep keeps
    // them bounded: the login seed has a wrong password (the account locks after 5 failures, the IP after 20: the
    // parser and validation are still reached, the hashing stops), and a full registration is rare (a weak
    // password is refused before hashing).
    [2, seedReq('register', 'POST', '/api/auth/register', [], { email: 'sweep-new@example.com', password: GOOD_PASSWORD, name: 'Sweep', company: 'Acme' })],
    [3, seedReq('register-weak', 'POST', '/api/auth/register', [], { email: 'sweep-weak@example.com', password: 'password1234', name: 'W' })],
    [4, seedReq('login', 'POST', '/api/auth/login', [], { email: fx.loginVictim.email, password: GOOD_PASSWORD + 'x' })],
    [3, seedReq('2fa-verify', 'POST', '/api/auth/2fa/verify', [], { mfaToken: 'mfa_' + 'A'.repeat(43), code: '123456' })],
    [4, seedReq('refresh', 'POST', '/api/auth/refresh', [], { refreshToken: fx.refreshToken })],
    [2, seedReq('refresh-cookie', 'POST', '/api/auth/refresh', [['Cookie', `__Host-tollgate_refresh=${fx.refreshToken2}`]])],
    [2, seedReq('forgot-password', 'POST', '/api/auth/forgot-password', [], { email: fx.loginVictim.email })],
    [2, seedReq('client-errors', 'POST', '/api/client-errors', [], { message: 'boom', stack: 'at x', url: 'https://app/x', userAgent: 'ua' })],
    [1, seedReq('plans', 'GET', '/api/plans', [])],
    // the signed-in user
    [3, seedReq('profile-get', 'GET', '/api/user/profile', user)],
    [5, seedReq('profile-patch', 'PATCH', '/api/user/profile', user, { name: 'Sweep User', company: 'Acme', avatarUrl: 'https://example.com/a.png' })],
    [2, seedReq('sessions', 'GET', '/api/user/sessions', user)],
    [5, seedReq('key-create', 'POST', '/api/user/api-keys', user, { name: 'sweep', environment: 'test', expiresAt: new Date(now + 30 * 86_400_000).toISOString(), rateLimitPerMinute: 100, metadata: { tier: 'gold', n: [1, 2, 3] } })],
    [3, seedReq('key-list', 'GET', '/api/user/api-keys?status=active', user)],
    [2, seedReq('key-get', 'GET', `/api/user/api-keys/${fx.victimKeyId}`, user)],
    [5, seedReq('key-update', 'PATCH', `/api/user/api-keys/${fx.victimKeyId}`, user, { name: 'renamed', status: 'active', rateLimitPerMinute: 500, metadata: { a: 1 } })],
    [3, seedReq('key-rotate', 'POST', `/api/user/api-keys/${fx.rotateKeyId}/rotate`, user, { gracePeriodHours: 1 })],
    // metering
    [7, seedReq('verify', 'POST', '/v1/keys/verify', [['Authorization', `Bearer ${c.svcToken}`]], { key: c.keySecret, endpoint: '/v1/search', method: 'GET', cost: 1 })],
    [5, seedReq('gw-get', 'GET', '/gw/echo/items?q=1&page=2', [['X-API-Key', c.keySecret]])],
    [4, seedReq('gw-post', 'POST', '/gw/echo/items', [['Authorization', `Bearer ${c.keySecret}`]], { a: 1, b: ['x', 'y'] })],
    // usage
    [3, seedReq('usage-summary', 'GET', `/api/user/usage/summary?${range}&keyId=${c.keyId}`, user)],
    [3, seedReq('usage-timeseries', 'GET', `/api/user/usage/timeseries?${range}&granularity=hour`, user)],
    [2, seedReq('usage-by-endpoint', 'GET', `/api/user/usage/by-endpoint?${range}`, user)],
    [4, seedReq('usage-detailed', 'GET', `/api/user/usage/detailed?${range}&limit=50&statusClass=2xx&endpoint=%2Fitems&keyId=${c.keyId}`, user)],
    [3, seedReq('usage-monthly', 'GET', `/api/user/usage/monthly/${new Date(now).getUTCFullYear()}/${new Date(now).getUTCMonth() + 1}`, user)],
    [1, seedReq('usage-quota', 'GET', '/api/user/usage/quota', user)],
    [2, seedReq('usage-export', 'GET', `/api/user/usage/export?${range}`, user)],
    // billing
    [2, seedReq('subscription', 'GET', '/api/user/subscription', [...user, ['X-Organization-Id', c.orgId]])],
    [4, seedReq('checkout', 'POST', '/api/user/subscription/checkout', user, { plan: fx.planSlug, interval: 'month' })],
    [2, seedReq('preview', 'POST', '/api/user/subscription/preview', user, { plan: fx.planSlug, interval: 'month' })],
    [2, seedReq('invoices', 'GET', '/api/user/billing/invoices?limit=20&cursor=abc', user)],
    [5, webhook],
    // organizations, notifications
    [2, seedReq('organization', 'GET', '/api/organization', [...user, ['X-Organization-Id', c.orgId]])],
    [1, seedReq('organizations', 'GET', '/api/organizations', user)],
    [2, seedReq('notifications', 'GET', '/api/notifications?limit=20&before=00000000-0000-0000-0000-000000000000', user)],
    // admin (2FA-proved session)
    [4, seedReq('admin-users', 'GET', '/api/admin/users?q=sweep&status=active&role=USER&plan=free&verified=false&page=1&pageSize=25', admin)],
    [3, seedReq('admin-orgs', 'GET', '/api/admin/organizations?q=acme&status=active&plan=free&page=2&pageSize=10', admin)],
    [4, seedReq('admin-audit', 'GET', `/api/admin/audit-log?limit=50&action=auth.&actorId=${c.otherUserId}&${range}`, admin)],
    [2, seedReq('admin-user', 'GET', `/api/admin/users/${c.otherUserId}`, admin)],
    [1, seedReq('admin-rate-limits', 'GET', `/api/admin/rate-limits?kind=user&id=${c.otherUserId}`, admin)],
  ];
  return s.filter(([, req]) => FAMILIES.length === 0 || FAMILIES.includes(req.family)).map(([weight, req]) => ({ weight, req }));
}

// ---------------------------------------------------------------------------------------- mutations

const NASTY_STRINGS: ReadonlyArray<string | Buffer> = [
  '',
  ' ',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  '\\',
  '%00',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '\u0000',
  '\u202e\u0000\uffff',
  '\ud83d\ude00'.repeat(50),
  'A'.repeat(257),
  'é'.repeat(300),
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from([0xc0, 0xaf]), // overlong '/'
  Buffer.from([0xed, 0xa0, 0x80]), // UTF-8 encoded lone surrogate
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
  Buffer.from([0xe2, 0x82]), // truncated sequence
  Buffer.from([0x00, 0x41, 0x00]),
];

const ODD_NUMBERS = [
  '1e309', '-1e309', '1e-400', '9223372036854775807', '9223372036854775808', '-9223372036854775809',
  '18446744073709551616', '123456789012345678901234567890', '-0', '0.0000001', '1.5', '-1', '0', '4294967296',
  '1E2', '1e+2', '2147483648', '-2147483649', '0.1e1',
];

/** Every [path, value] of a JSON value (objects and arrays), for picking a field to change. */
function jsonPaths(v: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  if (v !== null && typeof v === 'object') {
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const p = [...prefix, Array.isArray(v) ? Number(k) : k];
      out.push(p, ...jsonPaths(child, p));
    }
  }
  return out;
}

function setAt(root: unknown, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  let o = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path[path.length - 1]!] = value;
  return root;
}

const MARK = '\u0001SWEEP\u0001';
/** Made-up method tokens (valid HTTP tokens the server does not know) start with this. */
const RANDOM_METHOD_PREFIX = 'XSWEEP';

/** Sets one field to a placeholder, serializes, then substitutes raw text (for values JSON.stringify cannot make). */
function withRawValue(r: Req, rng: Rng, rawText: Buffer): void {
  const paths = jsonPaths(r.json);
  if (r.json === null || typeof r.json !== 'object' || paths.length === 0) {
    r.body = rawText;
  } else {
    const root = setAt(structuredClone(r.json), rng.pick(paths), MARK);
    const text = JSON.stringify(root);
    const at = text.indexOf(JSON.stringify(MARK));
    r.body = Buffer.concat([Buffer.from(text.slice(0, at)), rawText, Buffer.from(text.slice(at + JSON.stringify(MARK).length))]);
  }
  r.json = undefined;
}

function randomJsonValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 5 : 7)) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return rng.pick([0, -1, 1.5, 1e21, -2147483648, Number.MAX_SAFE_INTEGER, 1e-7]);
    case 3: return rng.pick(['', 'x', 'null', 'true', '0', '[]', '{}', 'A'.repeat(300), '\u0000', "' OR 1=1 --"]);
    case 4: return rng.pick(['active', 'disabled', 'live', 'test', 'month', 'year', 'USER', 'ADMIN']);
    case 5: return [randomJsonValue(rng, depth + 1), randomJsonValue(rng, depth + 1)];
    default: return { k: randomJsonValue(rng, depth + 1), [rng.pick(['__proto__', 'constructor', '$where', 'a.b', ''])]: 1 };
  }
}

type Op = { name: string; applies: (r: Req) => boolean; run: (r: Req, rng: Rng, c: Ctx) => void; weight: number; stage: number };

const isJsonObject = (r: Req) => r.json !== undefined && r.json !== null && typeof r.json === 'object' && !Array.isArray(r.json);
/** A JSON object or array with at least one field to change. */
const hasJson = (r: Req) => r.json !== undefined && r.json !== null && typeof r.json === 'object' && jsonPaths(r.json).length > 0;
const hasBody = (r: Req) => r.body.length > 0;
const hasQuery = (r: Req) => r.query !== null && buf(r.query).length > 0;
const always = () => true;

function credentialHeader(r: Req): string | undefined {
  for (const n of ['authorization', 'x-api-key', 'cookie']) if (getHeader(r, n) !== undefined) return n;
  return undefined;
}

function b64(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

/** Variants of a credential value (a Bearer JWT, a service token, an API key or a cookie). */
function mutateCredential(value: string, rng: Rng, c: Ctx): HeaderValue {
  const bearer = /^Bearer /.test(value);
  const token = bearer ? value.slice(7) : value;
  const isJwt = token.split('.').length === 3;
  const choices: Array<() => HeaderValue> = [
    () => '',
    () => 'Bearer',
    () => 'Bearer ',
    () => 'Bearer  ' + token,
    () => 'bearer ' + token,
    () => 'BEARER ' + token,
    () => 'Basic ' + Buffer.from(`x:${token}`).toString('base64'),
    () => 'Bearer ' + token + ' extra',
    () => (bearer ? 'Bearer ' : '') + token.slice(0, rng.int(token.length)),
    () => (bearer ? 'Bearer ' : '') + token + 'A',
    () => {
      const i = rng.int(token.length);
      const ch = token[i] === 'A' ? 'B' : 'A';
      return (bearer ? 'Bearer ' : '') + token.slice(0, i) + ch + token.slice(i + 1);
    },
    () => (bearer ? 'Bearer ' : '') + 'x'.repeat(rng.pick([100, 4097, 8000, 60_000])),
    () => Buffer.concat([Buffer.from(bearer ? 'Bearer ' : ''), Buffer.from(token.slice(0, 10)), Buffer.from([0xff, 0x80, 0x09]), Buffer.from(token.slice(10))]),
    () => 'Bearer ' + c.svcToken,
    () => 'Bearer ' + c.keySecret,
    () => 'Bearer ' + c.userToken,
    () => c.keySecret,
    () => 'tg_live_' + 'A'.repeat(49),
    () => 'tg_svc_' + 'A'.repeat(43),
    () => 'Bearer ' + b64({ alg: 'none', typ: 'JWT' }) + '.' + b64({ sub: 'x' }) + '.',
    () => 'Bearer ...',
    () => 'Bearer a.b.c.d',
    () => 'Bearer ' + '%' + token,
    () => 'Bearer \t' + token,
  ];
  if (isJwt) {
    const { header, payload } = decodeJwt(token);
    const parts = token.split('.');
    choices.push(
      () => 'Bearer ' + b64({ alg: 'none', typ: 'JWT' }) + '.' + parts[1] + '.',
      () => 'Bearer ' + b64({ ...header, alg: 'HS512' }) + '.' + parts[1] + '.' + parts[2],
      () => 'Bearer ' + b64({ ...header, alg: 'RS256' }) + '.' + parts[1] + '.' + parts[2],
      () => 'Bearer ' + parts[0] + '.' + parts[1],
      () => 'Bearer ' + parts[0] + '..' + parts[2],
      () => 'Bearer ' + parts[0] + '.' + parts[1] + '.',
      () => 'Bearer ' + parts[0] + '.' + '!!!!' + '.' + parts[2],
      () => 'Bearer ' + parts[0] + '.' + b64('not an object') + '.' + parts[2],
      // Correctly signed (the harness knows JWT_SECRET) with junk claims: reaches the session/org look-ups.
      () => {
        const p = structuredClone(payload) as Record<string, unknown>;
        const claim = rng.pick(['sub', 'sid', 'org', 'role', 'exp', 'nbf', 'iat', 'typ', 'iss', 'aud', 'jti']);
        p[claim] = randomJsonValue(rng);
        return 'Bearer ' + signHs256(header, p, c.jwtSecret);
      },
      () => {
        const p = structuredClone(payload) as Record<string, unknown>;
        p[rng.pick(['sub', 'sid', 'org'])] = rng.pick(['00000000-0000-0000-0000-000000000000', c.otherOrg, "x' OR '1'='1", 'A'.repeat(3000), '']);
        return 'Bearer ' + signHs256(header, p, c.jwtSecret);
      },
      () => 'Bearer ' + signHs256({ alg: 'HS256', typ: 'JWT', kid: '../../etc/passwd' }, payload, c.jwtSecret),
      () => 'Bearer ' + signHs256(header, [payload], c.jwtSecret),
      () => 'Bearer ' + signHs256(header, { ...(payload as object), exp: 1e300 }, c.jwtSecret),
    );
  }
  return rng.pick(choices)();
}

const ORG_VALUES = (c: Ctx): HeaderValue[] => [
  '',
  'null',
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  c.otherOrg,
  c.orgId.toUpperCase(),
  `{${c.orgId}}`,
  c.orgId + 'x',
  c.orgId.replace(/-/g, ''),
  ` ${c.orgId} `,
  `${c.orgId}, ${c.otherOrg}`,
  "' OR 1=1 --",
  'A'.repeat(5000),
  Buffer.from([0xff, 0x00, 0x41]),
  c.orgId.slice(0, 35),
];

const CONTENT_TYPES: ReadonlyArray<HeaderValue | undefined> = [
  undefined,
  '',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json;;;;',
  'application/jsonx',
  'application/json, text/plain',
  'application/problem+json',
  'application/merge-patch+json',
  '*/*',
  'application/' + 'j'.repeat(5000),
  Buffer.from([0x61, 0x70, 0xff, 0x00]),
];

function mutateQueryText(q: string, rng: Rng): string {
  const params = q.split('&').filter((p) => p.length > 0);
  const kind = rng.int(12);
  if (params.length === 0) return q + rng.pick(['%', '%zz', '&&&', '=']);
  const i = rng.int(params.length);
  const [k, v = ''] = params[i]!.split('=');
  switch (kind) {
    case 0: params[i] = `${k}=${rng.pick(['%', '%z', '%zz', '%0', '%00', '%ff', '%c0%af', '%e2%82', '%ed%a0%80', '%%', '%2', '%u0041'])}${v}`; break;
    case 1: params.push(`${k}=${rng.pick(['', v, '1', 'x', '-1'])}`, `${k}=${v}`); break; // repeated
    case 2: params[i] = `${k}=${rng.pick(['999999999999999999999', '-1', '0', '-9223372036854775808', '1e3', '0x10', 'NaN', 'Infinity', '1.5', '+5', ' 5', '5 ', '05', '', '4294967297', '2147483648'])}`; break;
    case 3: params[i] = `${k}=${rng.pick(['garbage', '9999-99-99', '2024-02-30', '-infinity', 'infinity', 'epoch', 'now', '0001-01-01', '275760-09-13T00:00:00Z', '2024-06-30T23:59:60Z', '1970-01-01', '2024-01-01T00:00:00+25:00', '2024-01-01T00:00:00.123456789123Z', '1700000000', '2024-13-01', "2024-01-01' OR '1'='1"])}`; break;
    case 4: params[i] = `${k}=${rng.pick(['00000000-0000-0000-0000-000000000000', 'not-a-uuid', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', '{00000000-0000-0000-0000-000000000000}', "x' OR 1=1--", '%27%20OR%201%3D1--'])}`; break;
    case 5: params[i] = `${k}=${'A'.repeat(rng.pick([201, 513, 4096, 20_000]))}`; break;
    case 6: params[i] = `${k}[]=${v}`; break;
    case 7: params[i] = `${k}`; break; // no '='
    case 8: params[i] = `=${v}`; break;
    case 9: params.splice(i, 1); break;
    case 10: params[i] = `${k}=${v}#frag`; break;
    default: params[i] = `${k}=${encodeURIComponent(String.fromCharCode(rng.int(256)))}${v}+${v}`; break;
  }
  return params.join(rng.pick(['&', '&', '&', ';', '&&']));
}

const OPS: Op[] = [
  // ---- structural JSON mutations (stage 0)
  { name: 'json-wrong-type', stage: 0, weight: 8, applies: hasJson, run: (r, rng) => {
    const paths = jsonPaths(r.json);
    r.json = setAt(r.json, rng.pick(paths), randomJsonValue(rng));
  } },
  { name: 'json-drop-field', stage: 0, weight: 3, applies: hasJson, run: (r, rng) => {
    const paths = jsonPaths(r.json);
    const p = rng.pick(paths);
    let o = r.json as Record<string | number, unknown>;
    for (const k of p.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
    if (Array.isArray(o)) o.splice(Number(p[p.length - 1]), 1);
    else delete o[p[p.length - 1]!];
  } },
  { name: 'json-unknown-field', stage: 0, weight: 3, applies: isJsonObject, run: (r, rng) => {
    (r.json as Record<string, unknown>)[rng.pick(['__proto__', 'constructor', 'isAdmin', 'role', 'organizationId', 'id', 'x'.repeat(300), ''])] = randomJsonValue(rng);
  } },
  { name: 'json-many-fields', stage: 0, weight: 1, applies: isJsonObject, run: (r, rng) => {
    const o = r.json as Record<string, unknown>;
    const n = rng.pick([100, 5000, 30_000]);
    for (let i = 0; i < n; i++) o[`f${i}`] = i;
  } },
  { name: 'json-overlong-string', stage: 0, weight: 4, applies: hasJson, run: (r, rng) => {
    const n = rng.pick([101, 201, 257, 513, 2049, 4097, 70_000, 900_000]);
    r.json = setAt(r.json, rng.pick(jsonPaths(r.json)), rng.pick(['A', 'é', '\u0000', '"', '\\', '😀']).repeat(n));
  } },
  { name: 'json-nul-string', stage: 0, weight: 2, applies: hasJson, run: (r, rng) => {
    r.json = setAt(r.json, rng.pick(jsonPaths(r.json)), rng.pick(['a\u0000b', '\u0000', 'x@example.com\u0000.evil', '\u0000'.repeat(1000)]));
  } },
  { name: 'json-nasty-string', stage: 0, weight: 3, applies: hasJson, run: (r, rng) => {
    const v = rng.pick(NASTY_STRINGS);
    r.json = setAt(r.json, rng.pick(jsonPaths(r.json)), typeof v === 'string' ? v : v.toString('latin1'));
  } },
  { name: 'json-deep-value', stage: 1, weight: 2, applies: hasJson, run: (r, rng) => {
    // Textual: JSON.stringify itself overflows the stack on deep values.
    const depth = rng.pick([50, 500, 5000, 50_000]);
    const [open, close] = rng.pick([['[', ']'], ['{"a":', '}']] as const);
    withRawValue(r, rng, Buffer.from(open.repeat(depth) + '1' + close.repeat(depth)));
  } },
  { name: 'json-top-level', stage: 0, weight: 2, applies: hasBody, run: (r, rng) => {
    r.json = rng.pick([[], [r.json], 'string', 123, null, true, {}, [{}], 0]);
  } },
  // ---- textual body mutations (stage 1): the body stops being a JSON value we track
  { name: 'raw-number', stage: 1, weight: 5, applies: hasJson, run: (r, rng) => {
    withRawValue(r, rng, Buffer.from(rng.pick([...ODD_NUMBERS, 'NaN', 'Infinity', '-Infinity', '0x10', '01', '.5', '5.', '+1', '1e', '--1', '1_000'])));
  } },
  { name: 'raw-invalid-utf8', stage: 1, weight: 4, applies: hasJson, run: (r, rng) => {
    const bad = rng.pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xfe, 0xff], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
    withRawValue(r, rng, Buffer.concat([Buffer.from('"ab'), Buffer.from(bad), Buffer.from('cd"')]));
  } },
  { name: 'raw-bad-escape', stage: 1, weight: 3, applies: hasJson, run: (r, rng) => {
    withRawValue(r, rng, Buffer.from(rng.pick(['"\\ud800"', '"\\udc00\\ud800"', '"\\uZZZZ"', '"\\u12"', '"\\x41"', '"\\"', '"\\u0000"', '"a\nb"', '"\t"', "'single'", '"\\ud83d\\ude00"'])));
  } },
  { name: 'raw-duplicate-key', stage: 1, weight: 3, applies: isJsonObject, run: (r, rng) => {
    const text = r.body.toString('utf8');
    const keys = Object.keys(r.json as object);
    const k = keys.length ? rng.pick(keys) : 'k';
    const dup = `"${k}":${JSON.stringify(randomJsonValue(rng))},`;
    r.body = Buffer.from(rng.chance(0.5) ? text.replace('{', '{' + dup) : text.replace(/}$/, ',' + dup.slice(0, -1) + '}'));
    r.json = undefined;
  } },
  { name: 'raw-byte-flip', stage: 1, weight: 6, applies: hasBody, run: (r, rng) => {
    const n = rng.range(1, 4);
    for (let i = 0; i < n; i++) {
      const at = rng.int(r.body.length);
      r.body[at] = r.body[at]! ^ (1 << rng.int(8));
    }
    r.json = undefined;
  } },
  { name: 'raw-truncate', stage: 1, weight: 5, applies: hasBody, run: (r, rng) => {
    r.body = r.body.subarray(0, rng.int(r.body.length));
    r.json = undefined;
  } },
  { name: 'raw-duplicate', stage: 1, weight: 3, applies: hasBody, run: (r, rng) => {
    if (rng.chance(0.5)) r.body = Buffer.concat([r.body, r.body]);
    else {
      const a = rng.int(r.body.length);
      const b = a + rng.int(r.body.length - a + 1);
      r.body = Buffer.concat([r.body.subarray(0, b), r.body.subarray(a, b), r.body.subarray(b)]);
    }
    r.json = undefined;
  } },
  { name: 'raw-insert-bytes', stage: 1, weight: 4, applies: hasBody, run: (r, rng) => {
    const at = rng.int(r.body.length + 1);
    const ins = rng.chance(0.5) ? rng.bytes(rng.range(1, 8)) : Buffer.from(rng.pick(['\u0000', '\ufeff', ',', ']', '}', '{', '"', '\\', '/*c*/', '\r\n']));
    r.body = Buffer.concat([r.body.subarray(0, at), ins, r.body.subarray(at)]);
    r.json = undefined;
  } },
  { name: 'raw-deep-nesting', stage: 1, weight: 3, applies: always, run: (r, rng) => {
    const n = rng.pick([100, 1000, 10_000, 100_000, 400_000]);
    const open = rng.pick(['[', '{"a":']);
    const close = open === '[' ? ']' : '}';
    r.body = Buffer.from(open.repeat(n) + '1' + (rng.chance(0.8) ? close.repeat(n) : ''));
    r.json = undefined;
    if (getHeader(r, 'content-type') === undefined) r.headers.push(['Content-Type', 'application/json']);
  } },
  { name: 'raw-odd-body', stage: 1, weight: 3, applies: always, run: (r, rng) => {
    r.body = Buffer.from(rng.pick(['', ' ', 'null', '""', '[]', '{', '}', '{"a":1}{"b":2}', '\ufeff{}', 'key=value&a=b', '<xml/>', '{"a":1,}', '{a:1}', "{'a':1}", '{"a":1} trailing', '0'.repeat(100_000)]));
    r.json = undefined;
  } },
  { name: 'raw-huge-body', stage: 1, weight: 1, applies: always, run: (r, rng) => {
    // Around BODY_LIMIT (1 MiB): just below, just above.
    const n = rng.pick([1024 * 1024 - 64, 1024 * 1024 + 1, 2 * 1024 * 1024]);
    r.body = Buffer.from(`{"name":"${'x'.repeat(n)}"}`);
    r.json = undefined;
  } },
  // ---- headers (stage 2)
  { name: 'content-type', stage: 2, weight: 6, applies: always, run: (r, rng) => {
    setHeader(r, 'Content-Type', rng.pick(CONTENT_TYPES));
  } },
  { name: 'credential', stage: 2, weight: 8, applies: (r) => credentialHeader(r) !== undefined, run: (r, rng, c) => {
    const name = credentialHeader(r)!;
    const cur = buf(getHeader(r, name)!).toString('latin1');
    if (name === 'cookie') {
      setHeader(r, 'Cookie', rng.pick(['', '__Host-tollgate_refresh=', '__Host-tollgate_refresh=x', `${cur}; ${cur}`, '__Host-tollgate_refresh="' + 'a'.repeat(5000) + '"', '=;=;=', cur.slice(0, 30)]));
      return;
    }
    const v = mutateCredential(cur, rng, c);
    if (rng.chance(0.1)) r.headers.push([name === 'authorization' ? 'Authorization' : 'X-API-Key', v]); // duplicated header
    else setHeader(r, name === 'authorization' ? 'Authorization' : 'X-API-Key', v);
  } },
  { name: 'credential-missing', stage: 2, weight: 2, applies: (r) => credentialHeader(r) !== undefined, run: (r) => {
    setHeader(r, credentialHeader(r)!, undefined);
  } },
  { name: 'credential-add', stage: 2, weight: 2, applies: (r) => credentialHeader(r) === undefined, run: (r, rng, c) => {
    setHeader(r, 'Authorization', mutateCredential(`Bearer ${c.userToken}`, rng, c));
  } },
  { name: 'org-header', stage: 2, weight: 6, applies: always, run: (r, rng, c) => {
    const v = rng.pick(ORG_VALUES(c));
    if (rng.chance(0.15)) r.headers.push(['X-Organization-Id', v]);
    else setHeader(r, 'X-Organization-Id', v);
  } },
  { name: 'misc-header', stage: 2, weight: 5, applies: always, run: (r, rng) => {
    const h: Header = rng.pick<Header>([
      ['X-Request-ID', 'A'.repeat(500)],
      ['X-Request-ID', "'; DROP TABLE x; --"],
      ['X-Request-ID', Buffer.from([0xff, 0x41])],
      ['X-Forwarded-For', '1.2.3.4, not-an-ip, ::ffff:999.1.1.1'],
      ['X-Forwarded-For', '1.1.1.1,'.repeat(1000)],
      ['Origin', 'https://evil.example'],
      ['Origin', 'null'],
      ['Origin', `http://127.0.0.1`],
      ['Accept-Encoding', 'gzip;q=2, *;q=-1, br;q=abc'],
      ['Accept', 'application/xml'],
      ['Range', 'bytes=0-1,5-'],
      ['Expect', '100-continue'],
      ['Expect', 'garbage'],
      ['Content-Encoding', 'gzip'],
      ['Cookie', '__Host-tollgate_refresh=' + 'Z'.repeat(300)],
      ['Stripe-Signature', 't=1,v1=' + 'f'.repeat(64)],
      ['Stripe-Signature', 't=abc,v1=,v0=' + 'a'.repeat(5000)],
      ['If-None-Match', '*'],
      ['X-HTTP-Method-Override', 'DELETE'],
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade, keep-alive'],
      ['Access-Control-Request-Method', 'PUT'],
      ['X-Tollgate-Organization', '00000000-0000-0000-0000-000000000000'],
    ]);
    r.headers.push(h);
  } },
  // ---- target (stage 3)
  { name: 'query', stage: 3, weight: 8, applies: hasQuery, run: (r, rng) => {
    r.query = mutateQueryText(buf(r.query!).toString('latin1'), rng);
  } },
  { name: 'query-add', stage: 3, weight: 2, applies: always, run: (r, rng) => {
    const add = rng.pick(['limit=999999999999', 'limit=-1', 'page=0', 'pageSize=100000', 'from=garbage', '%', '&&&', 'a=%zz', 'x=' + 'y'.repeat(8000), 'cursor=%00', '__proto__[x]=1']);
    r.query = r.query === null || buf(r.query).length === 0 ? add : `${buf(r.query).toString('latin1')}&${add}`;
  } },
  { name: 'path-odd', stage: 3, weight: 6, applies: always, run: (r, rng) => {
    const p = buf(r.path).toString('latin1');
    const segs = p.split('/');
    const i = rng.range(1, Math.max(1, segs.length - 1));
    switch (rng.int(14)) {
      case 0: segs.splice(i, 0, '..', segs[i] ?? 'x'); r.path = segs.join('/'); break;
      case 1: segs.splice(i, 0, '.'); r.path = segs.join('/'); break;
      case 2: r.path = p.replace(/\//g, (m, off: number) => (off > 0 && rng.chance(0.4) ? '%2F' : m)); break;
      case 3: r.path = p + '/'; break;
      case 4: r.path = p.replace(/^\/(api|v1|gw)\//, '/$1//'); break;
      case 5: r.path = p.toUpperCase(); break;
      case 6: r.path = p + ';jsessionid=x'; break;
      case 7: r.path = p + '%00'; break;
      case 8: r.path = p + '/' + 'a'.repeat(rng.pick([300, 5000, 70_000])); break;
      case 9: segs.splice(i, 0, '%2e%2e'); r.path = segs.join('/'); break;
      case 10: r.path = Buffer.concat([Buffer.from(p), Buffer.from([0xff, 0xc0, 0xaf])]); break;
      case 11: r.path = p + '/..%2f..%2f..%2fetc%2fpasswd'; break;
      case 12: r.path = p.replace(/[a-z]/, (m) => `%${m.charCodeAt(0).toString(16)}`); break;
      default: r.path = p + '\\..\\'; break;
    }
  } },
  { name: 'path-param', stage: 3, weight: 5, applies: (r) => /\/(api-keys|users|monthly)\/|\/gw\//.test(buf(r.path).toString('latin1')), run: (r, rng) => {
    const p = buf(r.path).toString('latin1');
    const bad = rng.pick(['not-a-uuid', '00000000-0000-0000-0000-000000000000', '0', '-1', '99999999999999999999', '1e3', '%00', '%27', "'", '..', '%2e%2e', 'A'.repeat(1000), 'ffffffff-ffff-ffff-ffff-ffffffffffffx', '2024', '13', '%20', '', 'NaN']);
    const m = p.match(/^(.*\/monthly\/)(\d+)\/(\d+)(.*)$/);
    if (m) r.path = rng.chance(0.5) ? `${m[1]}${bad}/${m[3]}${m[4]}` : `${m[1]}${m[2]}/${bad}${m[4]}`;
    else if (p.startsWith('/gw/')) r.path = '/gw/' + rng.pick(['', 'echo/' + bad, bad, 'echo/' + 'x/'.repeat(2000), 'nope/' + bad, 'echo%2F..%2F..']);
    else r.path = p.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, bad);
  } },
  { name: 'method', stage: 3, weight: 3, applies: always, run: (r, rng) => {
    r.method = rng.chance(0.25)
      ? RANDOM_METHOD_PREFIX + Array.from({ length: rng.range(3, 24) }, () => String.fromCharCode(65 + rng.int(26))).join('')
      : rng.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'get', 'GETT', 'M'.repeat(100)]);
    if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'].includes(r.method)) r.mayDrop = true;
  } },
  // ---- HTTP framing (stage 4): the server may answer 400 or just close
  { name: 'framing', stage: 4, weight: 4, applies: always, run: (r, rng) => {
    r.mayDrop = true;
    switch (rng.int(22)) {
      case 0: r.length = { kind: 'raw', values: [String(Math.max(0, r.body.length - rng.range(1, 10)))] }; break; // shorter
      case 1: r.length = { kind: 'raw', values: [String(r.body.length + rng.range(1, 100))] }; break; // longer, then EOF
      case 2: r.length = { kind: 'raw', values: ['-1'] }; break;
      case 3: r.length = { kind: 'raw', values: ['abc'] }; break;
      case 4: r.length = { kind: 'raw', values: [String(r.body.length), String(r.body.length + 1)] }; break;
      case 5: r.length = { kind: 'raw', values: ['99999999999999999999999'] }; break;
      case 6: {
        // Valid chunked encoding: must be understood.
        const chunks: Buffer[] = [];
        for (let off = 0; off < r.body.length; off += 7) {
          const c = r.body.subarray(off, off + 7);
          chunks.push(Buffer.from(c.length.toString(16) + '\r\n'), c, Buffer.from('\r\n'));
        }
        chunks.push(Buffer.from('0\r\n\r\n'));
        r.body = Buffer.concat(chunks);
        r.length = { kind: 'none' };
        r.headers.push(['Transfer-Encoding', 'chunked']);
        r.mayDrop = false;
        break;
      }
      case 7:
        r.body = Buffer.concat([Buffer.from('zz\r\n'), r.body, Buffer.from('\r\n0\r\n\r\n')]);
        r.length = { kind: 'none' };
        r.headers.push(['Transfer-Encoding', 'chunked']);
        break;
      case 8: r.headers.push(['Transfer-Encoding', 'chunked']); break; // + Content-Length (smuggling shape)
      case 9: r.headers.push(['Transfer-Encoding', rng.pick(['gzip, chunked', 'identity', 'chunked, gzip', 'xchunked'])]); break;
      case 10: r.version = rng.pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.2', 'HTTP/1', 'http/1.1', 'HTTPS/1.1']); break;
      case 11: r.host = rng.pick(['missing', 'double', 'odd'] as const); break;
      case 12: r.eol = '\n'; break;
      case 13: r.headers.push(['X-Folded', 'a\r\n continued']); break;
      case 14: r.headers.push(['X-Space ', 'x']); break;
      case 15: r.headers.push(['Bad\u0001Name', 'x']); break;
      case 16: r.headers.push(['X-Nul', Buffer.from([0x61, 0x00, 0x62])]); break;
      case 17: r.headers.push(['X-Huge', 'h'.repeat(rng.pick([9000, 70_000, 300_000]))]); break;
      case 18: for (let i = 0; i < rng.pick([200, 2000]); i++) r.headers.push([`X-H${i}`, String(i)]); break;
      case 19: r.path = rng.pick([`http://127.0.0.1${buf(r.path).toString('latin1')}`, '*', '', 'api/user/profile', '//evil.example/api/user/profile']); break;
      case 20: r.raw = Buffer.concat([rng.bytes(rng.range(1, 200)), Buffer.from('\r\n\r\n')]); break;
      default: r.raw = Buffer.from(rng.pick(['\r\n\r\n', 'GET\r\n\r\n', 'GET /api/user/profile\r\n\r\n', 'GET /api/user/profile HTTP/1.1\r\n', ' GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' + 'GET / HTTP/1.1\r\n'.repeat(3)])); break;
    }
  } },
];

function mutate(seed: Req, rng: Rng, c: Ctx): Req {
  const r = cloneReq(seed);
  const n = rng.weighted([[6, 1], [3, 2], [1, 3]] as const);
  const chosen: Op[] = [];
  for (let i = 0; i < n; i++) {
    const ok = OPS.filter((o) => o.applies(r) && !chosen.includes(o));
    if (ok.length === 0) break;
    chosen.push(rng.weighted(ok.map((o) => [o.weight, o] as const)));
  }
  chosen.sort((a, b) => a.stage - b.stage);
  for (const op of chosen) {
    if (!op.applies(r)) continue; // an earlier op may have removed what this one needs
    if (r.json !== undefined && op.stage >= 1) r.body = Buffer.from(JSON.stringify(r.json) ?? '');
    op.run(r, rng, c);
    r.ops.push(op.name);
  }
  if (r.json !== undefined) r.body = Buffer.from(JSON.stringify(r.json) ?? '');
  // Webhooks: half are re-signed after mutation, so the event parser is reached, not only the signature check.
  if (r.signWebhook) r.signWebhook = rng.chance(0.5);
  return r;
}

function generate(seeds: Array<{ weight: number; req: Req }>, count: number, seed: number, c: Ctx): Req[] {
  const rng = new Rng(seed);
  const out: Req[] = [];
  const weighted = seeds.map((s) => [s.weight, s.req] as const);
  for (let i = 0; i < count; i++) {
    const base = rng.weighted(weighted);
    if (rng.chance(0.04)) {
      const v = cloneReq(base);
      v.valid = true;
      v.ops = ['(valid)'];
      out.push(v);
    } else out.push(mutate(base, rng, c));
  }
  return out;
}

/**
 * Cases the random sweep found once, replayed every run so a finding does not depend on the RNG stream reaching it
 * again: a Stripe event whose `data` nests 20,000 levels deep, correctly signed (PostgreSQL refuses jsonb that deep
 * with SQLSTATE 54001, which answered 500), as objects and as arrays, plus its unsigned twin (must be 400).
 */
function fixedCases(seeds: Array<{ weight: number; req: Req }>): Req[] {
  const webhook = seeds.find(({ req }) => req.family === 'stripe-webhook')?.req;
  if (!webhook) return [];
  const out: Req[] = [];
  for (const [open, close, signed] of [['{"a":', '}', true], ['[', ']', true], ['{"a":', '}', false]] as const) {
    const r = cloneReq(webhook);
    const envelope = JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
    envelope.id = `evt_sweep_deep_${open === '[' ? 'array' : 'object'}_${signed ? 's' : 'u'}`;
    const text = JSON.stringify({ ...envelope, data: '\u0001' });
    const deep = open.repeat(20_000) + '1' + close.repeat(20_000);
    r.body = Buffer.from(text.replace('"\\u0001"', deep));
    r.json = undefined;
    r.signWebhook = signed;
    if (!signed) setHeader(r, 'Stripe-Signature', 't=1,v1=' + '0'.repeat(64));
    r.ops = [`(fixed: ${signed ? 'signed' : 'unsigned'} webhook, data nested 20,000 deep as ${open === '[' ? 'arrays' : 'objects'})`];
    out.push(r);
  }
  return out;
}

// ------------------------------------------------------------------------------------------ sending

interface Outcome {
  i: number;
  req: Req;
  bytes: Buffer;
  status: number | null;
  contentType: string;
  body: Buffer;
  requestId: string;
  error?: string;
  ms: number;
  /** Requests on this connection (1, or a pipelined batch). */
  batch: number;
  /** An earlier answer on the same connection said `Connection: close`: later requests may go unanswered. */
  closeAnnounced: boolean;
}

/**
 * A unit of sending: one connection carrying one request, or a pipelined batch of 2-4 well-framed requests on a
 * keep-alive connection (all written at once; only the last says `Connection: close`). `split` writes the bytes in
 * small fragments with short pauses (the parser sees partial heads and bodies).
 */
interface Job {
  indices: number[];
  split: boolean;
}

function planJobs(reqs: Req[], seed: number, pipeline = true): Job[] {
  const rng = new Rng(seed ^ 0x10b5);
  const jobs: Job[] = [];
  for (let k = 0; k < reqs.length; ) {
    const n = pipeline && rng.chance(0.12) ? rng.range(2, 4) : 1;
    const indices: number[] = [];
    // Only well-framed requests are pipelined: after broken framing the server cannot know where the next starts.
    while (indices.length < n && k < reqs.length) {
      if (indices.length > 0 && (reqs[k]!.mayDrop || reqs[k]!.raw)) break;
      indices.push(k++);
      if (reqs[indices[0]!]!.mayDrop || reqs[indices[0]!]!.raw) break;
    }
    const bytes = indices.reduce((a, i) => a + reqs[i]!.body.length, 0);
    jobs.push({ indices, split: bytes < 16_384 && rng.chance(0.05) });
  }
  return jobs;
}

function sendJob(port: number, job: Job, reqs: Req[], offset: number): Promise<Outcome[]> {
  const last = job.indices.length - 1;
  const parts = job.indices.map((k, j) => serialize(reqs[k]!, port, `sweep-${offset + k}`, j < last));
  const all = Buffer.concat(parts);
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = net.connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const data = Buffer.concat(chunks);
      let parsed: ReturnType<typeof parseResponses>['responses'] = [];
      try {
        // Interim 1xx answers (100 Continue) are not answers to a request.
        parsed = parseResponses(data, job.indices.map((k) => reqs[k]!.method === 'HEAD')).responses.filter((r) => r.status >= 200);
      } catch {
        parsed = [];
      }
      let closeAnnounced = false;
      const ms = performance.now() - t0;
      resolve(
        job.indices.map((k, j) => {
          const res = parsed[j];
          let status: number | null = res?.status ?? null;
          if (status === null && j === 0 && data.length > 0) {
            const m = /^HTTP\/1\.[01] (\d{3})/.exec(data.subarray(0, 20).toString('latin1'));
            if (m) status = Number(m[1]);
          }
          const o: Outcome = {
            i: offset + k,
            req: reqs[k]!,
            bytes: parts[j]!,
            status,
            contentType: res?.headers['content-type'] ?? '',
            body: res?.body ?? Buffer.alloc(0),
            requestId: res?.headers['x-request-id'] ?? '',
            error: status === null ? (error ?? (j > 0 ? `pipelined #${j + 1} of ${job.indices.length} not answered` : undefined)) : undefined,
            ms,
            batch: job.indices.length,
            closeAnnounced,
          };
          if (res && /\bclose\b/i.test(res.headers['connection'] ?? '')) closeAnnounced = true;
          return o;
        }),
      );
    };
    const timer = setTimeout(() => {
      error = 'timeout: no answer and no close within ' + REQUEST_TIMEOUT_MS + ' ms';
      finish();
    }, REQUEST_TIMEOUT_MS);
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      // EPIPE/ECONNRESET after the server answered early are normal; keep what arrived.
      if (chunks.length === 0) error = e.code ?? e.message;
      finish();
    });
    sock.on('close', finish);
    sock.on('connect', async () => {
      // Write, then half-close: a request whose framing promises more bytes sees EOF instead of waiting.
      if (!job.split) {
        sock.end(all);
        return;
      }
      const rng = new Rng(offset + job.indices[0]!);
      for (let at = 0; at < all.length && !done; ) {
        const n = rng.range(1, 64);
        sock.write(all.subarray(at, at + n));
        at += n;
        if (rng.chance(0.3)) await sleep(1);
      }
      if (!done) sock.end();
    });
  });
}

async function runAll(port: number, reqs: Req[], seed: number, concurrency: number, inFlight: Set<number>, offset = 0, pipeline = true): Promise<Outcome[]> {
  const out: Outcome[] = new Array(reqs.length);
  const jobs = planJobs(reqs, seed, pipeline);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const job = jobs[next++];
      if (!job) return;
      for (const k of job.indices) inFlight.add(offset + k);
      const res = await sendJob(port, job, reqs, offset);
      res.forEach((o, j) => (out[job.indices[j]!] = o));
      for (const k of job.indices) inFlight.delete(offset + k);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

// ------------------------------------------------------------------------------------------- checks

function isApiTarget(r: Req): boolean {
  if (r.raw) return false;
  const t = buf(r.path).toString('latin1');
  return t.startsWith('/api/') || t.startsWith('/v1/') || t === '/api' || t === '/v1';
}

function problemViolation(o: Outcome): string | undefined {
  if (o.status === null || o.status < 400 || o.status >= 500) return undefined;
  if (!isApiTarget(o.req) || o.body.length === 0) return undefined;
  if (!/^application\/problem\+json\b/i.test(o.contentType)) return `4xx with Content-Type "${o.contentType}" (want application/problem+json)`;
  try {
    const j = JSON.parse(o.body.toString('utf8'));
    if (typeof j?.code !== 'string' || j.code.length === 0) return 'problem document without a string `code`';
  } catch {
    return 'problem+json body is not JSON';
  }
  return undefined;
}

function escapeBytes(b: Buffer, max: number): string {
  const s = b.subarray(0, max).toString('latin1');
  const e = JSON.stringify(s).slice(1, -1);
  return b.length > max ? `${e}… (${b.length} bytes)` : e;
}

function describeOutcome(o: Outcome, why: string, logs: string): string {
  const rid = o.requestId || `sweep-${o.i}`;
  const logLines = logs
    .split('\n')
    .filter((l) => l.includes(rid) || (o.requestId === '' && l.includes(`sweep-${o.i}`)))
    .slice(0, 10)
    .map((l) => '      ' + l.slice(0, 800));
  return [
    `  #${o.i} [${o.req.family}] ops=${o.req.ops.join('+')}${o.batch > 1 ? ` (pipelined, batch of ${o.batch})` : ''}: ${why}`,
    `    → status ${o.status ?? '-'} ${o.contentType} ${escapeBytes(o.body, 300)}${o.error ? ` (error: ${o.error})` : ''}`,
    `    request bytes (JSON-escaped latin1): "${escapeBytes(o.bytes, 1200)}"`,
    ...(logLines.length ? ['    server log lines:', ...logLines] : []),
  ].join('\n');
}

/**
 * The largest shapes the sweep sends, several at once on every endpoint family that parses bodies. The server parses
 * any JSON nesting depth: one 800 KB `[[[…]]]` body becomes ~400,000 small nodes, and glibc keeps that high-water
 * mark in each I/O thread's arena after the free (measured: +45 MiB once, then flat). Reaching it before the baseline
 * lets the RSS comparison measure leaks, not which mutant happened to hit an arena first.
 */
function primers(seeds: Array<{ weight: number; req: Req }>): Req[] {
  const shapes = [
    Buffer.from('['.repeat(400_000) + ']'.repeat(400_000)),
    Buffer.from('{"a":'.repeat(170_000) + '1' + '}'.repeat(170_000)),
    Buffer.from(JSON.stringify(Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`f${i}`, i])))),
  ];
  const out: Req[] = [];
  // The JSON parser is shared by every route: a few body-parsing families carry the shapes, several at once.
  const carriers = seeds.filter(({ req }) => ['client-errors', 'profile-patch', 'key-create', 'verify', 'stripe-webhook'].includes(req.family));
  for (let round = 0; round < 2; round++) {
    for (const { req } of carriers.length ? carriers : seeds.filter(({ req }) => req.body.length > 0)) {
      for (const shape of shapes) {
        const r = cloneReq(req);
        r.body = shape;
        r.json = undefined;
        r.ops = ['(primer)'];
        out.push(r);
      }
    }
  }
  return out;
}

function readRssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

// ------------------------------------------------------------------------------------------ fixtures

interface Fixtures {
  loginVictim: { email: string };
  refreshToken: string;
  refreshToken2: string;
  victimKeyId: string;
  rotateKeyId: string;
  planSlug: string;
}

describe('malformed-request sweep', () => {
  let redis: RedisInstance;
  let fake: FakeStripe;
  let server: TollgateServer;
  let ctx: Ctx;
  let fx: Fixtures;
  const inFlight = new Set<number>();
  let inFlightAtExit: number[] | undefined;
  let all: Req[] = [];

  beforeAll(async () => {
    [redis, fake] = await Promise.all([startRedis(), startFakeStripe()]);
    server = await startServer({
      ...stripeEnv(fake),
      REDIS_URL: redis.url,
      // (LOG_LEVEL stays info: the harness reads the port from the "listening" info line; this file prints only
      // the log lines of failing requests, found by X-Request-ID.)
      // Fail fast if a request is left half-read (the client always half-closes, so this should not matter).
      READ_TIMEOUT: '5s',
      // RSS as a leak signal: with glibc's dynamic mmap threshold, a freed 1 MiB body raises the threshold and later
      // bodies come from per-thread arenas that keep their high-water mark, so RSS wandered by ±25 MiB between runs
      // with no leak. A fixed 128 KiB threshold (which also turns the dynamic one off) maps and unmaps every large
      // buffer, and a low trim threshold returns freed heap tops: RSS then follows live memory.
      GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072',
    });
    fake.webhookUrl = server.baseUrl + '/api/stripe/webhook';
    server.proc.once('exit', () => {
      inFlightAtExit = [...inFlight];
    });
    const s = server;

    // The main tenant: on a roomy plan so metering and key limits do not stop the sweep early.
    const [t, other, victim, refresher] = await Promise.all([
      newTenant(s, 'sweep'),
      newTenant(s, 'sweep-other'),
      registerAccount(s, {}, 'sweep-login'),
      registerAccount(s, {}, 'sweep-refresh'),
    ]);
    const slug = await createPlan(s, { includedUnits: 1_000_000_000, policy: 'allow_overage', ratePerMinute: 1_000_000, maxKeys: null });
    await setPlan(s, t.orgId, slug);
    const [{ key, secret }, victimKey, rotateKey, svc, plan] = await Promise.all([
      createKey(s, t.token, { name: 'sweep-main', rateLimitPerMinute: 1_000_000 }),
      createKey(s, t.token, { name: 'sweep-victim' }),
      createKey(s, t.token, { name: 'sweep-rotate' }),
      createServiceToken(s, 'sweep'),
      stripePlan(s, fake, { name: 'Sweep Plan', priceMonthly: 1900 }),
    ]);
    await customerOf(s, t.orgId);

    // An admin whose session proved 2FA by enrolling (no second TOTP step to wait for): role set by SQL, then a
    // login (the token carries the role), then enrolment with that session.
    const adm = await registerAccount(s, {}, 'sweep-admin');
    await makeAdmin(s, adm.result.user.id);
    const admLogin = await loginOk(s, adm.email, adm.password);
    await enableTwoFactor(s, admLogin.accessToken, adm.password);
    const probe = await api(s, 'get', '/api/admin/users?pageSize=1', { token: admLogin.accessToken });
    expect(probe.status, `admin probe: ${probe.text.slice(0, 300)}`).toBe(200);

    ctx = {
      port: s.port,
      jwtSecret: s.env.JWT_SECRET!,
      userToken: t.token,
      orgId: t.orgId,
      otherOrg: other.orgId,
      adminToken: admLogin.accessToken,
      svcToken: svc,
      keySecret: secret,
      keyId: key.id,
      otherUserId: other.userId,
      webhookSecret: fake.webhookSecret,
    };
    fx = {
      loginVictim: { email: victim.email },
      refreshToken: refresher.result.refreshToken,
      refreshToken2: victim.result.refreshToken,
      victimKeyId: victimKey.key.id,
      rotateKeyId: rotateKey.key.id,
      planSlug: plan.slug,
    };
  }, 60_000);

  afterAll(async () => {
    await server?.stop('SIGTERM');
    await Promise.all([redis?.stop(), fake?.close()]);
  });

  it(`${SWEEP_COUNT} mutated requests: no 5xx, problem+json 4xx, alive, RSS back near baseline`, async () => {
    const s = server;
    const pid = s.proc.pid!;
    const seeds = buildSeeds(ctx, fx);
    const t0 = Date.now();

    // Warm-up: a different seed, so every code path, pool, cache and allocator arena has been touched before
    // the baseline is taken.
    const rssStart = readRssBytes(pid);
    const metricsBefore = await (await fetch(s.baseUrl + '/metrics')).text();
    const primed = await runAll(s.port, primers(seeds), SEED ^ 0x9e1, CONCURRENCY, inFlight, 2_000_000, false);
    const warm = generate(seeds, WARMUP_COUNT, SEED ^ 0x5eed, ctx);
    const warmOut = await runAll(s.port, warm, SEED ^ 0x5eed, CONCURRENCY, inFlight, 1_000_000);
    await sleep(1500);
    const baseline = readRssBytes(pid);

    all = [...generate(seeds, SWEEP_COUNT, SEED, ctx), ...fixedCases(seeds)];
    const tSweep = Date.now();
    const outs = await runAll(s.port, all, SEED, CONCURRENCY, inFlight);
    const sweepMs = Date.now() - tSweep;

    // Liveness.
    const alive = s.proc.exitCode === null && s.proc.signalCode === null;
    let health = 0;
    try {
      const r = await fetch(s.baseUrl + '/healthz', { signal: AbortSignal.timeout(5000) });
      health = r.status;
      await r.arrayBuffer();
    } catch {
      health = -1;
    }

    // Memory: settle, then poll up to 5 s for the RSS to come back within the allowance.
    // Allowance: a fixed 16 MiB. With the allocator pinned (GLIBC_TUNABLES above) and the worst parses primed, RSS
    // after the sweep measured within ±4 MiB of the baseline; what legitimately moves (the key cache's negative
    // entries for 30 s, per-connection prepared statements, limiter fallback shards, a few new metric series) is
    // well under that. A leak of ≥ ~3 KiB per request (a request body, a header map, a coroutine frame) over 5,000+
    // requests exceeds it. Not 20 % of the baseline: after priming the baseline is ~120 MiB, and 20 % would let a
    // 24 MiB leak through.
    const allowance = 16 * MIB;
    let after = alive ? readRssBytes(pid) : NaN;
    const settleDeadline = Date.now() + 5000;
    await sleep(1000);
    while (alive && Date.now() < settleDeadline) {
      after = readRssBytes(pid);
      if (after <= baseline + allowance) break;
      await sleep(250);
    }

    // Metric series must not be minted from request input: count the method labels of made-up methods.
    let metricsAfter = '';
    if (alive) metricsAfter = await (await fetch(s.baseUrl + '/metrics')).text();
    const mintedMethods = new Set(
      [...metricsAfter.matchAll(/^tollgate_http_requests_total\{[^}]*method="([^"]*)"/gm)].map((m) => m[1]!).filter((m) => m.startsWith(RANDOM_METHOD_PREFIX)),
    );
    const sentMethods = new Set([...warm, ...all].filter((r) => r.method.startsWith(RANDOM_METHOD_PREFIX)).map((r) => r.method));

    // Findings.
    const logs = s.logs();
    const serverErrors = outs.filter((o) => o.status !== null && o.status >= 500);
    const unanswered = outs.filter((o) => o.status === null && ((!o.req.mayDrop && !o.closeAnnounced) || o.error?.startsWith('timeout')));
    const notProblem = outs.map((o) => [o, problemViolation(o)] as const).filter(([, v]) => v !== undefined);
    const warmBad = [...primed, ...warmOut].filter((o) => (o.status !== null && o.status >= 500) || (o.status === null && !o.req.mayDrop && !o.closeAnnounced));

    // Report.
    const byStatus = new Map<string, number>();
    const byFamily = new Map<string, Map<string, number>>();
    for (const o of outs) {
      const st = o.status === null ? (o.error?.startsWith('timeout') ? 'timeout' : 'closed') : String(o.status);
      byStatus.set(st, (byStatus.get(st) ?? 0) + 1);
      const f = byFamily.get(o.req.family) ?? new Map<string, number>();
      f.set(st, (f.get(st) ?? 0) + 1);
      byFamily.set(o.req.family, f);
    }
    const fmt = (m: Map<string, number>) => [...m.entries()].sort().map(([k, v]) => `${k}:${v}`).join(' ');
    const ms = outs.map((o) => o.ms).sort((a, b) => a - b);
    const report = [
      `malformed sweep: seed=${SEED} mutants=${outs.length} (valid=${outs.filter((o) => o.req.valid).length}, pipelined=${outs.filter((o) => o.batch > 1).length}) concurrency=${CONCURRENCY}`,
      `  sweep ${sweepMs} ms, p50 ${ms[Math.floor(ms.length / 2)]!.toFixed(1)} ms, p99 ${ms[Math.floor(ms.length * 0.99)]!.toFixed(1)} ms, max ${ms[ms.length - 1]!.toFixed(0)} ms; total incl. warm-up ${Date.now() - t0} ms`,
      `  statuses: ${fmt(byStatus)}`,
      ...[...byFamily.entries()].sort().map(([f, m]) => `    ${f.padEnd(18)} ${fmt(m)}`),
      `  RSS: start ${(rssStart / MIB).toFixed(1)} MiB, after warm-up (baseline) ${(baseline / MIB).toFixed(1)} MiB, after sweep ${(after / MIB).toFixed(1)} MiB (allowance +${(allowance / MIB).toFixed(1)} MiB${SANITIZED ? '; not compared on the sanitizer build' : ''})`,
      `  /metrics: ${metricsBefore.length} bytes before, ${metricsAfter.length} after; made-up methods sent ${sentMethods.size}, turned into metric series ${mintedMethods.size}`,
      `  alive=${alive} healthz=${health} 5xx=${serverErrors.length} unanswered=${unanswered.length} non-problem-4xx=${notProblem.length} warm-up-failures=${warmBad.length}`,
    ].join('\n');
    // eslint-disable-next-line no-console
    console.log(report);
    if (process.env.SWEEP_DUMP) {
      fs.writeFileSync(
        process.env.SWEEP_DUMP,
        outs.map((o) => JSON.stringify({ i: o.i, family: o.req.family, ops: o.req.ops, status: o.status, ms: Math.round(o.ms), batch: o.batch, bytes: o.bytes.length, error: o.error })).join('\n') + '\n',
      );
    }

    const details: string[] = [];
    if (!alive) {
      const dead = (inFlightAtExit ?? []).map((i) => (i >= 2_000_000 ? primers(seeds)[i - 2_000_000] : i >= 1_000_000 ? warm[i - 1_000_000] : all[i])).filter((r): r is Req => !!r);
      details.push(`server exited (code ${s.proc.exitCode}, signal ${s.proc.signalCode}); requests in flight at exit:`);
      for (const r of dead.slice(0, 16)) details.push(`  [${r.family}] ops=${r.ops.join('+')}: "${escapeBytes(serialize(r, s.port), 1200)}"`);
      details.push('--- last server output ---', logs.split('\n').slice(-60).join('\n'));
    }
    for (const o of serverErrors.slice(0, 10)) details.push(describeOutcome(o, `status ${o.status}`, logs));
    for (const o of warmBad.slice(0, 5)) details.push(describeOutcome(o, `warm-up: status ${o.status ?? o.error}`, logs));
    for (const o of unanswered.slice(0, 10)) details.push(describeOutcome(o, `no answer (${o.error ?? 'closed without a response'})`, logs));
    for (const [o, v] of notProblem.slice(0, 10)) details.push(describeOutcome(o, v!, logs));
    if (details.length) {
      // eslint-disable-next-line no-console
      console.error(`malformed sweep findings (first of each kind):\n${details.join('\n')}`);
    }

    expect(alive, 'the server process is still running').toBe(true);
    expect(health, '/healthz after the sweep').toBe(200);
    // Independent findings: soft, so one run reports all of them.
    expect.soft(outs.length).toBeGreaterThanOrEqual(Math.min(5000, SWEEP_COUNT));
    expect.soft(serverErrors.length + warmBad.length, 'responses with status >= 500 (details above)').toBe(0);
    expect.soft(unanswered.length, 'well-framed requests without an answer (details above)').toBe(0);
    expect.soft(notProblem.length, '4xx under /api or /v1 that are not problem+json with a code (details above)').toBe(0);
    expect.soft(
      mintedMethods.size,
      `made-up HTTP methods became tollgate_http_requests_total series (unbounded memory and /metrics growth), e.g. ${[...mintedMethods].slice(0, 3).join(', ')}`,
    ).toBe(0);
    if (!SANITIZED) {
      expect.soft(after, `RSS after the sweep ${(after / MIB).toFixed(1)} MiB vs baseline ${(baseline / MIB).toFixed(1)} MiB`).toBeLessThanOrEqual(baseline + allowance);
    }
  }, SANITIZED ? 600_000 : 120_000);
});

