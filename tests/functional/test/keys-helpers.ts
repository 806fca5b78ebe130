/**
 * Shared helpers of the API-key, verification and usage test files (user-api-keys-*, verify-*, usage-*).
 * Not a test file itself.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { FetchResult } from '../harness/http.js';
import { validateResponse } from '../harness/openapi.js';
import type { TollgateServer } from '../harness/server.js';
import { TOLLGATE_BIN, REPO_ROOT, sleep } from '../harness/env.js';
import { api, dbQuery, expectOk, registerAccount } from './auth-helpers.js';

const run = promisify(execFile);

export const KEYS = '/api/user/api-keys' as const;
export const KEY = '/api/user/api-keys/{id}' as const;
export const ROTATE = '/api/user/api-keys/{id}/rotate' as const;
export const VERIFY = '/v1/keys/verify' as const;
export const U_SUMMARY = '/api/user/usage/summary' as const;
export const U_TIMESERIES = '/api/user/usage/timeseries' as const;
export const U_BY_ENDPOINT = '/api/user/usage/by-endpoint' as const;
export const U_DETAILED = '/api/user/usage/detailed' as const;
export const U_MONTHLY = '/api/user/usage/monthly/{year}/{month}' as const;
export const U_QUOTA = '/api/user/usage/quota' as const;
export const U_EXPORT = '/api/user/usage/export' as const;

/** Env for servers of these files: generous /api limits so only the per-key limits are under test. */
export const KEYS_ENV = { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_USER_MAX: '100000' };

/** `tg_live_` / `tg_test_` + 43 random base62 + 6 base62 checksum. */
export const KEY_RE = /^tg_(live|test)_[0-9A-Za-z]{49}$/;
export const SVC_RE = /^tg_svc_[0-9A-Za-z]{43}$/;
export const HTTP_DATE_RE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Verify code → usage_events.status_code (contract). */
export const EVENT_STATUS: Record<string, number> = {
  VALID: 200,
  REVOKED: 401,
  EXPIRED: 401,
  DISABLED: 403,
  PAYMENT_REQUIRED: 402,
  RATE_LIMITED: 429,
  USAGE_EXCEEDED: 429,
};

