import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import {
  SUBJECTS,
  api,
  expectOk,
  expectProblem,
  expectRefreshRefused,
  expectRefreshWorks,
  expectValidationFailed,
  getProfile,
  login,
  loginOk,
  mailEnv,
  registerAccount,
  registerAndLogin,
  useSmtpSink,
  waitAudit,
} from './auth-helpers.js';

const PATH = '/api/user/password' as const;
const NEW_PASSWORD = 'Changed-Passw0rd-#42';

describe('POST /api/user/password', () => {
  const sink = useSmtpSink();
  const server = useServer(() => mailEnv(sink()));
  printLogsOnFailure();

  const change = (token: string | undefined, body: unknown) => api(server(), 'post', PATH, { token, body });

  it('204: new password signs in, old does not; other sessions end, the caller\'s keeps working; a mail is sent', async () => {
    const a = await registerAndLogin(server(), 'pw-ok');
    // The caller is the login session; the registration session is "another device".
    expectOk(await change(a.login.accessToken, { currentPassword: a.password, newPassword: NEW_PASSWORD }), 'post', PATH, 204);
    await expectRefreshRefused(server(), a.result.refreshToken, '(another session after a password change)');
    const own = await expectRefreshWorks(server(), a.login.refreshToken, '(the session that changed the password)');
    const p = await getProfile(server(), own.accessToken);
    expect(p.status, p.text).toBe(200);
    expectProblem(await login(server(), a.email, a.password), 'post', '/api/auth/login', 401, 'INVALID_CREDENTIALS');
    await loginOk(server(), a.email, NEW_PASSWORD);
    const mail = await sink().waitForMail({ to: a.email, subject: SUBJECTS.passwordChanged });
    expect(mail.text).not.toContain(NEW_PASSWORD);
    expect(await waitAudit(server(), a.userId, 'auth.password.changed')).toContain('auth.password.changed');
  });

  it('403 INVALID_PASSWORD: wrong current password (not 401); nothing changes', async () => {
    const a = await registerAndLogin(server(), 'pw-403');
    const r = await change(a.login.accessToken, { currentPassword: a.password + 'x', newPassword: NEW_PASSWORD });
    expectProblem(r, 'post', PATH, 403, 'INVALID_PASSWORD');
    await expectRefreshWorks(server(), a.result.refreshToken);
    await loginOk(server(), a.email, a.password);
  });

  describe('422 VALIDATION_FAILED', () => {
    it('new password of 11 characters → newPassword', async () => {
      const acct = await registerAccount(server(), {}, 'pw-short');
      const r = await change(acct.result.accessToken, { currentPassword: acct.password, newPassword: 'Zq7#vL2!mP9' });
      expectValidationFailed(r, PATH, 'newPassword');
    });
    it('common new password → newPassword', async () => {
      const acct = await registerAccount(server(), {}, 'pw-common');
      const r = await change(acct.result.accessToken, { currentPassword: acct.password, newPassword: 'password1234' });
      expectValidationFailed(r, PATH, 'newPassword');
    });
    it('new password equal to the current one → newPassword; the sessions stay', async () => {
      const a = await registerAndLogin(server(), 'pw-same');
      const r = await change(a.login.accessToken, { currentPassword: a.password, newPassword: a.password });
      expectValidationFailed(r, PATH, 'newPassword');
      await expectRefreshWorks(server(), a.result.refreshToken);
    });
    it('missing currentPassword / newPassword', async () => {
      const acct = await registerAccount(server(), {}, 'pw-missing');
      expectValidationFailed(await change(acct.result.accessToken, { newPassword: NEW_PASSWORD }), PATH, 'currentPassword');
      expectValidationFailed(await change(acct.result.accessToken, { currentPassword: acct.password }), PATH, 'newPassword');
    });
    it('unknown field', async () => {
      const acct = await registerAccount(server(), {}, 'pw-unknown');
      const r = await change(acct.result.accessToken, { currentPassword: acct.password, newPassword: NEW_PASSWORD, logoutOthers: false });
      expectValidationFailed(r, PATH, 'logoutOthers');
    });
  });

  it('401: without a token → UNAUTHORIZED', async () => {
    expectProblem(await change(undefined, { currentPassword: 'whatever-password', newPassword: NEW_PASSWORD }), 'post', PATH, 401, 'UNAUTHORIZED');
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    const acct = await registerAccount(server(), {}, 'pw-400');
    expectProblem(await change(acct.result.accessToken, '{"currentPassword": '), 'post', PATH, 400, 'MALFORMED_JSON');
  });
});
