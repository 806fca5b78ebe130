/**
 * Shared helpers of the auth test files (auth-*.test.ts, user-profile.test.ts). Not a test file itself.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import pg from 'pg';
import { request, type FetchResult } from '../harness/http.js';
import { validateResponse, expectProblemShape } from '../harness/openapi.js';
import type { TollgateServer } from '../harness/server.js';
import { totpDevice } from '../harness/totp.js';
import { startSmtpSink, type SmtpSink } from '../harness/smtp.js';

export const REFRESH_COOKIE = '__Host-tollgate_refresh';
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A password that is ≥ 12 characters and surely not on any common-password list. */
export const GOOD_PASSWORD = 'Tg-functional-7f3#kQ9!';
/** Anonymous /api requests would otherwise share the default 100-per-15-min IP budget of the whole file. */
export const HIGH_IP_LIMIT = { RATE_LIMIT_IP_MAX: '100000' };

export function uniqueEmail(tag = 'u'): string {
  return `${tag}-${crypto.randomUUID()}@example.com`;
}

/** Path templates of the spec (as validateResponse wants them). */
export type Path =
  | '/api/plans'
  | '/api/user/subscription'
  | '/api/auth/register'
  | '/api/auth/login'
  | '/api/auth/refresh'
  | '/api/auth/logout'
  | '/api/auth/2fa/verify'
  | '/api/auth/verify-email'
  | '/api/auth/resend-verification'
  | '/api/auth/forgot-password'
  | '/api/auth/reset-password'
  | '/api/auth/logout-all'
  | '/api/user/profile'
  | '/api/user/password'
  | '/api/user/email'
  | '/api/user/account'
  | '/api/user/sessions'
  | '/api/user/sessions/{id}'
  | '/api/user/2fa'
  | '/api/user/2fa/setup'
  | '/api/user/2fa/enable'
  | '/api/user/2fa/disable'
  | '/api/user/2fa/recovery-codes'
  | '/api/admin/audit-log'
  | '/api/user/api-keys'
  | '/api/user/api-keys/{id}'
  | '/api/user/api-keys/{id}/rotate'
  | '/v1/keys/verify'
  | '/api/user/usage/summary'
  | '/api/user/usage/timeseries'
  | '/api/user/usage/by-endpoint'
  | '/api/user/usage/detailed'
  | '/api/user/usage/monthly/{year}/{month}'
  | '/api/user/usage/quota'
  | '/api/user/usage/export';

/** POST with a JSON body (object → JSON.stringify, string → sent verbatim); extra headers win. */
export function postJson(
  s: TollgateServer,
  path: Path,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<FetchResult> {
  return request(s.baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    timeoutMs: 15_000,
  });
}

/** POST without any body (and without Content-Type); e.g. refresh/logout by cookie. */
export function postEmpty(s: TollgateServer, path: Path, headers: Record<string, string> = {}): Promise<FetchResult> {
  return request(s.baseUrl + path, { method: 'POST', headers, timeoutMs: 15_000 });
}

export function getProfile(s: TollgateServer, accessToken?: string, authorization?: string): Promise<FetchResult> {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  else if (accessToken !== undefined) headers.authorization = `Bearer ${accessToken}`;
  return request(s.baseUrl + '/api/user/profile', { headers, timeoutMs: 15_000 });
}

export interface Account {
  email: string;
  password: string;
  /** The 201 AuthResult of the registration. */
  result: any;
}

/** Registers a fresh account and checks the 201 (spec-valid AuthResult). */
export async function registerAccount(s: TollgateServer, extra: Record<string, unknown> = {}, tag = 'u'): Promise<Account> {
  const email = uniqueEmail(tag);
  const r = await postJson(s, '/api/auth/register', { email, password: GOOD_PASSWORD, ...extra });
  expect(r.status, `register ${email}: ${r.text.slice(0, 500)}`).toBe(201);
  validateResponse('post', '/api/auth/register', 201, r.contentType, r.text);
  return { email, password: GOOD_PASSWORD, result: r.json };
}

export async function login(s: TollgateServer, email: string, password: string, headers: Record<string, string> = {}): Promise<FetchResult> {
  return postJson(s, '/api/auth/login', { email, password }, headers);
}

/** Logs in and expects 200; returns the AuthResult. */
export async function loginOk(s: TollgateServer, email: string, password: string): Promise<any> {
  const r = await login(s, email, password);
  expect(r.status, `login ${email}: ${r.text.slice(0, 500)}`).toBe(200);
  validateResponse('post', '/api/auth/login', 200, r.contentType, r.text);
  return r.json;
}