// ------------------------------------------------------------------------------------- key format

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3 / zlib) of the bytes. */
export function crc32(data: Buffer | string): number {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Base62 (0-9A-Za-z, most significant digit first), left-padded with '0' to `width`. */
export function base62(n: number, width = 6): string {
  let out = '';
  let v = n;
  do {
    out = BASE62[v % 62]! + out;
    v = Math.floor(v / 62);
  } while (v > 0);
  return out.padStart(width, '0');
}

/** The checksum the last 6 characters of a key must carry: base62(CRC-32(everything before them)). */
export function keyChecksum(secretWithoutChecksum: string): string {
  return base62(crc32(secretWithoutChecksum), 6);
}

/** Asserts the documented format of a secret: regex, 16-char prefix, and the CRC-32 checksum. */
export function expectKeyFormat(secret: string, environment: 'live' | 'test', prefix?: string): void {
  expect(secret, `secret format: ${secret}`).toMatch(KEY_RE);
  expect(secret.startsWith(`tg_${environment}_`)).toBe(true);
  const body = secret.slice(0, -6);
  expect(secret.slice(-6), `checksum of ${secret}: base62(CRC-32("${body}"))`).toBe(keyChecksum(body));
  if (prefix !== undefined) expect(prefix).toBe(secret.slice(0, 16));
}

/** A well-formed key (valid checksum) that no server issued. */
export function forgeKey(environment: 'live' | 'test' = 'live'): string {
  const bytes = crypto.randomBytes(43);
  let rnd = '';
  for (const b of bytes) rnd += BASE62[b % 62];
  const body = `tg_${environment}_${rnd}`;
  return body + keyChecksum(body);
}

export function sha256(s: string): Buffer {
  return crypto.createHash('sha256').update(s, 'utf8').digest();
}

// ------------------------------------------------------------------------------------ accounts, orgs

export interface Tenant {
  email: string;
  password: string;
  token: string;
  userId: string;
  orgId: string;
}

function orgClaim(accessToken: string): string | undefined {
  try {
    return JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')).org;
  } catch {
    return undefined;
  }
}

/** Registers a fresh account; its personal organization is the active one (the `org` claim). */
export async function newTenant(s: TollgateServer, tag = 'k'): Promise<Tenant> {
  const a = await registerAccount(s, {}, tag);
  const token: string = a.result.accessToken;
  const orgId: string = a.result.organizationId ?? orgClaim(token);
  expect(orgId, 'organizationId of the AuthResult / org claim').toBeTruthy();
  return { email: a.email, password: a.password, token, userId: a.result.user.id, orgId };
}

/**
 * Puts the organization on the plan `slug` (ends any current subscription first). Extra columns (e.g.
 * status 'past_due', past_due_since, payment_grace_ends_at) as SQL expressions in `extra`.
 */
export async function setPlan(
  s: TollgateServer,
  orgId: string,
  slug: string,
  opts: { status?: string; pastDueSince?: string; graceEndsAt?: string; periodStart?: string; periodEnd?: string } = {},
): Promise<{ periodStart: Date; periodEnd: Date }> {
  await dbQuery(
    s,
    `UPDATE subscriptions SET status = 'canceled', canceled_at = now(), ended_at = now()
      WHERE organization_id = $1 AND status IN ('trialing','active','past_due','unpaid','paused')`,
    [orgId],
  );
  const r = await dbQuery(
    s,
    `INSERT INTO subscriptions (organization_id, plan_id, status, current_period_start, current_period_end,
                                past_due_since, payment_grace_ends_at)
     SELECT $1, id, $3, ${opts.periodStart ?? "date_trunc('second', now()) - interval '1 day'"},
            ${opts.periodEnd ?? "date_trunc('second', now()) + interval '29 days'"},
            ${opts.pastDueSince ?? 'NULL'}, ${opts.graceEndsAt ?? 'NULL'}
       FROM plans WHERE slug = $2
     RETURNING current_period_start, current_period_end`,
    [orgId, slug, opts.status ?? 'active'],
  );
  expect(r.rowCount, `plan ${slug} exists`).toBe(1);
  return { periodStart: r.rows[0].current_period_start, periodEnd: r.rows[0].current_period_end };
}

/** A custom (non-public) plan; returns its slug. */
export async function createPlan(
  s: TollgateServer,
  p: { includedUnits?: number; policy?: 'hard_cap' | 'allow_overage'; ratePerMinute?: number; maxKeys?: number | null; name?: string } = {},
): Promise<string> {
  const slug = `t-${crypto.randomBytes(5).toString('hex')}`;
  await dbQuery(
    s,
    `INSERT INTO plans (slug, name, type, included_units, quota_policy, rate_limit_per_minute, max_api_keys, is_public)
     VALUES ($1, $2, 'HYBRID', $3, $4, $5, $6, false)`,
    [slug, p.name ?? 'Test plan', p.includedUnits ?? 1000, p.policy ?? 'hard_cap', p.ratePerMinute ?? 1000, p.maxKeys === undefined ? 10 : p.maxKeys],
  );
  return slug;
}

export async function suspendOrg(s: TollgateServer, orgId: string): Promise<void> {
  const r = await dbQuery(s, `UPDATE organizations SET status = 'suspended', suspended_at = now() WHERE id = $1`, [orgId]);
  expect(r.rowCount).toBe(1);
}

// ------------------------------------------------------------------------------------------- keys

export function createKeyRaw(s: TollgateServer, token: string | undefined, body: unknown, headers: Record<string, string> = {}): Promise<FetchResult> {
  return api(s, 'post', KEYS, { token, body, headers });
}

/** POST /api/user/api-keys expecting 201 (spec-valid); returns {key, secret}. */
export async function createKey(s: TollgateServer, token: string, body: Record<string, unknown> = {}): Promise<{ key: any; secret: string }> {
  const r = await createKeyRaw(s, token, { name: `key-${crypto.randomBytes(3).toString('hex')}`, ...body });
  const b = expectOk(r, 'post', KEYS, 201);
  return { key: b.key, secret: b.secret };
}

export const keyUrl = (id: string) => `${KEYS}/${encodeURIComponent(id)}`;

export function getKey(s: TollgateServer, token: string | undefined, id: string): Promise<FetchResult> {
  return api(s, 'get', keyUrl(id), { token });
}

export function patchKey(s: TollgateServer, token: string | undefined, id: string, body: unknown, headers: Record<string, string> = {}): Promise<FetchResult> {
  return api(s, 'patch', keyUrl(id), { token, body, headers });
}

export function revokeKey(s: TollgateServer, token: string | undefined, id: string): Promise<FetchResult> {
  return api(s, 'delete', keyUrl(id), { token });
}

export function rotateKey(s: TollgateServer, token: string | undefined, id: string, body?: unknown, headers: Record<string, string> = {}): Promise<FetchResult> {
  return api(s, 'post', `${keyUrl(id)}/rotate`, { token, body, headers });
}

export function listKeys(s: TollgateServer, token: string | undefined, query = ''): Promise<FetchResult> {
  return api(s, 'get', KEYS + query, { token });
}

// -------------------------------------------------------------------------------- service tokens

/** The environment the CLI gets: the runner's, plus everything the server was started with. */
function cliEnv(s: TollgateServer): NodeJS.ProcessEnv {
  return { ...process.env, ...s.env } as NodeJS.ProcessEnv;
}

/** `tollgate service-token create --name N` against the server's database; the token is the last stdout line. */
export async function createServiceToken(s: TollgateServer, name = `svc-${crypto.randomBytes(3).toString('hex')}`): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await run(TOLLGATE_BIN, ['service-token', 'create', '--name', name], {
      cwd: REPO_ROOT,
      env: cliEnv(s),
      timeout: 30_000,
    }));
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`tollgate service-token create failed: ${e.message}\nstdout: ${e.stdout ?? ''}\nstderr: ${e.stderr ?? ''}`);
  }
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const token = lines[lines.length - 1] ?? '';
  expect(token, `last stdout line of service-token create: ${JSON.stringify(stdout)}`).toMatch(SVC_RE);
  return token;
}

