/**
 * Who may use /api/admin/*: a sample of the admin routes answers 401 without a valid token, 403 FORBIDDEN to a
 * signed-in user who is not an administrator, 403 ADMIN_2FA_REQUIRED to an administrator without two-factor
 * authentication, 401 SESSION_REVOKED to a suspended administrator — and nothing changes. ADMIN_IP_ALLOWLIST (a
 * comma list of CIDRs, matched against the client address after TRUSTED_PROXIES) refuses other addresses with
 * 403 ADMIN_IP_FORBIDDEN, even for a valid administrator. Two-factor must have been proved in the session itself:
 * a session signed in before enrolment answers 403 ADMIN_2FA_REQUIRED, while the session that enabled it and a
 * fresh password + TOTP sign-in are allowed.
 */
import crypto from 'node:crypto';
import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import type { TollgateServer } from '../harness/server.js';
import type { FetchResult } from '../harness/http.js';
import { api, dbQuery, enableTwoFactor, expectRefreshWorks, loginOk, loginWith2fa, makeAdmin, registerAccount, registerAndLogin } from './auth-helpers.js';
import { ADMIN_ENV, AD, adminSignIn, at, ok, problem, type Admin } from './admin-helpers.js';

interface Route {
  method: string;
  template: string;
  url: (t: Targets) => string;
  body?: (t: Targets) => unknown;
  /** 2xx status an allowed administrator gets (checked on the allowlisted servers). */
  okStatus?: number;
}

interface Targets {
  userId: string;
  orgId: string;
}

const ROUTES: Route[] = [
  { method: 'get', template: AD.users, url: () => AD.users, okStatus: 200 },
  { method: 'get', template: AD.user, url: (t) => at(AD.user, t.userId), okStatus: 200 },
  { method: 'post', template: AD.suspend, url: (t) => at(AD.suspend, t.userId), body: () => ({ reason: 'access test' }) },
  { method: 'patch', template: AD.role, url: (t) => at(AD.role, t.userId), body: () => ({ role: 'ADMIN', reason: 'access test' }) },
  { method: 'delete', template: AD.user, url: (t) => at(AD.user, t.userId), body: () => ({ reason: 'access test' }) },
  { method: 'post', template: AD.revokeSessions, url: (t) => at(AD.revokeSessions, t.userId), body: () => ({ reason: 'access test' }) },
  { method: 'get', template: AD.orgs, url: () => AD.orgs, okStatus: 200 },
  { method: 'get', template: AD.org, url: (t) => at(AD.org, t.orgId), okStatus: 200 },
  { method: 'post', template: AD.orgPlan, url: (t) => at(AD.orgPlan, t.orgId), body: () => ({ plan: 'business', reason: 'access test' }) },
  { method: 'get', template: AD.audit, url: () => AD.audit, okStatus: 200 },
  { method: 'get', template: AD.auditExport, url: () => AD.auditExport },
  { method: 'get', template: AD.tokens, url: () => AD.tokens, okStatus: 200 },
  { method: 'post', template: AD.tokens, url: () => AD.tokens, body: () => ({ name: 'access test' }) },
  { method: 'delete', template: AD.token, url: () => at(AD.token, crypto.randomUUID()) },
  { method: 'get', template: AD.endpoints, url: () => AD.endpoints, okStatus: 200 },
  { method: 'post', template: AD.endpoints, url: () => AD.endpoints, body: () => ({ pathPattern: '/access-test/*', upstreamUrl: 'internal://echo' }) },
  { method: 'delete', template: AD.endpoint, url: () => at(AD.endpoint, crypto.randomUUID()) },
  { method: 'get', template: AD.rateLimits, url: () => `${AD.rateLimits}?kind=ip&id=127.0.0.1`, okStatus: 200 },
  { method: 'post', template: AD.rateLimitsReset, url: () => AD.rateLimitsReset, body: () => ({ kind: 'ip', id: '127.0.0.1', reason: 'access test' }) },
];

function send(s: TollgateServer, route: Route, t: Targets, token?: string, headers: Record<string, string> = {}): Promise<FetchResult> {
  return api(s, route.method, route.url(t), { token, body: route.body?.(t), headers });
}

