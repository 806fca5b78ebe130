/**
 * Acceptance: a refresh token stops working after reuse, logout, logout-all, password reset, password change
 * (other sessions), suspension, account deletion and session revoke. And the access tokens already issued to a
 * revoked session stop at once too (every signed-in /api request re-checks its session): 401 SESSION_REVOKED on
 * the very next request, not after their 15 minutes.
 */
import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { linkToken } from '../harness/smtp.js';
import {
  PUBLIC_URL,
  SUBJECTS,
  api,
  expectRefreshRefused,
  expectRefreshWorks,
  mailEnv,
  postJson,
  refresh,
  registerAndLogin,
  sidOf,
  suspendUser,
  useSmtpSink,
  login,
  type SignedIn,
} from './auth-helpers.js';
import type { TollgateServer } from '../harness/server.js';
import { ok, problem } from './org-helpers.js';

describe('refresh tokens stop working', () => {
  const sink = useSmtpSink();
  const server = useServer(() => mailEnv(sink()));
  printLogsOnFailure();

  it('after reuse of a spent token (the whole family)', async () => {
    const a = await registerAndLogin(server(), 'rv-reuse');
    const next = await expectRefreshWorks(server(), a.login.refreshToken);
    await expectRefreshRefused(server(), a.login.refreshToken, '(spent)');
    await expectRefreshRefused(server(), next.refreshToken, '(family revoked by reuse)');
    await expectRefreshWorks(server(), a.result.refreshToken, '(another family)');
  });

  it('after logout', async () => {
    const a = await registerAndLogin(server(), 'rv-logout');
    const out = await postJson(server(), '/api/auth/logout', { refreshToken: a.login.refreshToken });
    expect(out.status, out.text).toBe(204);
    await expectRefreshRefused(server(), a.login.refreshToken, '(logged out)');
  });

  it('after logout-all (every session)', async () => {
    const a = await registerAndLogin(server(), 'rv-logout-all');
    const r = await api(server(), 'post', '/api/auth/logout-all', { token: a.login.accessToken });
    expect(r.status, r.text).toBe(204);
    await expectRefreshRefused(server(), a.login.refreshToken);
    await expectRefreshRefused(server(), a.result.refreshToken);
  });

  it('after a password reset (every session)', async () => {
    const a = await registerAndLogin(server(), 'rv-reset');
    const fp = await postJson(server(), '/api/auth/forgot-password', { email: a.email });
    expect(fp.status, fp.text).toBe(202);
    const token = linkToken(await sink().waitForMail({ to: a.email, subject: SUBJECTS.reset }), '/reset-password', PUBLIC_URL);
    const r = await postJson(server(), '/api/auth/reset-password', { token, password: 'After-reset-Passw0rd!' });
    expect(r.status, r.text).toBe(204);
    await expectRefreshRefused(server(), a.login.refreshToken);
    await expectRefreshRefused(server(), a.result.refreshToken);
  });

  it('after a password change (the other sessions; the caller\'s keeps working)', async () => {
    const a = await registerAndLogin(server(), 'rv-change');
    const r = await api(server(), 'post', '/api/user/password', {
      token: a.login.accessToken,
      body: { currentPassword: a.password, newPassword: 'After-change-Passw0rd!' },
    });
    expect(r.status, r.text).toBe(204);
    await expectRefreshRefused(server(), a.result.refreshToken, '(other session)');
    await expectRefreshWorks(server(), a.login.refreshToken, '(the caller\'s session)');
  });

  it('after suspension (status set in the database)', async () => {
    const a = await registerAndLogin(server(), 'rv-suspend');
    await suspendUser(server(), a.email);
    for (const t of [a.login.refreshToken, a.result.refreshToken]) {
      const r = await refresh(server(), t);
      expect([401, 403], `refresh of a suspended account: ${r.status} ${r.text.slice(0, 300)}`).toContain(r.status);
      expect(r.json?.code).toBe(r.status === 401 ? 'INVALID_REFRESH_TOKEN' : 'ACCOUNT_SUSPENDED');
      expect(r.json).not.toHaveProperty('accessToken');
    }
  });

  it('after account deletion', async () => {
    const a = await registerAndLogin(server(), 'rv-delete');
    const r = await api(server(), 'delete', '/api/user/account', {
      token: a.login.accessToken,
      body: { password: a.password, confirmation: 'DELETE' },
    });
    expect(r.status, r.text).toBe(204);
    await expectRefreshRefused(server(), a.login.refreshToken);
    await expectRefreshRefused(server(), a.result.refreshToken);
  });

  it('after the session is revoked (DELETE /api/user/sessions/{id})', async () => {
    const a = await registerAndLogin(server(), 'rv-session');
    const r = await api(server(), 'delete', `/api/user/sessions/${sidOf(a.result.accessToken)}`, { token: a.login.accessToken });
    expect(r.status, r.text).toBe(204);
    await expectRefreshRefused(server(), a.result.refreshToken, '(revoked session)');
    await expectRefreshWorks(server(), a.login.refreshToken, '(the other session)');
  });
});