/** Inserts a service token directly (for scopes, revoked or expired tokens); returns the token string. */
export async function insertServiceToken(
  s: TollgateServer,
  opts: { scopes?: string[]; revoked?: boolean; expired?: boolean } = {},
): Promise<string> {
  let rnd = '';
  for (const b of crypto.randomBytes(43)) rnd += BASE62[b % 62];
  const token = `tg_svc_${rnd}`;
  await dbQuery(
    s,
    `INSERT INTO service_tokens (name, prefix, token_hash, scopes, revoked_at, expires_at)
     VALUES ($1, $2, $3, $4::text[], ${opts.revoked ? 'now()' : 'NULL'}, ${opts.expired ? "now() - interval '1 minute'" : 'NULL'})`,
    ['test-token', token.slice(0, 12), sha256(token), opts.scopes ?? ['keys:verify']],
  );
  return token;
}

// ----------------------------------------------------------------------------------------- verify

export function verify(
  s: TollgateServer,
  serviceToken: string | undefined,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<FetchResult> {
  return api(s, 'post', VERIFY, { token: serviceToken, body, headers });
}

/** POST /v1/keys/verify expecting 200 (spec-valid); returns the response (json = VerifyResult). */
export async function verifyOk(s: TollgateServer, serviceToken: string, body: Record<string, unknown>): Promise<FetchResult> {
  const r = await verify(s, serviceToken, body);
  expect(r.status, `verify → ${r.status}: ${r.text.slice(0, 500)}`).toBe(200);
  expect(r.contentType).toMatch(/^application\/json\b/i);
  validateResponse('post', VERIFY, 200, r.contentType, r.text);
  return r;
}

/**
 * Verifies repeatedly (every `everyMs`) until the code is `code` or `withinMs` passed; returns the last
 * response and the time (ms since the call) at which the request that first answered `code` was sent.
 */
export async function verifyUntil(
  s: TollgateServer,
  serviceToken: string,
  body: Record<string, unknown>,
  code: string,
  withinMs = 1500,
  everyMs = 50,
): Promise<{ r: FetchResult; sentAtMs: number; seen: string[] }> {
  const t0 = Date.now();
  const seen: string[] = [];
  for (;;) {
    const sentAt = Date.now() - t0;
    const r = await verifyOk(s, serviceToken, body);
    seen.push(r.json.code);
    if (r.json.code === code) return { r, sentAtMs: sentAt, seen };
    if (Date.now() - t0 > withinMs) return { r, sentAtMs: -1, seen };
    await sleep(everyMs);
  }
}

/** Expects the answer of a verify that did not resolve to a key. */
export function expectNotFound(r: FetchResult): void {
  expect(r.json).toMatchObject({
    valid: false,
    code: 'NOT_FOUND',
    keyId: null,
    organizationId: null,
    plan: null,
    meta: null,
    ratelimit: null,
    quota: null,
  });
  expect(r.json.environment ?? null).toBeNull();
}

// ------------------------------------------------------------------------------------------ usage

export interface UsageRow {
  event_id: string;
  occurred_at: Date;
  organization_id: string;
  api_key_id: string;
  source: string;
  method: string;
  endpoint: string;
  status_code: number;
  code: string;
  cost: string;
  latency_us: string;
  request_id: string | null;
}

/** The usage_events row(s) of the X-Request-ID, once at least one has landed (≤ timeoutMs); [] otherwise. */
export async function waitEvent(s: TollgateServer, requestId: string, timeoutMs = 10_000): Promise<UsageRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await dbQuery(s, `SELECT * FROM usage_events WHERE request_id = $1`, [requestId]);
    if (r.rows.length > 0 || Date.now() > deadline) return r.rows as UsageRow[];
    await sleep(100);
  }
}