/** Every sample route answers `status`/`code` for `token`. */
async function expectAll(s: TollgateServer, t: Targets, token: string | undefined, status: number, code: string, headers: Record<string, string> = {}): Promise<void> {
  for (const route of ROUTES) {
    const r = await send(s, route, t, token, headers);
    expect(r.status, `${route.method.toUpperCase()} ${route.url(t)} → expected ${status} ${code}, got ${r.status}: ${r.text.slice(0, 300)}`).toBe(status);
    problem(r, route.method, route.template, status, code);
  }
}

/** The sample's side effects did not happen: the target user is untouched, no token or endpoint was created. */
async function expectNothingChanged(s: TollgateServer, t: Targets): Promise<void> {
  const u = await dbQuery(s, 'SELECT status, role FROM users WHERE id = $1', [t.userId]);
  expect(u.rows[0]).toEqual({ status: 'active', role: 'USER' });
  const sub = await dbQuery(s, `SELECT count(*)::int AS n FROM subscriptions WHERE organization_id = $1`, [t.orgId]);
  expect(sub.rows[0].n).toBe(0);
  const tokens = await dbQuery(s, `SELECT count(*)::int AS n FROM service_tokens WHERE name = 'access test'`);
  expect(tokens.rows[0].n).toBe(0);
  const eps = await dbQuery(s, `SELECT count(*)::int AS n FROM api_endpoints WHERE path_pattern = '/access-test/*'`);
  expect(eps.rows[0].n).toBe(0);
  const audit = await dbQuery(s, `SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'admin.%'`);
  expect(audit.rows[0].n).toBe(0);
}

async function targetsOn(s: TollgateServer): Promise<Targets> {
  const victim = await registerAccount(s, {}, 'access-target');
  return { userId: victim.result.user.id, orgId: victim.result.organizationId };
}

/** The read-only sample routes answer their 2xx for `admin`. */
async function expectAllowed(s: TollgateServer, t: Targets, admin: Admin, headers: Record<string, string> = {}): Promise<void> {
  for (const route of ROUTES.filter((x) => x.okStatus)) {
    const r = await send(s, route, t, admin.token, headers);
    ok(r, route.method, route.template, route.okStatus!);
  }
}

