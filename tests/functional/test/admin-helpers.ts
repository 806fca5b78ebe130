/**
 * Shared helpers of the admin API test files (admin-users, admin-organizations, admin-service-tokens,
 * admin-endpoints, admin-rate-limits, admin-access, admin-audit-log). Not a test file itself.
 *
 * Every answer is checked against api/openapi.yaml with org-helpers' ok/problem/invalid: the status must be listed
 * explicitly for the operation and the body must match its schema.
 */
import crypto from 'node:crypto';
import { expect } from 'vitest';
import type { FetchResult } from '../harness/http.js';
import type { TollgateServer } from '../harness/server.js';
import { sleep } from '../harness/env.js';
import { api, dbQuery, enableTwoFactor, loginWith2fa, makeAdmin, registerAccount } from './auth-helpers.js';
import { ok, problem } from './org-helpers.js';

export { ok, problem, invalid, fillPath, UUID_RE } from './org-helpers.js';

/** Generous /api limits (only the admin rules are under test), local billing, a PUBLIC_URL. */
export const ADMIN_ENV = {
  RATE_LIMIT_IP_MAX: '100000',
  RATE_LIMIT_USER_MAX: '100000',
  STRIPE_SECRET_KEY: '',
  PUBLIC_URL: 'https://app.tollgate.test',
};

/** Path templates of the admin API (as the spec lists them). */
export const AD = {
  users: '/api/admin/users',
  user: '/api/admin/users/{id}',
  suspend: '/api/admin/users/{id}/suspend',
  reactivate: '/api/admin/users/{id}/reactivate',
  reset2fa: '/api/admin/users/{id}/reset-2fa',
  revokeSessions: '/api/admin/users/{id}/revoke-sessions',
  role: '/api/admin/users/{id}/role',
  resendVerification: '/api/admin/users/{id}/resend-verification',
  orgs: '/api/admin/organizations',
  org: '/api/admin/organizations/{id}',
  orgSuspend: '/api/admin/organizations/{id}/suspend',
  orgReactivate: '/api/admin/organizations/{id}/reactivate',
  orgPlan: '/api/admin/organizations/{id}/plan',
  audit: '/api/admin/audit-log',
  auditExport: '/api/admin/audit-log/export',
  tokens: '/api/admin/service-tokens',
  token: '/api/admin/service-tokens/{id}',
  endpoints: '/api/admin/endpoints',
  endpoint: '/api/admin/endpoints/{id}',
  rateLimits: '/api/admin/rate-limits',
  rateLimitsReset: '/api/admin/rate-limits/reset',
} as const;

/** Fills `{id}` of a path template. */
export function at(template: string, id: string): string {
  return template.replace('{id}', encodeURIComponent(id));
}

export interface Admin {
  token: string;
  userId: string;
  email: string;
  password: string;
  totpSecret: string;
}

/** An ADMIN with two-factor authentication, signed in with password + TOTP (what the admin API requires). */
export async function adminSignIn(s: TollgateServer, tag = 'admin'): Promise<Admin> {
  const acct = await registerAccount(s, {}, tag);
  const userId = acct.result.user.id as string;
  await makeAdmin(s, userId);
  const tf = await enableTwoFactor(s, acct.result.accessToken, acct.password);
  const signedIn = await loginWith2fa(s, acct.email, acct.password, tf.secret);
  expect(signedIn.user.role).toBe('ADMIN');
  return { token: signedIn.accessToken, userId, email: acct.email, password: acct.password, totpSecret: tf.secret };
}