/** Waits (≤ timeoutMs) until the organization has at least `count` usage_events; returns them, oldest first. */
export async function waitOrgEvents(s: TollgateServer, orgId: string, count: number, timeoutMs = 10_000): Promise<UsageRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await dbQuery(s, `SELECT * FROM usage_events WHERE organization_id = $1 ORDER BY occurred_at, event_id`, [orgId]);
    if (r.rows.length >= count || Date.now() > deadline) return r.rows as UsageRow[];
    await sleep(100);
  }
}

/** The X-Request-ID of a response (the contract's usage_events.request_id). */
export function requestIdOf(r: FetchResult): string {
  const rid = r.headers.get('x-request-id');
  expect(rid, 'X-Request-ID header').toBeTruthy();
  return rid!;
}

/** Checks the one usage event of a verify answer. */
export async function expectEventFor(
  s: TollgateServer,
  r: FetchResult,
  want: { keyId: string; orgId: string; code: string; cost: number; endpoint?: string; method?: string },
): Promise<UsageRow> {
  const rows = await waitEvent(s, requestIdOf(r));
  expect(rows.length, `exactly one usage_events row for request ${requestIdOf(r)} (${want.code})`).toBe(1);
  const e = rows[0]!;
  expect(e.source).toBe('verify');
  expect(e.api_key_id).toBe(want.keyId);
  expect(e.organization_id).toBe(want.orgId);
  expect(e.code).toBe(want.code);
  expect(Number(e.status_code)).toBe(EVENT_STATUS[want.code]);
  expect(Number(e.cost)).toBe(want.cost);
  if (want.endpoint !== undefined) expect(e.endpoint).toBe(want.endpoint);
  if (want.method !== undefined) expect(e.method).toBe(want.method);
  return e;
}

// --------------------------------------------------------------------------------------- time

export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const floorHour = (t: number) => Math.floor(t / HOUR) * HOUR;
export const ceilHour = (t: number) => Math.ceil(t / HOUR) * HOUR;
export const iso = (t: number) => new Date(t).toISOString();
export function monthStartUtc(t = Date.now(), plus = 0): number {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + plus, 1);
}

// ------------------------------------------------------------------------------------ seeded usage

export interface SeededCall {
  keyId: string;
  keyName: 'A' | 'B' | 'C';
  method: string;
  endpoint: string;
  cost: number;
  code: string;
  requestId: string;
}