describe('admin access: who may call /api/admin/*', () => {
  const server = useServer(ADMIN_ENV);
  printLogsOnFailure();

  let targets: Targets;
  let userToken: string;
  let no2faToken: string;
  let admin: Admin;

  beforeAll(async () => {
    targets = await targetsOn(server());
    userToken = (await registerAccount(server(), {}, 'access-user')).result.accessToken;
    const n = await registerAccount(server(), {}, 'access-admin-no2fa');
    await makeAdmin(server(), n.result.user.id);
    const signedIn = await loginOk(server(), n.email, n.password);
    expect(signedIn.user.role).toBe('ADMIN');
    no2faToken = signedIn.accessToken;
  });

  it('401 UNAUTHORIZED: no token, or a token that is not one', async () => {
    await expectAll(server(), targets, undefined, 401, 'UNAUTHORIZED');
    await expectAll(server(), targets, 'not-a-jwt', 401, 'UNAUTHORIZED');
    await expectNothingChanged(server(), targets);
  });

  it('403 FORBIDDEN: a signed-in user who is not an administrator', async () => {
    await expectAll(server(), targets, userToken, 403, 'FORBIDDEN');
    await expectNothingChanged(server(), targets);
  });

  it('403 ADMIN_2FA_REQUIRED: an administrator without two-factor authentication', async () => {
    await expectAll(server(), targets, no2faToken, 403, 'ADMIN_2FA_REQUIRED');
    await expectNothingChanged(server(), targets);
  });

  it('200 for an administrator with two-factor authentication (the same routes)', async () => {
    admin = await adminSignIn(server(), 'access-admin');
    await expectAllowed(server(), targets, admin);
  });

  it('401 SESSION_REVOKED: an administrator suspended by another one is stopped at once', async () => {
    const other = await adminSignIn(server(), 'access-admin-2');
    ok(await api(server(), 'get', AD.users, { token: other.token }), 'get', AD.users, 200);
    ok(await api(server(), 'post', at(AD.suspend, other.userId), { token: admin.token, body: { reason: 'Compromised laptop' } }), 'post', AD.suspend, 200);
    for (const route of ROUTES) {
      const r = await send(server(), route, targets, other.token);
      problem(r, route.method, route.template, 401, 'SESSION_REVOKED');
    }
  });

  it('403 FORBIDDEN: an administrator demoted to USER loses the admin API at once (same token)', async () => {
    const other = await adminSignIn(server(), 'access-admin-3');
    ok(await api(server(), 'get', AD.users, { token: other.token }), 'get', AD.users, 200);
    ok(await api(server(), 'patch', at(AD.role, other.userId), { token: admin.token, body: { role: 'USER', reason: 'Left the team' } }), 'patch', AD.role, 200);
    problem(await api(server(), 'get', AD.users, { token: other.token }), 'get', AD.users, 403, 'FORBIDDEN');
  });

  it('403 ADMIN_2FA_REQUIRED: a session signed in BEFORE two-factor was enabled; 200 for the session that enabled it and for a TOTP sign-in', async () => {
    // Two sessions: the registration's (S1) and a password sign-in (S2), both before enrolment.
    const acct = await registerAndLogin(server(), 'access-admin-presession');
    await makeAdmin(server(), acct.userId);
    const s1 = acct.result.accessToken as string;
    const s2 = acct.login.accessToken as string;
    problem(await api(server(), 'get', AD.users, { token: s2 }), 'get', AD.users, 403, 'ADMIN_2FA_REQUIRED');

    // Two-factor is enabled in S1: S1 proved the second factor, S2 did not.
    const tf = await enableTwoFactor(server(), s1, acct.password);
    await expectAll(server(), targets, s2, 403, 'ADMIN_2FA_REQUIRED');
    // Refreshing S2 keeps it the same session: still refused.
    const s2b = await expectRefreshWorks(server(), acct.login.refreshToken, 'S2 after enrolment');
    problem(await api(server(), 'get', AD.users, { token: s2b.accessToken }), 'get', AD.users, 403, 'ADMIN_2FA_REQUIRED');

    const asAdmin = (token: string): Admin => ({ token, userId: acct.userId, email: acct.email, password: acct.password, totpSecret: tf.secret });
    await expectAllowed(server(), targets, asAdmin(s1));
    // S1 refreshed stays verified.
    const s1b = await expectRefreshWorks(server(), acct.result.refreshToken, 'S1 after enrolment');
    ok(await api(server(), 'get', AD.users, { token: s1b.accessToken }), 'get', AD.users, 200);

    // A fresh sign-in with password + TOTP code: allowed.
    const fresh = await loginWith2fa(server(), acct.email, acct.password, tf.secret);
    await expectAllowed(server(), targets, asAdmin(fresh.accessToken));
    // …and it does not upgrade the old session S2.
    problem(await api(server(), 'get', AD.users, { token: s2b.accessToken }), 'get', AD.users, 403, 'ADMIN_2FA_REQUIRED');

    // The refused writes of the sample changed nothing.
    const u = await dbQuery(server(), 'SELECT status, role FROM users WHERE id = $1', [targets.userId]);
    expect(u.rows[0]).toEqual({ status: 'active', role: 'USER' });
    const tokens = await dbQuery(server(), `SELECT count(*)::int AS n FROM service_tokens WHERE name = 'access test'`);
    expect(tokens.rows[0].n).toBe(0);
  });

  it('an administrator with two-factor gets an MFA challenge on a password sign-in: no password-only session to use the admin API with', async () => {
    const admin2 = await adminSignIn(server(), 'access-admin-mfa-login');
    const r = await api(server(), 'post', '/api/auth/login', { body: { email: admin2.email, password: admin2.password } });
    expect(r.status, r.text).toBe(200);
    expect(r.json.mfaRequired).toBe(true);
    expect(r.json).not.toHaveProperty('accessToken');
  });
});