/** Checks an error: problem+json, the Problem schema, the path's documented response, the code and requestId. */
export function expectProblem(
  r: FetchResult,
  method: string,
  path: Path,
  status: number,
  code: string,
): any {
  expect(r.status, `expected ${status} ${code}, got ${r.status}: ${r.text.slice(0, 500)}`).toBe(status);
  const body = expectProblemShape(status, r.contentType, r.text);
  expect(body.code).toBe(code);
  expect(body.requestId).toBe(r.headers.get('x-request-id'));
  validateResponse(method, path, status, r.contentType, r.text);
  return body;
}

/** 422 VALIDATION_FAILED whose errors[] names `field`. */
export function expectValidationFailed(r: FetchResult, path: Path, field: string, method = 'post'): any {
  const body = expectProblem(r, method, path, 422, 'VALIDATION_FAILED');
  expect(Array.isArray(body.errors), `errors[] missing: ${r.text}`).toBe(true);
  expect(
    body.errors.some((e: { field: string }) => typeof e.field === 'string' && e.field.includes(field)),
    `errors[] does not name "${field}": ${JSON.stringify(body.errors)}`,
  ).toBe(true);
  return body;
}

export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; flag attributes map to ''. */
  attrs: Record<string, string>;
  raw: string;
}

export function parseSetCookies(r: FetchResult): SetCookie[] {
  return r.headers.getSetCookie().map((raw) => {
    const [first, ...rest] = raw.split(';');
    const eq = first!.indexOf('=');
    const attrs: Record<string, string> = {};
    for (const part of rest) {
      const i = part.indexOf('=');
      const k = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase();
      if (k) attrs[k] = i < 0 ? '' : part.slice(i + 1).trim();
    }
    return { name: first!.slice(0, eq).trim(), value: first!.slice(eq + 1).trim(), attrs, raw };
  });
}

/** The single refresh-cookie Set-Cookie of a response (fails when it is absent or repeated). */
export function refreshCookie(r: FetchResult): SetCookie {
  const all = parseSetCookies(r).filter((c) => c.name === REFRESH_COOKIE);
  expect(all.length, `exactly one Set-Cookie ${REFRESH_COOKIE}; got: ${JSON.stringify(r.headers.getSetCookie())}`).toBe(1);
  return all[0]!;
}

/** `__Host-tollgate_refresh=<token>; Path=/; Max-Age=604800; HttpOnly; Secure; SameSite=Strict` (no Domain). */
export function expectRefreshCookieSet(r: FetchResult, refreshToken: string): void {
  const c = refreshCookie(r);
  expect(c.value, `cookie value = refreshToken (${c.raw})`).toBe(refreshToken);
  expect(c.attrs.path, c.raw).toBe('/');
  expect(c.attrs['max-age'], c.raw).toBe('604800');
  expect('httponly' in c.attrs, `HttpOnly missing: ${c.raw}`).toBe(true);
  expect('secure' in c.attrs, `Secure missing: ${c.raw}`).toBe(true);
  expect((c.attrs.samesite ?? '').toLowerCase(), c.raw).toBe('strict');
  // The __Host- prefix: browsers drop the cookie when Domain is present.
  expect('domain' in c.attrs, `__Host- cookie must not carry Domain: ${c.raw}`).toBe(false);
  // The web app's non-secret "a session exists" hint travels with it, readable by scripts.
  const hint = parseSetCookies(r).filter((h) => h.name === 'tollgate_session');
  expect(hint.length, `one tollgate_session hint cookie: ${JSON.stringify(r.headers.getSetCookie())}`).toBe(1);
  expect(hint[0]!.value).toBe('1');
  expect('httponly' in hint[0]!.attrs).toBe(false);
}

/** Logout's clearing cookie: Max-Age=0, and still Path=/ + Secure, without which a browser ignores a __Host- cookie. */
export function expectRefreshCookieCleared(r: FetchResult): void {
  const c = refreshCookie(r);
  expect(c.attrs['max-age'], `Max-Age=0 expected: ${c.raw}`).toBe('0');
  expect(c.attrs.path, `a __Host- cookie is only accepted (and so only cleared) with Path=/: ${c.raw}`).toBe('/');
  expect('secure' in c.attrs, `a __Host- cookie is only accepted (and so only cleared) with Secure: ${c.raw}`).toBe(true);
  expect('domain' in c.attrs, c.raw).toBe(false);
  expect(c.value === '' || c.value === '""', `cleared cookie should carry no token: ${c.raw}`).toBe(true);
}