export interface SeededUsage {
  tenant: Tenant;
  serviceToken: string;
  keys: { A: any; B: any; C: any };
  calls: SeededCall[];
  totals: { requests: number; costUnits: number; errors: number; rejected: number };
}

/**
 * A tenant (free plan) with three keys and 13 recorded verify calls, all shipped:
 *   key A: 6 × POST /v1/search cost 2, 3 × GET /v1/items cost 1      (VALID)
 *   key B: 2 × GET /v1/items cost 5                                    (VALID, test environment)
 *   key C (disabled): 2 × DELETE /v1/items/1 cost 3                   (DISABLED: status 403, cost 0)
 * Totals: 13 requests, 25 cost units, 2 errors, 2 rejected.
 */
export async function seedUsage(s: TollgateServer, tag = 'usage'): Promise<SeededUsage> {
  const tenant = await newTenant(s, tag);
  const serviceToken = await createServiceToken(s);
  const a = await createKey(s, tenant.token, { name: 'A', rateLimitPerMinute: 100000 });
  const c = await createKey(s, tenant.token, { name: 'C', rateLimitPerMinute: 100000 });
  const cDisabled = expectOk(await patchKey(s, tenant.token, c.key.id, { status: 'disabled' }), 'patch', KEY, 200);
  // Free plan: 2 active keys; C is disabled, so B fits.
  const b = await createKey(s, tenant.token, { name: 'B', environment: 'test', rateLimitPerMinute: 100000 });
  const keys = { A: a.key, B: b.key, C: cDisabled };
  const secrets = { A: a.secret, B: b.secret, C: c.secret };
  const plan: Array<{ k: 'A' | 'B' | 'C'; method: string; endpoint: string; cost: number; code: string }> = [];
  for (let i = 0; i < 6; i++) plan.push({ k: 'A', method: 'POST', endpoint: '/v1/search', cost: 2, code: 'VALID' });
  for (let i = 0; i < 3; i++) plan.push({ k: 'A', method: 'GET', endpoint: '/v1/items', cost: 1, code: 'VALID' });
  for (let i = 0; i < 2; i++) plan.push({ k: 'B', method: 'GET', endpoint: '/v1/items', cost: 5, code: 'VALID' });
  for (let i = 0; i < 2; i++) plan.push({ k: 'C', method: 'DELETE', endpoint: '/v1/items/1', cost: 3, code: 'DISABLED' });
  // The disable must have reached the verify path (≤ 1 s) before C's calls.
  await sleep(1100);
  const calls: SeededCall[] = [];
  for (const p of plan) {
    const r = await verifyOk(s, serviceToken, { key: secrets[p.k], method: p.method, endpoint: p.endpoint, cost: p.cost });
    expect(r.json.code, `seed call ${p.k} ${p.method} ${p.endpoint}`).toBe(p.code);
    calls.push({
      keyId: keys[p.k].id,
      keyName: p.k,
      method: p.method,
      endpoint: p.endpoint,
      cost: p.code === 'VALID' ? p.cost : 0,
      code: p.code,
      requestId: requestIdOf(r),
    });
  }
  const rows = await waitOrgEvents(s, tenant.orgId, calls.length);
  expect(rows.length, 'all 13 seeded calls reached usage_events within 10 s').toBe(calls.length);
  return { tenant, serviceToken, keys, calls, totals: { requests: 13, costUnits: 25, errors: 2, rejected: 2 } };
}

// ------------------------------------------------------------------------------- load generation

export interface FastResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A keep-alive node:http client with at most `maxSockets` connections, for the load-style acceptance tests. */
export function fastClient(maxSockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  return {
    agent,
    post(url: string, headers: Record<string, string>, body: string, timeoutMs = 15_000): Promise<FastResult> {
      return new Promise((resolve, reject) => {
        const payload = Buffer.from(body, 'utf8');
        const req = http.request(
          url,
          { method: 'POST', agent, headers: { ...headers, 'content-length': String(payload.length) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        req.setTimeout(timeoutMs, () => req.destroy(new Error('request timeout')));
        req.on('error', reject);
        req.end(payload);
      });
    },
    close(): void {
      agent.destroy();
    },
  };
}
