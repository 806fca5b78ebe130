import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { linkToken } from '../harness/smtp.js';
import {
  PUBLIC_URL,
  SUBJECTS,
  expectOk,
  expectProblem,
  expectRefreshRefused,
  expectValidationFailed,
  expireOneTimeTokens,
  login,
  mailEnv,
  postJson,
  registerAndLogin,
  registerAccount,
  useSmtpSink,
  waitAudit,
} from './auth-helpers.js';

const PATH = '/api/auth/reset-password' as const;
const NEW_PASSWORD = 'Reset-to-this-9!Qx';

describe('POST /api/auth/reset-password', () => {
  const sink = useSmtpSink();
  const server = useServer(() => mailEnv(sink()));
  printLogsOnFailure();

  const reset = (token: unknown, password: unknown) => postJson(server(), PATH, { token, password });
  const invalid = (r: Awaited<ReturnType<typeof reset>>) => expectProblem(r, 'post', PATH, 400, 'INVALID_TOKEN');

  async function resetToken(email: string): Promise<string> {
    const r = await postJson(server(), '/api/auth/forgot-password', { email });
    expect(r.status, r.text).toBe(202);
    const mail = await sink().waitForMail({ to: email, subject: SUBJECTS.reset });
    return linkToken(mail, '/reset-password', PUBLIC_URL);
  }

  it('204: the new password signs in, the old one no longer; every session ends; a "password changed" mail', async () => {
    const a = await registerAndLogin(server(), 'rp-ok');
    const token = await resetToken(a.email);
    expectOk(await reset(token, NEW_PASSWORD), 'post', PATH, 204);
    // Every session family of the account is revoked.
    await expectRefreshRefused(server(), a.result.refreshToken, 'of the registration session after a reset');
    await expectRefreshRefused(server(), a.login.refreshToken, 'of the login session after a reset');
    expectProblem(await login(server(), a.email, a.password), 'post', '/api/auth/login', 401, 'INVALID_CREDENTIALS');
    const l = await login(server(), a.email, NEW_PASSWORD);
    expect(l.status, l.text).toBe(200);
    expect(l.json.user.id).toBe(a.userId);
    const mail = await sink().waitForMail({ to: a.email, subject: SUBJECTS.passwordChanged });
    expect(mail.text).not.toContain('token=');
    expect(await waitAudit(server(), a.userId, 'auth.password.reset')).toContain('auth.password.reset');
  });

  it('400 INVALID_TOKEN: unknown token; the password stays', async () => {
    const acct = await registerAccount(server(), {}, 'rp-unknown');
    invalid(await reset('definitely-not-a-reset-token', NEW_PASSWORD));
    const l = await login(server(), acct.email, acct.password);
    expect(l.status, l.text).toBe(200);
  });

  it('400 INVALID_TOKEN: a token already used', async () => {
    const acct = await registerAccount(server(), {}, 'rp-used');
    const token = await resetToken(acct.email);
    expectOk(await reset(token, NEW_PASSWORD), 'post', PATH, 204);
    invalid(await reset(token, 'Another-new-Passw0rd!'));
    const l = await login(server(), acct.email, NEW_PASSWORD);
    expect(l.status, l.text).toBe(200);
  });

  it('400 INVALID_TOKEN: an expired token (older than 1 h)', async () => {
    const acct = await registerAccount(server(), {}, 'rp-expired');
    const token = await resetToken(acct.email);
    expect(await expireOneTimeTokens(server(), acct.result.user.id, 'password_reset')).toBeGreaterThanOrEqual(1);
    invalid(await reset(token, NEW_PASSWORD));
    const l = await login(server(), acct.email, acct.password);
    expect(l.status, l.text).toBe(200);
  });

  it('400 INVALID_TOKEN: an email-verification token is not a reset token', async () => {
    const acct = await registerAccount(server(), {}, 'rp-purpose');
    const mail = await sink().waitForMail({ to: acct.email, subject: SUBJECTS.verify });
    invalid(await reset(linkToken(mail, '/verify-email', PUBLIC_URL), NEW_PASSWORD));
  });

  describe('422 VALIDATION_FAILED naming the field', () => {
    it('password of 11 characters → password', async () => {
      expectValidationFailed(await reset('some-token', 'Zq7#vL2!mP9'), PATH, 'password');
    });
    it('common password → password', async () => {
      const acct = await registerAccount(server(), {}, 'rp-common');
      const token = await resetToken(acct.email);
      expectValidationFailed(await reset(token, 'password1234'), PATH, 'password');
      // The password did not change.
      const l = await login(server(), acct.email, acct.password);
      expect(l.status, l.text).toBe(200);
    });
    it('missing token → token', async () => {
      expectValidationFailed(await postJson(server(), PATH, { password: NEW_PASSWORD }), PATH, 'token');
    });
    it('missing password → password', async () => {
      expectValidationFailed(await postJson(server(), PATH, { token: 'some-token' }), PATH, 'password');
    });
    it('unknown field', async () => {
      expectValidationFailed(await postJson(server(), PATH, { token: 'x', password: NEW_PASSWORD, email: 'a@example.com' }), PATH, 'email');
    });
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    expectProblem(await postJson(server(), PATH, '{"token": "x", "password": '), 'post', PATH, 400, 'MALFORMED_JSON');
  });
});