describe('ADMIN_IP_ALLOWLIST=10.0.0.0/8: a client at 127.0.0.1 is refused', () => {
  const server = useServer({ ...ADMIN_ENV, ADMIN_IP_ALLOWLIST: '10.0.0.0/8' });
  printLogsOnFailure();

  let targets: Targets;
  let admin: Admin;

  beforeAll(async () => {
    targets = await targetsOn(server());
    admin = await adminSignIn(server(), 'allow-10-admin');
  });

  it('403 ADMIN_IP_FORBIDDEN for a valid administrator with two-factor; nothing changes', async () => {
    await expectAll(server(), targets, admin.token, 403, 'ADMIN_IP_FORBIDDEN');
    await expectNothingChanged(server(), targets);
  });

  it('403 ADMIN_IP_FORBIDDEN: a forged X-Forwarded-For (no TRUSTED_PROXIES) does not help', async () => {
    await expectAll(server(), targets, admin.token, 403, 'ADMIN_IP_FORBIDDEN', { 'x-forwarded-for': '10.1.2.3', 'x-real-ip': '10.1.2.3' });
    await expectNothingChanged(server(), targets);
  });

  it('403 ADMIN_IP_FORBIDDEN before anything else: anonymous callers and non-admins get it too', async () => {
    problem(await api(server(), 'get', AD.users), 'get', AD.users, 403, 'ADMIN_IP_FORBIDDEN');
    const u = await registerAccount(server(), {}, 'allow-10-user');
    problem(await api(server(), 'get', AD.users, { token: u.result.accessToken }), 'get', AD.users, 403, 'ADMIN_IP_FORBIDDEN');
  });

  it('the rest of /api is not affected', async () => {
    ok(await api(server(), 'get', '/api/user/profile', { token: admin.token }), 'get', '/api/user/profile', 200);
  });
});

describe('ADMIN_IP_ALLOWLIST=127.0.0.1/32: the administrator at 127.0.0.1 is allowed', () => {
  const server = useServer({ ...ADMIN_ENV, ADMIN_IP_ALLOWLIST: '127.0.0.1/32' });
  printLogsOnFailure();

  it('200 for an administrator with two-factor; the other rules still apply', async () => {
    const targets = await targetsOn(server());
    const admin = await adminSignIn(server(), 'allow-127-admin');
    await expectAllowed(server(), targets, admin);
    const u = await registerAccount(server(), {}, 'allow-127-user');
    problem(await api(server(), 'get', AD.users, { token: u.result.accessToken }), 'get', AD.users, 403, 'FORBIDDEN');
    problem(await api(server(), 'get', AD.users), 'get', AD.users, 401, 'UNAUTHORIZED');
  });
});

describe('ADMIN_IP_ALLOWLIST as a comma list (spaces allowed)', () => {
  const server = useServer({ ...ADMIN_ENV, ADMIN_IP_ALLOWLIST: '192.168.0.0/16, 127.0.0.0/8' });
  printLogsOnFailure();

  it('200 when any entry matches', async () => {
    const targets = await targetsOn(server());
    const admin = await adminSignIn(server(), 'allow-list-admin');
    await expectAllowed(server(), targets, admin);
  });
});

describe('ADMIN_IP_ALLOWLIST with TRUSTED_PROXIES: the client address from X-Forwarded-For counts', () => {
  const server = useServer({ ...ADMIN_ENV, ADMIN_IP_ALLOWLIST: '10.0.0.0/8', TRUSTED_PROXIES: '127.0.0.1/32' });
  printLogsOnFailure();

  it('200 through the trusted proxy for a client in 10.0.0.0/8; 403 for one outside or without the header', async () => {
    const targets = await targetsOn(server());
    const admin = await adminSignIn(server(), 'allow-proxy-admin');
    await expectAllowed(server(), targets, admin, { 'x-forwarded-for': '10.20.30.40' });
    problem(await api(server(), 'get', AD.users, { token: admin.token, headers: { 'x-forwarded-for': '192.0.2.7' } }), 'get', AD.users, 403, 'ADMIN_IP_FORBIDDEN');
    problem(await api(server(), 'get', AD.users, { token: admin.token }), 'get', AD.users, 403, 'ADMIN_IP_FORBIDDEN');
    // A forged hop left of a real outside client does not count (walked right to left).
    problem(
      await api(server(), 'get', AD.users, { token: admin.token, headers: { 'x-forwarded-for': '10.1.1.1, 192.0.2.7' } }),
      'get',
      AD.users,
      403,
      'ADMIN_IP_FORBIDDEN',
    );
  });
});
