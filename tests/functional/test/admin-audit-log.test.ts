import { describe, it, expect, beforeAll } from 'vitest';
import crypto from 'node:crypto';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import {
  HIGH_IP_LIMIT,
  GOOD_PASSWORD,
  api,
  enableTwoFactor,
  expectOk,
  expectProblem,
  login,
  loginOk,
  loginWith2fa,
  makeAdmin,
  registerAccount,
  waitAudit,
} from './auth-helpers.js';

const PATH = '/api/admin/audit-log' as const;

describe('GET /api/admin/audit-log', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  const audit = (token: string | undefined, query = '') => api(server(), 'get', PATH + query, { token });

  /** Access token of an ADMIN with 2FA, signed in with password + TOTP. */
  let adminToken: string;
  let adminId: string;
  /** A user with some history: register, a failed login, a successful login. */
  let subjectId: string;

  beforeAll(async () => {
    const admin = await registerAccount(server(), {}, 'audit-admin');
    adminId = admin.result.user.id;
    await makeAdmin(server(), adminId);
    const tf = await enableTwoFactor(server(), admin.result.accessToken, admin.password);
    const signedIn = await loginWith2fa(server(), admin.email, admin.password, tf.secret);
    expect(signedIn.user.role).toBe('ADMIN');
    adminToken = signedIn.accessToken;

    const subject = await registerAccount(server(), {}, 'audit-subject');
    subjectId = subject.result.user.id;
    expect((await login(server(), subject.email, 'wrong-password-1')).status).toBe(401);
    await loginOk(server(), subject.email, subject.password);
    await waitAudit(server(), subjectId, 'auth.login.succeeded');
  });

  it('200: newest first; entries of the security events, with no secrets in them', async () => {
    const r = await audit(adminToken);
    const page = expectOk(r, 'get', PATH, 200);
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.length).toBeLessThanOrEqual(50);
    const times = page.items.map((x: any) => Date.parse(x.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const actions = page.items.map((x: any) => x.action);
    for (const a of ['auth.register', 'auth.login.failed', 'auth.login.succeeded', 'auth.2fa.enabled', 'auth.2fa.verified']) {
      expect(actions, `audit log lacks ${a}`).toContain(a);
    }
    const failed = page.items.find((x: any) => x.action === 'auth.login.failed');
    expect(failed.outcome).toBe('failure');
    expect(r.text).not.toContain('wrong-password-1');
    expect(r.text).not.toContain(GOOD_PASSWORD);
  });

  it('200: action filter — exact, and a prefix ending in "."', async () => {
    const exact = expectOk(await audit(adminToken, '?action=auth.login.failed'), 'get', PATH, 200);
    expect(exact.items.length).toBeGreaterThan(0);
    for (const x of exact.items) expect(x.action).toBe('auth.login.failed');
    const prefix = expectOk(await audit(adminToken, '?action=auth.2fa.'), 'get', PATH, 200);
    expect(prefix.items.length).toBeGreaterThan(0);
    for (const x of prefix.items) expect(x.action.startsWith('auth.2fa.')).toBe(true);
    // Without the trailing dot it is an exact match: no action is called just "auth".
    expect(expectOk(await audit(adminToken, '?action=auth'), 'get', PATH, 200).items).toEqual([]);
  });

  it('200: userId filter', async () => {
    const page = expectOk(await audit(adminToken, `?userId=${subjectId}`), 'get', PATH, 200);
    const actions = page.items.map((x: any) => x.action);
    expect(actions).toContain('auth.register');
    expect(actions).toContain('auth.login.succeeded');
    for (const x of page.items) expect([x.actorUserId, x.targetId]).toContain(subjectId);
    expect(expectOk(await audit(adminToken, `?userId=${crypto.randomUUID()}`), 'get', PATH, 200).items).toEqual([]);
  });

  it('200: pagination with limit and the before cursor (pages do not overlap, older on later pages)', async () => {
    const p1 = expectOk(await audit(adminToken, '?limit=2'), 'get', PATH, 200);
    expect(p1.items.length).toBe(2);
    expect(typeof p1.nextCursor).toBe('string');
    const p2 = expectOk(await audit(adminToken, `?limit=2&before=${encodeURIComponent(p1.nextCursor)}`), 'get', PATH, 200);
    expect(p2.items.length).toBeGreaterThan(0);
    const ids1 = p1.items.map((x: any) => x.id);
    for (const x of p2.items) expect(ids1).not.toContain(x.id);
    expect(Date.parse(p2.items[0].createdAt)).toBeLessThanOrEqual(Date.parse(p1.items[1].createdAt));
    // The last page says so.
    const all = expectOk(await audit(adminToken, '?limit=200'), 'get', PATH, 200);
    expect(all.items.length).toBeLessThan(200);
    expect(all.nextCursor).toBeNull();
  });

  it('422: limit out of range, userId not a uuid', async () => {
    for (const q of ['?limit=0', '?limit=201', '?limit=abc', '?userId=not-a-uuid']) {
      expectProblem(await audit(adminToken, q), 'get', PATH, 422, 'VALIDATION_FAILED');
    }
  });

  it('401: without a token → UNAUTHORIZED', async () => {
    expectProblem(await audit(undefined), 'get', PATH, 401, 'UNAUTHORIZED');
  });

  it('403 FORBIDDEN: a signed-in user who is not an admin (even with 2FA)', async () => {
    const u = await registerAccount(server(), {}, 'audit-user');
    expectProblem(await audit(u.result.accessToken), 'get', PATH, 403, 'FORBIDDEN');
    const tf = await enableTwoFactor(server(), u.result.accessToken, u.password);
    const s = await loginWith2fa(server(), u.email, u.password, tf.secret);
    expectProblem(await audit(s.accessToken), 'get', PATH, 403, 'FORBIDDEN');
  });

  it('403 ADMIN_2FA_REQUIRED: an admin without two-factor authentication', async () => {
    const u = await registerAccount(server(), {}, 'audit-admin-no2fa');
    await makeAdmin(server(), u.result.user.id);
    const s = await loginOk(server(), u.email, u.password);
    expect(s.user.role).toBe('ADMIN');
    expectProblem(await audit(s.accessToken), 'get', PATH, 403, 'ADMIN_2FA_REQUIRED');
  });
});
