/**
 * Shared helpers of the organization test files (organizations, organization-members, organization-invitations,
 * organization-roles). Not a test file itself.
 */
import crypto from 'node:crypto';
import { expect } from 'vitest';
import type { FetchResult } from '../harness/http.js';
import { validateResponse, expectProblemShape, loadSpec } from '../harness/openapi.js';
import type { TollgateServer } from '../harness/server.js';
import { sleep } from '../harness/env.js';
import { api, dbQuery } from './auth-helpers.js';
import { newTenant, setPlan, type Tenant } from './keys-helpers.js';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Generous /api limits: only the organization rules are under test. */
export const ORG_ENV = { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_USER_MAX: '100000', STRIPE_SECRET_KEY: '' };

export const O = {
  list: '/api/organizations',
  org: '/api/organization',
  members: '/api/organization/members',
  member: '/api/organization/members/{userId}',
  leave: '/api/organization/leave',
  transfer: '/api/organization/transfer',
  invitations: '/api/organization/invitations',
  invitation: '/api/organization/invitations/{id}',
  resend: '/api/organization/invitations/{id}/resend',
  accept: '/api/invitations/accept',
} as const;

export const ROLES = ['OWNER', 'ADMIN', 'MEMBER', 'BILLING'] as const;
export type Role = (typeof ROLES)[number];

/** Fills `{id}` / `{userId}` (and any other single placeholder) of a path template. */
export function fillPath(template: string, id: string): string {
  return template.replace(/\{[A-Za-z]+\}/, encodeURIComponent(id));
}

/**
 * Any request; `org` adds X-Organization-Id. `body` (object → JSON, string → verbatim) sets
 * Content-Type: application/json unless `headers` says otherwise.
 */
export function call(
  s: TollgateServer,
  method: string,
  urlPath: string,
  opts: { token?: string; org?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<FetchResult> {
  const headers: Record<string, string> = {};
  if (opts.org !== undefined) headers['x-organization-id'] = opts.org;
  Object.assign(headers, opts.headers ?? {});
  return api(s, method, urlPath, { token: opts.token, body: opts.body, headers });
}

/** Fails unless the spec lists `status` explicitly for the operation (a `default` fallback does not count). */
export function expectDocumented(method: string, pathTemplate: string, status: number): void {
  const op = loadSpec().paths[pathTemplate]?.[method.toLowerCase()];
  expect(op, `${method.toUpperCase()} ${pathTemplate} in api/openapi.yaml`).toBeTruthy();
  const listed = Object.keys(op.responses ?? {});
  expect(
    listed.includes(String(status)),
    `${method.toUpperCase()} ${pathTemplate} answered ${status}, which api/openapi.yaml does not document (documented: ${listed.join(', ')})`,
  ).toBe(true);
}

/** A 2xx answer: the status, JSON (or no body for 204), documented and valid for the spec; returns the body. */
export function ok(r: FetchResult, method: string, pathTemplate: string, status = 200): any {
  expect(r.status, `expected ${status} from ${method.toUpperCase()} ${pathTemplate}, got ${r.status}: ${r.text.slice(0, 800)}`).toBe(status);
  expectDocumented(method, pathTemplate, status);
  if (status === 204) {
    expect(r.text).toBe('');
    validateResponse(method, pathTemplate, 204, r.contentType || null, r.text);
    return undefined;
  }
  validateResponse(method, pathTemplate, status, r.contentType, r.text);
  return r.json;
}

/** An error answer: problem+json, Problem schema, the documented response of the operation, the code, requestId. */
export function problem(r: FetchResult, method: string, pathTemplate: string, status: number, code: string): any {
  expect(r.status, `expected ${status} ${code} from ${method.toUpperCase()} ${pathTemplate}, got ${r.status}: ${r.text.slice(0, 800)}`).toBe(status);
  const body = expectProblemShape(status, r.contentType, r.text);
  expect(body.code, r.text).toBe(code);
  expect(body.requestId).toBe(r.headers.get('x-request-id'));
  expectDocumented(method, pathTemplate, status);
  validateResponse(method, pathTemplate, status, r.contentType, r.text);
  return body;
}

/** 422 VALIDATION_FAILED naming `field` in errors[]. */
export function invalid(r: FetchResult, method: string, pathTemplate: string, field: string): any {
  const body = problem(r, method, pathTemplate, 422, 'VALIDATION_FAILED');
  expect(Array.isArray(body.errors), r.text).toBe(true);
  expect(
    body.errors.some((e: { field: string }) => typeof e.field === 'string' && e.field.includes(field)),
    `errors[] should name "${field}": ${JSON.stringify(body.errors)}`,
  ).toBe(true);
  return body;
}

/** 403 ORGANIZATION_ROLE_FORBIDDEN. */
export function forbidden(r: FetchResult, method: string, pathTemplate: string): any {
  return problem(r, method, pathTemplate, 403, 'ORGANIZATION_ROLE_FORBIDDEN');
}

/** The body with its requestId removed (two "not found" answers must otherwise be identical). */
export function withoutRequestId(r: FetchResult): unknown {
  const { requestId: _ignored, ...rest } = r.json ?? {};
  return rest;
}

// ------------------------------------------------------------------------------------ organizations

export interface Team {
  id: string;
  name: string;
  owner: Tenant;
  /** Members by role (the OWNER is `owner`). */
  members: Partial<Record<Exclude<Role, 'OWNER'>, Tenant>>;
}

/** POST /api/organizations expecting 201; returns the Organization. */
export async function createOrg(s: TollgateServer, owner: Tenant, name = `Team ${crypto.randomBytes(3).toString('hex')}`): Promise<any> {
  const r = await call(s, 'post', O.list, { token: owner.token, body: { name } });
  return ok(r, 'post', O.list, 201);
}

/** The newest 'invitation' mail queued for `email` (dev transport: the payload keeps the token). */
export async function invitationMail(s: TollgateServer, email: string, minCount = 1): Promise<any> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const r = await dbQuery(
      s,
      `SELECT * FROM email_outbox WHERE lower(to_email) = lower($1) AND template = 'invitation' ORDER BY created_at, id`,
      [email],
    );
    if (r.rows.length >= minCount || Date.now() > deadline) {
      expect(r.rows.length, `at least ${minCount} invitation mail(s) to ${email}`).toBeGreaterThanOrEqual(minCount);
      return r.rows[r.rows.length - 1];
    }
    await sleep(100);
  }
}