/** Every contract fact of an AuthResult (beyond the schema), for the given email. */
export function expectAuthResult(body: any, email: string): void {
  expect(body.tokenType).toBe('Bearer');
  expect(body.expiresIn).toBe(900);
  expect(typeof body.accessToken).toBe('string');
  expect(body.accessToken.split('.').length, 'accessToken is a JWS compact serialization').toBe(3);
  expect(decodeJwt(body.accessToken).header.alg).toBe('HS256');
  expect(typeof body.refreshToken).toBe('string');
  expect(body.refreshToken.length).toBeGreaterThanOrEqual(20);
  expect(body.refreshToken).not.toBe(body.accessToken);
  expect(body.organizationId).toMatch(UUID_RE);
  expect(body.user.id).toMatch(UUID_RE);
  expect(body.user.email.toLowerCase()).toBe(email.toLowerCase());
}

/** The User schema's documented fields (name/company: absent = null), for comparing users across responses. */
export function userFields(u: any): Record<string, unknown> {
  return {
    id: u?.id,
    email: u?.email,
    name: u?.name ?? null,
    company: u?.company ?? null,
    role: u?.role,
    status: u?.status,
    emailVerified: u?.emailVerified,
    twoFactorEnabled: u?.twoFactorEnabled,
    createdAt: typeof u?.createdAt === 'string' ? Date.parse(u.createdAt) : u?.createdAt,
  };
}

// ---------------------------------------------------------------------------------------------- JWT

function b64urlJson(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

export function decodeJwt(token: string): { header: any; payload: any; signature: string } {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')),
    signature: s ?? '',
  };
}

