/**
 * Acceptance: a refresh token stops working after reuse, logout, logout-all, password reset, password change
 * (other sessions), suspension, account deletion and session revoke.
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
} from './auth-helpers.js';

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
