/**
 * "View as customer": POST /api/admin/impersonation (admin gate, a fresh TOTP code of the administrator and a
 * reason) answers a read-only access token for the customer that expires in 15 minutes. With it, GETs show the
 * customer's own data; every write answers 403 IMPERSONATION_READ_ONLY and changes nothing (except
 * POST /api/impersonation/end); the admin API answers 403. GET /api/impersonation shows who views whom until when;
 * ending it (or the administrator signing out everywhere) stops the token at once (401 SESSION_REVOKED). Start and
 * end are audited (admin.impersonation.started / .ended). An ordinary token gets 404 NOT_IMPERSONATING.
 *
 * Every step-up consumes a TOTP time step of that administrator (no replays), so most tests use an administrator
 * of their own: registered, made ADMIN, two-factor enabled in the registration's session (which thereby proved
 * 2FA and may use the admin API), leaving the next step free for the step-up.
 */
import crypto from 'node:crypto';
import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import type { TollgateServer } from '../harness/server.js';
import type { FetchResult } from '../harness/http.js';
import { expectProblemShape, loadSpec, validateResponse } from '../harness/openapi.js';
import { totpDevice, wrongTotp } from '../harness/totp.js';
import { api, dbQuery, decodeJwt, enableTwoFactor, expectRefreshWorks, login, makeAdmin, registerAccount, registerAndLogin, suspendUser } from './auth-helpers.js';
import { KEYS, createKey } from './keys-helpers.js';
import { createOrg } from './org-helpers.js';
import { ADMIN_ENV, AD, UUID_RE, at, auditItems, expectAdminAudit, invalid, ok, problem, type Admin } from './admin-helpers.js';

const START = '/api/admin/impersonation';
const STATE = '/api/impersonation';
const END = '/api/impersonation/end';
const FIFTEEN_MIN = 15 * 60 * 1000;

interface Customer {
  userId: string;
  email: string;
  password: string;
  name: string;
  /** The customer's own access token (login session). */
  token: string;
  refreshToken: string;
  orgId: string;
  teamId: string;
  keyId: string;
}

/** An administrator whose registration session enabled 2FA (so it proved 2FA); one TOTP step used. */
async function freshAdmin(s: TollgateServer, tag: string): Promise<Admin & { recoveryCodes: string[] }> {
  const acct = await registerAccount(s, { name: `Admin ${tag}` }, tag);
  const userId = acct.result.user.id as string;
  await makeAdmin(s, userId);
  const tf = await enableTwoFactor(s, acct.result.accessToken, acct.password);
  const admin = { token: acct.result.accessToken, userId, email: acct.email, password: acct.password, totpSecret: tf.secret, recoveryCodes: tf.recoveryCodes };
  ok(await api(s, 'get', AD.users, { token: admin.token }), 'get', AD.users, 200);
  return admin;
}

/** A customer with a key in the personal organization and a team organization. */
async function customer(s: TollgateServer, tag: string): Promise<Customer> {
  const name = `Carol ${tag}`;
  const a = await registerAndLogin(s, tag, { name });
  const token = a.login.accessToken as string;
  const { key } = await createKey(s, token, { name: `${tag}-key` });
  const team = await createOrg(s, { email: a.email, password: a.password, token, userId: a.userId, orgId: a.result.organizationId }, `${tag} team`);
  return { userId: a.userId, email: a.email, password: a.password, name, token, refreshToken: a.login.refreshToken, orgId: a.result.organizationId, teamId: team.id, keyId: key.id };
}

function start(s: TollgateServer, token: string | undefined, body: unknown, headers: Record<string, string> = {}): Promise<FetchResult> {
  return api(s, 'post', START, { token, body, headers });
}

/** Starts a view of `userId` with a fresh TOTP code; expects 201 and returns the ImpersonationToken. */
async function startOk(s: TollgateServer, admin: Admin, userId: string, reason: string): Promise<any> {
  const r = await start(s, admin.token, { userId, code: await totpDevice(admin.totpSecret).next(), reason });
  return ok(r, 'post', START, 201);
}

/**
 * Every operation of the spec that writes and takes the Bearer access token, except POST /api/impersonation/end
 * (the one write a view token may make).
 */
