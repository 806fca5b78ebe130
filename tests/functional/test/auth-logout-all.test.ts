import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import {
  HIGH_IP_LIMIT,
  api,
  expectOk,
  expectProblem,
  expectRefreshCookieCleared,
  expectRefreshRefused,
  expectRefreshWorks,
  loginOk,
  registerAndLogin,
  waitAudit,
} from './auth-helpers.js';

const PATH = '/api/auth/logout-all' as const;

describe('POST /api/auth/logout-all', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  const logoutAll = (token?: string, headers: Record<string, string> = {}) => api(server(), 'post', PATH, { token, headers });

  it('204: every session family of the user is revoked (incl. rotated ones), the cookie is cleared', async () => {
    const a = await registerAndLogin(server(), 'la-ok');
    const third = await loginOk(server(), a.email, a.password);
    const rotated = await expectRefreshWorks(server(), third.refreshToken);
    const r = await logoutAll(a.login.accessToken);
    expectOk(r, 'post', PATH, 204);
    expectRefreshCookieCleared(r);
    await expectRefreshRefused(server(), a.result.refreshToken, '(registration session)');
    await expectRefreshRefused(server(), a.login.refreshToken, '(the calling session)');
    await expectRefreshRefused(server(), rotated.refreshToken, '(a rotated session)');
    await expectRefreshRefused(server(), third.refreshToken, '(a spent token of a rotated session)');
    expect(await waitAudit(server(), a.userId, 'auth.logout_all')).toContain('auth.logout_all');
  });

  it('204: other users keep their sessions; signing in again works afterwards', async () => {
    const a = await registerAndLogin(server(), 'la-a');
    const b = await registerAndLogin(server(), 'la-b');
    expectOk(await logoutAll(a.result.accessToken), 'post', PATH, 204);
    await expectRefreshWorks(server(), b.login.refreshToken, '(another user)');
    await expectRefreshWorks(server(), b.result.refreshToken, '(another user)');
    const again = await loginOk(server(), a.email, a.password);
    await expectRefreshWorks(server(), again.refreshToken, '(a sign-in after logout-all)');
  });

  it('401: without a token → UNAUTHORIZED', async () => {
    expectProblem(await logoutAll(), 'post', PATH, 401, 'UNAUTHORIZED');
  });

  it('401: with a refresh token or garbage instead of an access token → UNAUTHORIZED; nothing is revoked', async () => {
    const a = await registerAndLogin(server(), 'la-401');
    expectProblem(await logoutAll(a.login.refreshToken), 'post', PATH, 401, 'UNAUTHORIZED');
    expectProblem(await logoutAll('garbage'), 'post', PATH, 401, 'UNAUTHORIZED');
    await expectRefreshWorks(server(), a.login.refreshToken);
  });
});