describe('access tokens stop working at once when their session ends', () => {
  const sink = useSmtpSink();
  const server = useServer(() => mailEnv(sink()));
  printLogsOnFailure();

  /** Signed-in routes of different kinds: about the user, organization-scoped, the organization list. */
  const ROUTES = ['/api/user/profile', '/api/user/api-keys', '/api/user/sessions', '/api/organizations'] as const;

  async function expectRevoked(s: TollgateServer, token: string, why: string): Promise<void> {
    for (const path of ROUTES) {
      const r = await api(s, 'get', path, { token });
      expect(r.status, `GET ${path} with the access token ${why}: ${r.status} ${r.text.slice(0, 300)}`).toBe(401);
      problem(r, 'get', path, 401, 'SESSION_REVOKED');
    }
  }

  async function expectWorks(s: TollgateServer, token: string, why: string): Promise<void> {
    for (const path of ROUTES) {
      const r = await api(s, 'get', path, { token });
      expect(r.status, `GET ${path} with the access token ${why}: ${r.status} ${r.text.slice(0, 300)}`).toBe(200);
      ok(r, 'get', path, 200);
    }
  }

  /** A user with two sessions (registration's = a.result, login's = a.login), both tokens working. */
  async function twoSessions(tag: string): Promise<SignedIn> {
    const a = await registerAndLogin(server(), tag);
    await expectWorks(server(), a.result.accessToken, '(registration session, before)');
    await expectWorks(server(), a.login.accessToken, '(login session, before)');
    return a;
  }

  it('after logout-all: every session\'s access token, the caller\'s included', async () => {
    const a = await twoSessions('at-logout-all');
    const r = await api(server(), 'post', '/api/auth/logout-all', { token: a.login.accessToken });
    expect(r.status, r.text).toBe(204);
    await expectRevoked(server(), a.login.accessToken, 'that called logout-all');
    await expectRevoked(server(), a.result.accessToken, 'of the other session');
    // Signing in again gives a working token.
    const again = await login(server(), a.email, a.password);
    await expectWorks(server(), again.json.accessToken, '(new sign-in)');
  });

  it('after logout: that session\'s access token; the other session keeps working', async () => {
    const a = await twoSessions('at-logout');
    const out = await postJson(server(), '/api/auth/logout', { refreshToken: a.login.refreshToken });
    expect(out.status, out.text).toBe(204);
    await expectRevoked(server(), a.login.accessToken, 'of the signed-out session');
    await expectWorks(server(), a.result.accessToken, 'of the other session');
  });

  it('after DELETE /api/user/sessions/{id}: the revoked session\'s token; the caller\'s keeps working', async () => {
    const a = await twoSessions('at-session');
    const r = await api(server(), 'delete', `/api/user/sessions/${sidOf(a.result.accessToken)}`, { token: a.login.accessToken });
    expect(r.status, r.text).toBe(204);
    await expectRevoked(server(), a.result.accessToken, 'of the revoked session');
    await expectWorks(server(), a.login.accessToken, 'of the caller');
  });

  it('after a password change: the other sessions\' tokens; the caller\'s keeps working', async () => {
    const a = await twoSessions('at-change');
    const r = await api(server(), 'post', '/api/user/password', {
      token: a.login.accessToken,
      body: { currentPassword: a.password, newPassword: 'After-change-Passw0rd!' },
    });
    expect(r.status, r.text).toBe(204);
    await expectRevoked(server(), a.result.accessToken, 'of the other session');
    await expectWorks(server(), a.login.accessToken, 'of the caller');
  });

  it('after a password reset: every session', async () => {
    const a = await twoSessions('at-reset');
    const fp = await postJson(server(), '/api/auth/forgot-password', { email: a.email });
    expect(fp.status, fp.text).toBe(202);
    const token = linkToken(await sink().waitForMail({ to: a.email, subject: SUBJECTS.reset }), '/reset-password', PUBLIC_URL);
    const r = await postJson(server(), '/api/auth/reset-password', { token, password: 'After-reset-Passw0rd!' });
    expect(r.status, r.text).toBe(204);
    await expectRevoked(server(), a.login.accessToken, 'after the reset');
    await expectRevoked(server(), a.result.accessToken, 'after the reset');
  });

  it('while the account is suspended (status set in the database)', async () => {
    const a = await twoSessions('at-suspend');
    await suspendUser(server(), a.email);
    await expectRevoked(server(), a.login.accessToken, 'of a suspended account');
    await expectRevoked(server(), a.result.accessToken, 'of a suspended account');
  });

  it('after account deletion: every session', async () => {
    const a = await twoSessions('at-delete');
    const r = await api(server(), 'delete', '/api/user/account', {
      token: a.login.accessToken,
      body: { password: a.password, confirmation: 'DELETE' },
    });
    expect(r.status, r.text).toBe(204);
    await expectRevoked(server(), a.login.accessToken, 'of a deleted account');
    await expectRevoked(server(), a.result.accessToken, 'of a deleted account');
  });

  it('a refresh keeps the family alive (old and new access tokens work); reuse of the spent refresh token revokes both', async () => {
    const a = await twoSessions('at-rotate');
    const next = await expectRefreshWorks(server(), a.login.refreshToken);
    await expectWorks(server(), next.accessToken, 'issued by the refresh');
    await expectWorks(server(), a.login.accessToken, 'issued before the refresh (same session)');
    await expectRefreshRefused(server(), a.login.refreshToken, '(spent: reuse)');
    await expectRevoked(server(), next.accessToken, 'of a family revoked for reuse');
    await expectRevoked(server(), a.login.accessToken, 'of a family revoked for reuse');
    await expectWorks(server(), a.result.accessToken, 'of the other session');
  });
});