/** HS256-signs header+payload with `secret` (the harness passes JWT_SECRET to the server, so tests know it). */
export function signHs256(header: unknown, payload: unknown, secret: string): string {
  const input = `${b64urlJson(header)}.${b64urlJson(payload)}`;
  const sig = crypto.createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${sig}`;
}

/** Same header and signature, payload replaced: the signature no longer matches. */
export function tamperPayload(token: string, change: (payload: any) => void): string {
  const [h, , s] = token.split('.');
  const { payload } = decodeJwt(token);
  change(payload);
  return `${h}.${b64urlJson(payload)}.${s}`;
}

/** `{"alg":"none"}` header, the real payload, empty signature. */
export function algNone(token: string): string {
  const { payload } = decodeJwt(token);
  return `${b64urlJson({ alg: 'none', typ: 'JWT' })}.${b64urlJson(payload)}.`;
}

// ----------------------------------------------------------------------------------------- database

/** Runs one statement against the server's own database (the fresh `tg_<random>` one). */
export async function dbQuery(s: TollgateServer, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: s.env.DATABASE_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function suspendUser(s: TollgateServer, email: string): Promise<void> {
  const r = await dbQuery(s, `UPDATE users SET status='suspended', suspended_at=now() WHERE lower(email)=lower($1)`, [email]);
  expect(r.rowCount, `suspend ${email}`).toBe(1);
}

/** Moves every session of the user into the past so they are expired (keeping expires_at > created_at). */
export async function expireSessions(s: TollgateServer, email: string): Promise<number> {
  const r = await dbQuery(
    s,
    `UPDATE sessions SET created_at = now() - interval '10 days', family_started_at = now() - interval '10 days',
            expires_at = now() - interval '1 day'
      WHERE user_id = (SELECT id FROM users WHERE lower(email) = lower($1))`,
    [email],
  );
  return r.rowCount ?? 0;
}

/** RateLimit-Policy without whitespace, e.g. `"user";q=1000;w=900`. */
export function policyOf(r: FetchResult): string {
  return (r.headers.get('ratelimit-policy') ?? '').replace(/\s/g, '');
}

export function expectPolicy(r: FetchResult, name: 'ip' | 'user', q: number, w: number): void {
  const p = policyOf(r);
  expect(p, `RateLimit-Policy of ${r.status} response`).toMatch(new RegExp(`^"${name}"(;|$)`));
  expect(p).toContain(`;q=${q}`);
  expect(p).toContain(`;w=${w}`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// ------------------------------------------------------------------------------- accounts (issue 3)

/** `{authorization: 'Bearer <token>'}`. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/**
 * Any method on any /api path. `body` (object → JSON, string → verbatim) sets Content-Type: application/json;
 * `token` adds the Bearer header; extra headers win.
 */
export function api(
  s: TollgateServer,
  method: string,
  urlPath: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<FetchResult> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) Object.assign(headers, bearer(opts.token));
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  Object.assign(headers, opts.headers ?? {});
  return request(s.baseUrl + urlPath, {
    method: method.toUpperCase(),
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    timeoutMs: 15_000,
  });
}

/** Expects `status` (2xx) and a body valid for the spec's response; returns the parsed body (undefined for 204). */
export function expectOk(r: FetchResult, method: string, path: Path, status: number): any {
  expect(r.status, `expected ${status} from ${method.toUpperCase()} ${path}, got ${r.status}: ${r.text.slice(0, 500)}`).toBe(status);
  if (status === 204) {
    expect(r.text).toBe('');
    validateResponse(method, path, 204, r.contentType || null, r.text);
    return undefined;
  }
  expect(r.contentType).toMatch(/^application\/json\b/i);
  validateResponse(method, path, status, r.contentType, r.text);
  return r.json;
}

/** The body text with its requestId value blanked: what must be byte-identical between two answers. */
export function bodyWithoutRequestId(r: FetchResult): string {
  const rid = r.json?.requestId;
  if (typeof rid !== 'string') return r.text;
  return r.text.split(JSON.stringify(rid)).join('"<requestId>"');
}

/** The `sid` claim of an access token (the session id GET /api/user/sessions lists). */
export function sidOf(accessToken: string): string {
  return decodeJwt(accessToken).payload.sid;
}

export interface SignedIn extends Account {
  userId: string;
  /** The AuthResult of a login made after the registration (a second session). */
  login: any;
}

/** Registers a fresh account, then signs in once more: two sessions (registration's and the login's). */
export async function registerAndLogin(
  s: TollgateServer,
  tag = 'u',
  extra: Record<string, unknown> = {},
  loginHeaders: Record<string, string> = {},
): Promise<SignedIn> {
  const acct = await registerAccount(s, extra, tag);
  const r = await login(s, acct.email, acct.password, loginHeaders);
  expect(r.status, `login ${acct.email}: ${r.text.slice(0, 500)}`).toBe(200);
  validateResponse('post', '/api/auth/login', 200, r.contentType, r.text);
  expect(r.json.accessToken, 'login answered an MFA challenge, expected an AuthResult').toBeTypeOf('string');
  return { ...acct, userId: acct.result.user.id, login: r.json };
}

export function refresh(s: TollgateServer, refreshToken: string): Promise<FetchResult> {
  return postJson(s, '/api/auth/refresh', { refreshToken });
}

/** The refresh token is refused: 401 INVALID_REFRESH_TOKEN. */
export async function expectRefreshRefused(s: TollgateServer, refreshToken: string, why = ''): Promise<void> {
  const r = await refresh(s, refreshToken);
  expect(r.status, `refresh should be refused ${why}: ${r.status} ${r.text.slice(0, 300)}`).toBe(401);
  expectProblem(r, 'post', '/api/auth/refresh', 401, 'INVALID_REFRESH_TOKEN');
}

/** The refresh token still works (200); returns the new AuthResult. */
export async function expectRefreshWorks(s: TollgateServer, refreshToken: string, why = ''): Promise<any> {
  const r = await refresh(s, refreshToken);
  expect(r.status, `refresh should work ${why}: ${r.text.slice(0, 300)}`).toBe(200);
  validateResponse('post', '/api/auth/refresh', 200, r.contentType, r.text);
  return r.json;
}

// ----------------------------------------------------------------------------------------------- 2FA

export interface TwoFactor {
  secret: string;
  recoveryCodes: string[];
}

/** POST /api/user/2fa/setup + /enable with a fresh TOTP step; returns the base32 secret and the 10 recovery codes. */
export async function enableTwoFactor(s: TollgateServer, accessToken: string, password: string): Promise<TwoFactor> {
  const setup = await api(s, 'post', '/api/user/2fa/setup', { token: accessToken, body: { password } });
  const st = expectOk(setup, 'post', '/api/user/2fa/setup', 200);
  const secret: string = st.secret;
  const code = await totpDevice(secret).next();
  const en = await api(s, 'post', '/api/user/2fa/enable', { token: accessToken, body: { code } });
  const body = expectOk(en, 'post', '/api/user/2fa/enable', 200);
  return { secret, recoveryCodes: body.recoveryCodes };
}

/** Login that must answer the MFA challenge; returns the mfaToken. */
export async function loginChallenge(s: TollgateServer, email: string, password: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await login(s, email, password, headers);
  expect(r.status, `login ${email}: ${r.text.slice(0, 500)}`).toBe(200);
  validateResponse('post', '/api/auth/login', 200, r.contentType, r.text);
  expect(r.json.mfaRequired, `expected an MFA challenge: ${r.text.slice(0, 300)}`).toBe(true);
  expect(r.json).not.toHaveProperty('accessToken');
  expect(r.json).not.toHaveProperty('refreshToken');
  return r.json.mfaToken;
}

export function verifyMfa(s: TollgateServer, mfaToken: string, code: string, headers: Record<string, string> = {}): Promise<FetchResult> {
  return postJson(s, '/api/auth/2fa/verify', { mfaToken, code }, headers);
}

/** Full sign-in of a 2FA account (password, then a fresh TOTP code, or `code` when given); returns the AuthResult. */
export async function loginWith2fa(s: TollgateServer, email: string, password: string, secret: string, code?: string): Promise<any> {
  const mfaToken = await loginChallenge(s, email, password);
  const r = await verifyMfa(s, mfaToken, code ?? (await totpDevice(secret).next()));
  return expectOk(r, 'post', '/api/auth/2fa/verify', 200);
}

// ---------------------------------------------------------------------------------------- admin, db

/** Makes the user an administrator (the role is read at sign-in: log in again for a token carrying it). */
export async function makeAdmin(s: TollgateServer, userId: string): Promise<void> {
  const r = await dbQuery(s, `UPDATE users SET role = 'ADMIN' WHERE id = $1`, [userId]);
  expect(r.rowCount, `makeAdmin ${userId}`).toBe(1);
}

/** Audit actions recorded for the user (as actor or target), oldest first. */
export async function auditActions(s: TollgateServer, userId: string): Promise<string[]> {
  const r = await dbQuery(
    s,
    `SELECT action FROM audit_log WHERE actor_user_id = $1 OR (target_id = $1::text) ORDER BY id`,
    [userId],
  );
  return r.rows.map((x) => x.action as string);
}

/** Waits (≤ timeoutMs) until the audit log has `action` for the user; returns the actions. */
export async function waitAudit(s: TollgateServer, userId: string, action: string, timeoutMs = 5000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const actions = await auditActions(s, userId);
    if (actions.includes(action) || Date.now() > deadline) return actions;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Moves the user's one-time tokens of `purpose` (email_verify, password_reset, mfa_pending, email_change) into the past. */
export async function expireOneTimeTokens(s: TollgateServer, userId: string, purpose: string): Promise<number> {
  const r = await dbQuery(
    s,
    `UPDATE one_time_tokens SET created_at = now() - interval '3 days', expires_at = now() - interval '1 second'
      WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
    [userId, purpose],
  );
  return r.rowCount ?? 0;
}