/** All invitation mails to `email`, oldest first. */
export async function invitationMails(s: TollgateServer, email: string): Promise<any[]> {
  const r = await dbQuery(
    s,
    `SELECT * FROM email_outbox WHERE lower(to_email) = lower($1) AND template = 'invitation' ORDER BY created_at, id`,
    [email],
  );
  return r.rows;
}

/** The token of the newest invitation mail to `email`. */
export async function invitationToken(s: TollgateServer, email: string, minCount = 1): Promise<string> {
  const row = await invitationMail(s, email, minCount);
  const token = row.payload?.token;
  expect(typeof token, `payload.token of the invitation mail to ${email}: ${JSON.stringify(row.payload)}`).toBe('string');
  return token as string;
}

/** POST /api/organization/invitations expecting 201; returns the Invitation. */
export async function invite(s: TollgateServer, token: string, org: string, email: string, role?: string): Promise<any> {
  const body: Record<string, unknown> = { email };
  if (role !== undefined) body.role = role;
  return ok(await call(s, 'post', O.invitations, { token, org, body }), 'post', O.invitations, 201);
}

export function accept(s: TollgateServer, token: string | undefined, invitationTokenValue: unknown, headers: Record<string, string> = {}): Promise<FetchResult> {
  return call(s, 'post', O.accept, { token, body: { token: invitationTokenValue }, headers });
}

/** Invites `user` into `org` with `role` (by `inviterToken`) and accepts as the user; returns the Organization. */
export async function join(s: TollgateServer, inviterToken: string, org: string, user: Tenant, role: Exclude<Role, 'OWNER'>): Promise<any> {
  await invite(s, inviterToken, org, user.email, role);
  const t = await invitationToken(s, user.email);
  const joined = ok(await accept(s, user.token, t), 'post', O.accept, 200);
  expect(joined.id).toBe(org);
  expect(joined.role).toBe(role);
  return joined;
}

/**
 * Adds `user` to `org` with `role` directly in organization_members (setup shortcut, like setPlan: the
 * invitation flow itself is under test in organization-invitations.test.ts).
 */