function signedInWrites(): Array<{ method: string; path: string; hasBody: boolean }> {
  const spec = loadSpec();
  const out: Array<{ method: string; path: string; hasBody: boolean }> = [];
  for (const [path, ops] of Object.entries<any>(spec.paths)) {
    for (const [method, op] of Object.entries<any>(ops)) {
      if (!['post', 'put', 'patch', 'delete'].includes(method) || path === END) continue;
      const security = op.security ?? spec.security ?? [];
      if (!security.some((s: Record<string, unknown>) => 'bearer' in s)) continue;
      out.push({ method, path, hasBody: op.requestBody !== undefined });
    }
  }
  expect(out.length).toBeGreaterThan(40);
  return out;
}

async function impersonationRows(s: TollgateServer, adminId: string): Promise<any[]> {
  return (await dbQuery(s, 'SELECT * FROM impersonations WHERE admin_user_id = $1 ORDER BY started_at', [adminId])).rows;
}

describe('admin: view as customer (impersonation)', () => {
  const server = useServer(ADMIN_ENV);
  printLogsOnFailure();

  // ---------------------------------------------------------------------------------- start: errors

  describe('POST /api/admin/impersonation refusals', () => {
    let admin: Admin & { recoveryCodes: string[] };
    let cust: Customer;
    beforeAll(async () => {
      admin = await freshAdmin(server(), 'imp-refuse-admin');
      cust = await customer(server(), 'imp-refuse-cust');
    });

    it('401 without a token; 403 FORBIDDEN for a signed-in user who is not an administrator', async () => {
      problem(await start(server(), undefined, { userId: cust.userId, code: '123456', reason: 'x' }), 'post', START, 401, 'UNAUTHORIZED');
      problem(await start(server(), 'not-a-jwt', { userId: cust.userId, code: '123456', reason: 'x' }), 'post', START, 401, 'UNAUTHORIZED');
      const other = await registerAccount(server(), {}, 'imp-refuse-user');
      problem(await start(server(), other.result.accessToken, { userId: cust.userId, code: '123456', reason: 'support' }), 'post', START, 403, 'FORBIDDEN');
      // The customer cannot view another customer either.
      problem(await start(server(), cust.token, { userId: other.result.user.id, code: '123456', reason: 'support' }), 'post', START, 403, 'FORBIDDEN');
      expect(await dbQuery(server(), 'SELECT count(*)::int AS n FROM impersonations').then((r) => r.rows[0].n)).toBe(0);
    });

    it('422 VALIDATION_FAILED: missing or blank reason, missing / empty / too long code, missing or malformed userId, unknown field', async () => {
      const code = '123456';
      invalid(await start(server(), admin.token, { userId: cust.userId, code }), 'post', START, 'reason');
      invalid(await start(server(), admin.token, { userId: cust.userId, code, reason: '   ' }), 'post', START, 'reason');
      invalid(await start(server(), admin.token, { userId: cust.userId, code, reason: 'x'.repeat(2001) }), 'post', START, 'reason');
      invalid(await start(server(), admin.token, { userId: cust.userId, reason: 'support' }), 'post', START, 'code');
      invalid(await start(server(), admin.token, { userId: cust.userId, code: '', reason: 'support' }), 'post', START, 'code');
      invalid(await start(server(), admin.token, { userId: cust.userId, code: '1'.repeat(33), reason: 'support' }), 'post', START, 'code');
      invalid(await start(server(), admin.token, { userId: cust.userId, code: 123456, reason: 'support' }), 'post', START, 'code');
      invalid(await start(server(), admin.token, { code, reason: 'support' }), 'post', START, 'userId');
      invalid(await start(server(), admin.token, { userId: 'not-a-uuid', code, reason: 'support' }), 'post', START, 'userId');
      invalid(await start(server(), admin.token, { userId: cust.userId, code, reason: 'support', readOnly: false }), 'post', START, 'readOnly');
      problem(await start(server(), admin.token, JSON.stringify({ userId: cust.userId, code, reason: 'x' }), { 'content-type': 'text/plain' }), 'post', START, 415, 'UNSUPPORTED_MEDIA_TYPE');
      problem(await start(server(), admin.token, '{"userId":'), 'post', START, 400, 'MALFORMED_JSON');
      expect(await impersonationRows(server(), admin.userId)).toEqual([]);
    });

    it('400 INVALID_MFA_CODE for a wrong TOTP code and for a recovery code (step-up takes TOTP only); audited as auth.2fa.failed', async () => {
      const wrong = await start(server(), admin.token, { userId: cust.userId, code: wrongTotp(admin.totpSecret), reason: 'support ticket 1' });
      problem(wrong, 'post', START, 400, 'INVALID_MFA_CODE');
      const recovery = await start(server(), admin.token, { userId: cust.userId, code: admin.recoveryCodes[0], reason: 'support ticket 1' });
      problem(recovery, 'post', START, 400, 'INVALID_MFA_CODE');
      expect(await impersonationRows(server(), admin.userId)).toEqual([]);
      const failed = await dbQuery(server(), `SELECT count(*)::int AS n FROM audit_log WHERE actor_user_id = $1 AND action = 'auth.2fa.failed'`, [admin.userId]);
      expect(failed.rows[0].n).toBe(2);
      // The recovery code was not spent.
      const rc = await dbQuery(server(), `SELECT count(*)::int AS n FROM audit_log WHERE actor_user_id = $1 AND action = 'auth.2fa.recovery_code_used'`, [admin.userId]);
      expect(rc.rows[0].n).toBe(0);
    });

    it('409 ADMIN_SELF_ACTION for oneself (before any code is checked)', async () => {
      const r = await start(server(), admin.token, { userId: admin.userId.toUpperCase(), code: '000000', reason: 'curious' });
      problem(r, 'post', START, 409, 'ADMIN_SELF_ACTION');
      expect(await impersonationRows(server(), admin.userId)).toEqual([]);
    });

    it('409 IMPERSONATION_NOT_ALLOWED for another administrator', async () => {
      const a = await freshAdmin(server(), 'imp-409-admin');
      const target = await freshAdmin(server(), 'imp-409-target');
      const r = await start(server(), a.token, { userId: target.userId, code: await totpDevice(a.totpSecret).next(), reason: 'look at admin' });
      problem(r, 'post', START, 409, 'IMPERSONATION_NOT_ALLOWED');
      expect(await impersonationRows(server(), a.userId)).toEqual([]);
    });

    it('409 USER_NOT_ACTIVE for a suspended customer', async () => {
      const a = await freshAdmin(server(), 'imp-susp-admin');
      const c = await customer(server(), 'imp-susp-cust');
      await suspendUser(server(), c.email);
      const r = await start(server(), a.token, { userId: c.userId, code: await totpDevice(a.totpSecret).next(), reason: 'suspended one' });
      problem(r, 'post', START, 409, 'USER_NOT_ACTIVE');
      expect(await impersonationRows(server(), a.userId)).toEqual([]);
    });

    it('404 USER_NOT_FOUND for an unknown user (and a deleted one)', async () => {
      const a = await freshAdmin(server(), 'imp-404-admin');
      const r = await start(server(), a.token, { userId: crypto.randomUUID(), code: await totpDevice(a.totpSecret).next(), reason: 'ghost' });
      problem(r, 'post', START, 404, 'USER_NOT_FOUND');
      const b = await freshAdmin(server(), 'imp-404-admin2');
      const gone = await customer(server(), 'imp-404-deleted');
      await dbQuery(server(), `UPDATE users SET status = 'deleted', deleted_at = now() WHERE id = $1`, [gone.userId]);
      const r2 = await start(server(), b.token, { userId: gone.userId, code: await totpDevice(b.totpSecret).next(), reason: 'ghost' });
      problem(r2, 'post', START, 404, 'USER_NOT_FOUND');
      expect(await impersonationRows(server(), a.userId)).toEqual([]);
      expect(await impersonationRows(server(), b.userId)).toEqual([]);
    });

    it('403 ADMIN_2FA_REQUIRED for an administrator whose session did not prove two-factor', async () => {
      const acct = await registerAndLogin(server(), 'imp-no2fa-admin');
      await makeAdmin(server(), acct.userId);
      const tf = await enableTwoFactor(server(), acct.result.accessToken, acct.password);
      // The login session predates the enrolment.
      const r = await start(server(), acct.login.accessToken, { userId: cust.userId, code: await totpDevice(tf.secret).next(), reason: 'support' });
      problem(r, 'post', START, 403, 'ADMIN_2FA_REQUIRED');
      expect(await impersonationRows(server(), acct.userId)).toEqual([]);
    });
  });

  // ---------------------------------------------------------------------------------- the view

  describe('with the view-as-customer token', () => {
    let admin: Admin;
    let cust: Customer;
    let imp: any;
    let startedAt: number;
    const reason = `Ticket #${crypto.randomInt(1000, 9999)}: customer cannot see their key`;

    beforeAll(async () => {
      admin = await freshAdmin(server(), 'imp-view-admin');
      cust = await customer(server(), 'imp-view-cust');
      startedAt = Date.now();
      imp = await startOk(server(), admin, cust.userId, reason);
    });

    it('201: a Bearer token for the customer, 900 s, expiresAt in ~15 minutes, the customer shown; one impersonations row; audited with the reason', async () => {
      expect(imp.tokenType).toBe('Bearer');
      expect(imp.expiresIn).toBe(900);
      expect(imp.impersonationId).toMatch(UUID_RE);
      expect(imp.user).toEqual({ id: cust.userId, email: cust.email, name: cust.name });
      const exp = Date.parse(imp.expiresAt);
      expect(exp - startedAt).toBeGreaterThan(FIFTEEN_MIN - 10_000);
      expect(exp - startedAt).toBeLessThan(FIFTEEN_MIN + 10_000);
      const claims = decodeJwt(imp.accessToken).payload;
      expect(claims.sub).toBe(cust.userId);
      expect(claims.exp * 1000 - startedAt).toBeLessThan(FIFTEEN_MIN + 10_000);
      const rows = await impersonationRows(server(), admin.userId);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: imp.impersonationId, user_id: cust.userId, reason, ended_at: null });
      const audit = await expectAdminAudit(server(), admin, cust.userId, 'admin.impersonation.started', reason, { targetType: 'user', secrets: [imp.accessToken] });
      expect(audit.metadata ?? {}).toMatchObject({ impersonationId: imp.impersonationId });
    });

    it('GET /api/impersonation: admin, user, reason, startedAt and expiresAt (~15 min)', async () => {
      const r = await api(server(), 'get', STATE, { token: imp.accessToken });
      const b = ok(r, 'get', STATE, 200);
      expect(b).toMatchObject({
        impersonationId: imp.impersonationId,
        admin: { id: admin.userId, email: admin.email },
        user: { id: cust.userId, email: cust.email, name: cust.name },
        reason,
      });
      expect(Math.abs(Date.parse(b.startedAt) - startedAt)).toBeLessThan(10_000);
      expect(Date.parse(b.expiresAt) - Date.parse(b.startedAt)).toBeGreaterThanOrEqual(FIFTEEN_MIN - 1000);
      expect(Date.parse(b.expiresAt) - Date.parse(b.startedAt)).toBeLessThanOrEqual(FIFTEEN_MIN + 1000);
    });

    it('reads work as the customer: their API keys, their organizations, their profile', async () => {
      const keys = ok(await api(server(), 'get', KEYS, { token: imp.accessToken }), 'get', KEYS, 200);
      const own = ok(await api(server(), 'get', KEYS, { token: cust.token }), 'get', KEYS, 200);
      expect(keys.keys.map((k: any) => k.id)).toEqual([cust.keyId]);
      expect(keys).toEqual(own);
      const orgs = ok(await api(server(), 'get', '/api/organizations', { token: imp.accessToken }), 'get', '/api/organizations', 200);
      expect(orgs.organizations.map((o: any) => o.id).sort()).toEqual([cust.orgId, cust.teamId].sort());
      expect(orgs).toEqual(ok(await api(server(), 'get', '/api/organizations', { token: cust.token }), 'get', '/api/organizations', 200));
      // A team organization's keys through X-Organization-Id, as the customer would.
      const teamKeys = ok(await api(server(), 'get', KEYS, { token: imp.accessToken, headers: { 'x-organization-id': cust.teamId } }), 'get', KEYS, 200);
      expect(teamKeys.keys).toEqual([]);
      const profile = ok(await api(server(), 'get', '/api/user/profile', { token: imp.accessToken }), 'get', '/api/user/profile', 200);
      expect(profile).toMatchObject({ id: cust.userId, email: cust.email, name: cust.name });
    });

    it('every write answers 403 IMPERSONATION_READ_ONLY and changes nothing', async () => {
      const t = imp.accessToken;
      const before = {
        keys: (await dbQuery(server(), 'SELECT count(*)::int AS n FROM api_keys WHERE organization_id = $1', [cust.orgId])).rows[0].n,
        orgs: (await dbQuery(server(), 'SELECT count(*)::int AS n FROM organizations WHERE owner_user_id = $1', [cust.userId])).rows[0].n,
      };
      // The writes a customer would make, with real bodies.
      const writes: Array<[string, string, string, unknown?]> = [
        ['post', KEYS, KEYS, { name: 'sneaky' }],
        ['delete', `${KEYS}/${cust.keyId}`, '/api/user/api-keys/{id}'],
        ['patch', `${KEYS}/${cust.keyId}`, '/api/user/api-keys/{id}', { name: 'renamed' }],
        ['post', `${KEYS}/${cust.keyId}/rotate`, '/api/user/api-keys/{id}/rotate', {}],
        ['patch', '/api/user/profile', '/api/user/profile', { name: 'Hijacked' }],
        ['post', '/api/user/password', '/api/user/password', { currentPassword: cust.password, newPassword: 'Another-strong-pass-42!' }],
        ['post', '/api/auth/logout-all', '/api/auth/logout-all'],
        ['post', '/api/organizations', '/api/organizations', { name: 'Impersonated Inc' }],
        ['post', '/api/notifications/read-all', '/api/notifications/read-all'],
        ['patch', '/api/user/notification-preferences', '/api/user/notification-preferences', { email: { quota_80: false } }],
      ];
      for (const [method, url, template, body] of writes) {
        const r = await api(server(), method, url, { token: t, body });
        expect(r.status, `${method.toUpperCase()} ${url} under impersonation: ${r.text.slice(0, 300)}`).toBe(403);
        const p = expectProblemShape(403, r.contentType, r.text);
        expect(p.code, `${method.toUpperCase()} ${url}`).toBe('IMPERSONATION_READ_ONLY');
        expect(p.requestId).toBe(r.headers.get('x-request-id'));
        validateResponse(method, template, 403, r.contentType, r.text);
      }

      const key = (await dbQuery(server(), 'SELECT status, name FROM api_keys WHERE id = $1', [cust.keyId])).rows[0];
      expect(key).toEqual({ status: 'active', name: 'imp-view-cust-key' });
      const user = (await dbQuery(server(), 'SELECT name, notification_prefs FROM users WHERE id = $1', [cust.userId])).rows[0];
      expect(user.name).toBe(cust.name);
      expect(user.notification_prefs).toEqual({});
      expect((await dbQuery(server(), 'SELECT count(*)::int AS n FROM api_keys WHERE organization_id = $1', [cust.orgId])).rows[0].n).toBe(before.keys);
      expect((await dbQuery(server(), 'SELECT count(*)::int AS n FROM organizations WHERE owner_user_id = $1', [cust.userId])).rows[0].n).toBe(before.orgs);
      // The customer's own sessions survived the refused logout-all; the password still works.
      ok(await api(server(), 'get', KEYS, { token: cust.token }), 'get', KEYS, 200);
      const refreshed = await expectRefreshWorks(server(), cust.refreshToken, 'after a refused logout-all under impersonation');
      cust.token = refreshed.accessToken;
      cust.refreshToken = refreshed.refreshToken;
      expect((await login(server(), cust.email, cust.password)).status).toBe(200);
      // The view itself is still alive.
      ok(await api(server(), 'get', STATE, { token: t }), 'get', STATE, 200);
    });

    it('every signed-in write of the spec answers 403 IMPERSONATION_READ_ONLY to the view token (sweep with {} bodies)', async () => {
      const t = imp.accessToken;
      const wrong: string[] = [];
      for (const op of signedInWrites()) {
        const url = op.path.replace(/\{[A-Za-z]+\}/g, () => crypto.randomUUID());
        const r = await api(server(), op.method, url, { token: t, body: op.hasBody ? {} : undefined });
        if (r.status !== 403 || r.json?.code !== 'IMPERSONATION_READ_ONLY') wrong.push(`${op.method.toUpperCase()} ${op.path} → ${r.status} ${r.json?.code ?? r.text.slice(0, 80)}`);
      }
      expect(wrong, 'writes not refused as read-only').toEqual([]);
      // Nothing of the customer changed (the key, the name), and the view is alive.
      expect((await dbQuery(server(), 'SELECT status FROM api_keys WHERE id = $1', [cust.keyId])).rows[0].status).toBe('active');
      expect((await dbQuery(server(), 'SELECT name, status FROM users WHERE id = $1', [cust.userId])).rows[0]).toEqual({ name: cust.name, status: 'active' });
      ok(await api(server(), 'get', STATE, { token: t }), 'get', STATE, 200);
    });

    it('api/openapi.yaml documents the 403 (IMPERSONATION_READ_ONLY) on every signed-in write', () => {
      const spec = loadSpec();
      const undocumented = signedInWrites()
        .filter((op) => !Object.keys(spec.paths[op.path][op.method].responses ?? {}).includes('403'))
        .map((op) => `${op.method.toUpperCase()} ${op.path}`);
      expect(undocumented, 'operations that answer 403 IMPERSONATION_READ_ONLY to a view token but do not list 403').toEqual([]);
    });

    it('the admin API answers 403 to the view token (reads FORBIDDEN, writes IMPERSONATION_READ_ONLY)', async () => {
      const t = imp.accessToken;
      problem(await api(server(), 'get', AD.users, { token: t }), 'get', AD.users, 403, 'FORBIDDEN');
      problem(await api(server(), 'get', AD.audit, { token: t }), 'get', AD.audit, 403, 'FORBIDDEN');
      const other = await registerAccount(server(), {}, 'imp-view-victim');
      const susp = await api(server(), 'post', at(AD.suspend, other.result.user.id), { token: t, body: { reason: 'via view' } });
      problem(susp, 'post', AD.suspend, 403, 'IMPERSONATION_READ_ONLY');
      // Starting a nested view with the view token.
      const nested = await start(server(), t, { userId: other.result.user.id, code: '123456', reason: 'nested' });
      problem(nested, 'post', START, 403, 'IMPERSONATION_READ_ONLY');
      expect((await dbQuery(server(), 'SELECT status FROM users WHERE id = $1', [other.result.user.id])).rows[0].status).toBe('active');
    });
  });

  // ------------------------------------------------------------------------------------- ending

  let endedCase: { admin: Admin; userId: string; reason: string } | undefined;

  it('POST /api/impersonation/end → 204; the token then answers 401 SESSION_REVOKED; audited as admin.impersonation.ended', async () => {
    const admin = await freshAdmin(server(), 'imp-end-admin');
    const cust = await customer(server(), 'imp-end-cust');
    const reason = 'Checking the invoice view for a ticket';
    const imp = await startOk(server(), admin, cust.userId, reason);
    ok(await api(server(), 'get', KEYS, { token: imp.accessToken }), 'get', KEYS, 200);

    ok(await api(server(), 'post', END, { token: imp.accessToken }), 'post', END, 204);
    problem(await api(server(), 'get', KEYS, { token: imp.accessToken }), 'get', KEYS, 401, 'SESSION_REVOKED');
    problem(await api(server(), 'get', STATE, { token: imp.accessToken }), 'get', STATE, 401, 'SESSION_REVOKED');
    problem(await api(server(), 'get', '/api/organizations', { token: imp.accessToken }), 'get', '/api/organizations', 401, 'SESSION_REVOKED');
    problem(await api(server(), 'post', END, { token: imp.accessToken }), 'post', END, 401, 'SESSION_REVOKED');

    const rows = await impersonationRows(server(), admin.userId);
    expect(rows).toHaveLength(1);
    expect(rows[0].ended_at).not.toBeNull();
    // Neither the administrator nor the customer was signed out.
    ok(await api(server(), 'get', AD.users, { token: admin.token }), 'get', AD.users, 200);
    ok(await api(server(), 'get', KEYS, { token: cust.token }), 'get', KEYS, 200);

    await expectAdminAudit(server(), admin, cust.userId, 'admin.impersonation.started', reason, { targetType: 'user' });
    const ended = await auditItems(server(), admin.token, { targetId: cust.userId, action: 'admin.impersonation.ended' });
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ action: 'admin.impersonation.ended', actorType: 'admin', actorUserId: admin.userId, actorEmail: admin.email, targetType: 'user', targetId: cust.userId, outcome: 'success', ip: '127.0.0.1' });
    expect(ended[0].metadata ?? {}).toMatchObject({ impersonationId: imp.impersonationId });
    endedCase = { admin, userId: cust.userId, reason };
  });

  it('after the end, writes with the dead view token answer 401 SESSION_REVOKED too (not 403 read-only)', async () => {
    const admin = await freshAdmin(server(), 'imp-dead-admin');
    const cust = await customer(server(), 'imp-dead-cust');
    const imp = await startOk(server(), admin, cust.userId, 'Short look');
    ok(await api(server(), 'post', END, { token: imp.accessToken }), 'post', END, 204);
    problem(await api(server(), 'get', KEYS, { token: imp.accessToken }), 'get', KEYS, 401, 'SESSION_REVOKED');
    problem(await api(server(), 'post', KEYS, { token: imp.accessToken, body: { name: 'late' } }), 'post', KEYS, 401, 'SESSION_REVOKED');
  });

  it('the admin.impersonation.ended audit row carries the reason the view was started with', async () => {
    expect(endedCase, 'the previous test ended a view').toBeDefined();
    const { admin, userId, reason } = endedCase!;
    await expectAdminAudit(server(), admin, userId, 'admin.impersonation.ended', reason, { targetType: 'user' });
  });

  it('the administrator signing out everywhere stops the view token at once (401 SESSION_REVOKED)', async () => {
    const admin = await freshAdmin(server(), 'imp-logout-admin');
    const cust = await customer(server(), 'imp-logout-cust');
    const imp = await startOk(server(), admin, cust.userId, 'Reproducing a dashboard bug');
    ok(await api(server(), 'get', KEYS, { token: imp.accessToken }), 'get', KEYS, 200);
    ok(await api(server(), 'post', '/api/auth/logout-all', { token: admin.token }), 'post', '/api/auth/logout-all', 204);
    problem(await api(server(), 'get', KEYS, { token: imp.accessToken }), 'get', KEYS, 401, 'SESSION_REVOKED');
    problem(await api(server(), 'get', STATE, { token: imp.accessToken }), 'get', STATE, 401, 'SESSION_REVOKED');
    // The customer is not affected.
    ok(await api(server(), 'get', KEYS, { token: cust.token }), 'get', KEYS, 200);
  });

  it('another administrator revoking the viewing administrator\'s sessions stops the view token at once too', async () => {
    const admin = await freshAdmin(server(), 'imp-susp-viewer');
    const boss = await freshAdmin(server(), 'imp-susp-boss');
    const cust = await customer(server(), 'imp-susp-viewcust');
    const imp = await startOk(server(), admin, cust.userId, 'Routine check');
    ok(await api(server(), 'get', KEYS, { token: imp.accessToken }), 'get', KEYS, 200);
    ok(await api(server(), 'post', at(AD.revokeSessions, admin.userId), { token: boss.token, body: { reason: 'Lost laptop' } }), 'post', AD.revokeSessions, 200);
    problem(await api(server(), 'get', KEYS, { token: imp.accessToken }), 'get', KEYS, 401, 'SESSION_REVOKED');
  });

  it('404 NOT_IMPERSONATING with an ordinary token on both impersonation routes; 401 without a token', async () => {
    const u = await registerAccount(server(), {}, 'imp-ordinary');
    problem(await api(server(), 'get', STATE, { token: u.result.accessToken }), 'get', STATE, 404, 'NOT_IMPERSONATING');
    problem(await api(server(), 'post', END, { token: u.result.accessToken }), 'post', END, 404, 'NOT_IMPERSONATING');
    const admin = await freshAdmin(server(), 'imp-ordinary-admin');
    problem(await api(server(), 'get', STATE, { token: admin.token }), 'get', STATE, 404, 'NOT_IMPERSONATING');
    problem(await api(server(), 'post', END, { token: admin.token }), 'post', END, 404, 'NOT_IMPERSONATING');
    problem(await api(server(), 'get', STATE), 'get', STATE, 401, 'UNAUTHORIZED');
    problem(await api(server(), 'post', END), 'post', END, 401, 'UNAUTHORIZED');
    // Still signed in afterwards.
    ok(await api(server(), 'get', '/api/user/profile', { token: u.result.accessToken }), 'get', '/api/user/profile', 200);
  });
});