/** A request as `token` (JSON body when given). */
export function adminCall(s: TollgateServer, token: string | undefined, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<FetchResult> {
  return api(s, method, url, { token, body, headers });
}

/** A short unique marker for searches (lower-case letters and digits). */
export function marker(prefix = 'm'): string {
  return `${prefix}${crypto.randomBytes(5).toString('hex')}`;
}

// ------------------------------------------------------------------------------------------ audit log

/** GET /api/admin/audit-log with the query (spec-valid 200); returns the items. */
export async function auditItems(s: TollgateServer, adminToken: string, query: Record<string, string>): Promise<any[]> {
  const qs = new URLSearchParams({ limit: '200', ...query }).toString();
  const r = await api(s, 'get', `${AD.audit}?${qs}`, { token: adminToken });
  return ok(r, 'get', AD.audit, 200).items;
}

/**
 * The audit entry of an admin action on `targetId` (GET /api/admin/audit-log?targetId=…&action=…): exactly `count`
 * of them (default 1), written by `admin` with `reason`; the answer carries none of `secrets`. Returns the newest.
 */
export async function expectAdminAudit(
  s: TollgateServer,
  admin: { token: string; userId: string; email: string },
  targetId: string,
  action: string,
  reason: string | null,
  opts: { count?: number; secrets?: string[]; targetType?: string } = {},
): Promise<any> {
  const qs = new URLSearchParams({ targetId, action, limit: '200' }).toString();
  const r = await api(s, 'get', `${AD.audit}?${qs}`, { token: admin.token });
  const items = ok(r, 'get', AD.audit, 200).items as any[];
  expect(items.length, `audit rows ${action} for ${targetId}: ${JSON.stringify(items).slice(0, 800)}`).toBe(opts.count ?? 1);
  const row = items[0];
  expect(row.action).toBe(action);
  expect(row.actorType).toBe('admin');
  expect(row.actorUserId).toBe(admin.userId);
  expect(row.actorEmail).toBe(admin.email);
  expect(row.targetId).toBe(targetId);
  if (opts.targetType) expect(row.targetType).toBe(opts.targetType);
  expect(row.outcome).toBe('success');
  expect(row.reason ?? null).toBe(reason);
  expect(row.ip).toBe('127.0.0.1');
  expect(typeof row.requestId).toBe('string');
  for (const secret of opts.secrets ?? []) {
    expect(r.text.includes(secret), `the audit log must not contain the secret ${secret.slice(0, 12)}…`).toBe(false);
  }
  return row;
}

// ------------------------------------------------------------------------------------------- polling

/**
 * Polls `probe` (every `everyMs`) until it returns true or `withinMs` passed. Returns the time from `t0` (default:
 * now) to the moment the first passing probe was *sent* (an upper bound of the propagation delay), or -1.
 */
export async function sentWithin(withinMs: number, probe: () => Promise<boolean>, t0 = Date.now(), everyMs = 50): Promise<number> {
  for (;;) {
    const sentAt = Date.now() - t0;
    if (await probe()) return sentAt;
    if (Date.now() - t0 > withinMs) return -1;
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------- CSV

/** RFC 4180: quoted fields, doubled quotes, CRLF or LF line ends. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

// ------------------------------------------------------------------------------------------ database

export async function userRow(s: TollgateServer, id: string): Promise<any> {
  const r = await dbQuery(s, 'SELECT id::text, email, status, role, email_verified_at, totp_enabled_at FROM users WHERE id = $1', [id]);
  return r.rows[0];
}

export async function markVerified(s: TollgateServer, userId: string): Promise<void> {
  const r = await dbQuery(s, 'UPDATE users SET email_verified_at = now() WHERE id = $1', [userId]);
  expect(r.rowCount).toBe(1);
}

/** An error answer checked like `problem`, for any of a set of statuses/codes (e.g. a refused refresh). */
export function problemOneOf(r: FetchResult, method: string, template: string, allowed: Array<[number, string]>): any {
  const hit = allowed.find(([st, code]) => r.status === st && r.json?.code === code);
  expect(hit, `expected one of ${JSON.stringify(allowed)}, got ${r.status}: ${r.text.slice(0, 400)}`).toBeTruthy();
  return problem(r, method, template, hit![0], hit![1]);
}