export async function addMember(s: TollgateServer, org: string, user: Tenant, role: Exclude<Role, 'OWNER'>, invitedBy?: string): Promise<void> {
  const r = await dbQuery(
    s,
    `INSERT INTO organization_members (organization_id, user_id, role, invited_by) VALUES ($1, $2, $3, $4)`,
    [org, user.userId, role, invitedBy ?? null],
  );
  expect(r.rowCount).toBe(1);
}

/**
 * A team organization on `plan` (default business: 50 members, 100 keys) owned by a fresh user, with one fresh
 * member for each role in `roles` (added with addMember).
 */
export async function team(
  s: TollgateServer,
  tag: string,
  roles: Array<Exclude<Role, 'OWNER'>> = ['ADMIN', 'MEMBER', 'BILLING'],
  plan = 'business',
): Promise<Team> {
  const owner = await newTenant(s, `${tag}-owner`);
  const org = await createOrg(s, owner, `${tag} team`);
  await setPlan(s, org.id, plan);
  const members: Team['members'] = {};
  for (const role of roles) {
    const u = await newTenant(s, `${tag}-${role.toLowerCase()}`);
    await addMember(s, org.id, u, role, owner.userId);
    members[role] = u;
  }
  return { id: org.id, name: org.name, owner, members };
}

/** The token of the team member holding `role`. */
export function tokenOf(t: Team, role: Role): string {
  if (role === 'OWNER') return t.owner.token;
  const m = t.members[role];
  if (!m) throw new Error(`team has no ${role}`);
  return m.token;
}

export function userOf(t: Team, role: Role): Tenant {
  if (role === 'OWNER') return t.owner;
  const m = t.members[role];
  if (!m) throw new Error(`team has no ${role}`);
  return m;
}

/** organization_members rows of the organization: userId → role. */
export async function memberRoles(s: TollgateServer, orgId: string): Promise<Record<string, string>> {
  const r = await dbQuery(s, 'SELECT user_id::text AS u, role FROM organization_members WHERE organization_id = $1', [orgId]);
  return Object.fromEntries(r.rows.map((x) => [x.u, x.role]));
}

/** Audit rows of the organization with `action`, oldest first. */
export async function orgAudit(s: TollgateServer, orgId: string, action: string): Promise<any[]> {
  const r = await dbQuery(s, 'SELECT * FROM audit_log WHERE organization_id = $1 AND action = $2 ORDER BY id', [orgId, action]);
  return r.rows;
}

/** Waits (≤ 5 s) until the organization has at least one audit row with `action`; returns the rows. */
export async function waitOrgAudit(s: TollgateServer, orgId: string, action: string, count = 1): Promise<any[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const rows = await orgAudit(s, orgId, action);
    if (rows.length >= count || Date.now() > deadline) return rows;
    await sleep(100);
  }
}

/** A plan of this test only with the given member limit (max_members NULL = unlimited); returns its slug. */
export async function memberPlan(s: TollgateServer, maxMembers: number | null, maxKeys = 10): Promise<string> {
  const slug = `om-${crypto.randomBytes(5).toString('hex')}`;
  await dbQuery(
    s,
    `INSERT INTO plans (slug, name, type, included_units, quota_policy, rate_limit_per_minute, max_api_keys, max_members, is_public)
     VALUES ($1, 'Members test plan', 'SUBSCRIPTION', 1000, 'hard_cap', 1000, $2, $3, false)`,
    [slug, maxKeys, maxMembers],
  );
  return slug;
}

export function sha256Hex(s: string): string {
  return crypto.createHash('sha256').update(s, 'utf8').digest('hex');
}

/** An invoice (billing record) of the organization, inserted by SQL; returns its id. */
export async function insertInvoice(s: TollgateServer, orgId: string, total = 1900): Promise<string> {
  const number = `TG-${new Date().toISOString().slice(0, 7).replace('-', '')}-${String(crypto.randomInt(1, 999999)).padStart(6, '0')}`;
  const r = await dbQuery(
    s,
    `INSERT INTO billing_records (organization_id, source, number, status, currency, period_start, period_end,
                                  subtotal_minor, total_minor, amount_due_minor, issued_at, due_at)
     VALUES ($1, 'local', $2, 'open', 'USD', date_trunc('second', now()) - interval '30 days', date_trunc('second', now()),
             $3, $3, $3, now(), now() + interval '14 days')
     RETURNING id::text AS id`,
    [orgId, number, total],
  );
  return r.rows[0].id;
}