/** Waits until every email_outbox row has left the queued/sending states (the job queue polls every 500 ms). */
export async function waitOutboxSettled(s: TollgateServer, timeoutMs = 20_000): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await dbQuery(s, `SELECT id, to_email, subject, status, last_error FROM email_outbox ORDER BY created_at`);
    if (r.rows.every((x) => x.status === 'sent' || x.status === 'dead') || Date.now() > deadline) return r.rows;
    await new Promise((res) => setTimeout(res, 200));
  }
}

// --------------------------------------------------------------------------------------------- mail

/** PUBLIC_URL the mail-sending test servers get: links must start with it. */
export const PUBLIC_URL = 'https://app.tollgate.test';

/** Starts an SMTP sink in beforeAll (register it BEFORE useServer) and closes it in afterAll; returns a getter. */
export function useSmtpSink(): () => SmtpSink {
  let sink: SmtpSink | undefined;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink?.close();
  });
  return () => {
    if (!sink) throw new Error('smtp sink not started');
    return sink;
  };
}

/** Env of a server that mails through `sink` with links under PUBLIC_URL (plus the high IP limit). */
export function mailEnv(sink: SmtpSink, extra: Record<string, string> = {}): Record<string, string> {
  return { ...HIGH_IP_LIMIT, SMTP_URL: sink.url, PUBLIC_URL, ...extra };
}

export const SUBJECTS = {
  verify: 'Verify your email address',
  reset: 'Reset your password',
  confirmNewEmail: 'Confirm your new email address',
  emailChanging: 'Your email address is being changed',
  passwordChanged: 'Your password was changed',
  newSignIn: 'New sign-in to your account',
} as const;
