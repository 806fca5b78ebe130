import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { linkToken } from '../harness/smtp.js';
import {
  PUBLIC_URL,
  SUBJECTS,
  api,
  expectOk,
  expectProblem,
  expectValidationFailed,
  expireOneTimeTokens,
  getProfile,
  mailEnv,
  postJson,
  registerAccount,
  uniqueEmail,
  useSmtpSink,
  waitAudit,
} from './auth-helpers.js';

const PATH = '/api/auth/verify-email' as const;

describe('POST /api/auth/verify-email', () => {
  const sink = useSmtpSink();
  const server = useServer(() => mailEnv(sink()));
  printLogsOnFailure();

  const verify = (token: unknown) => postJson(server(), PATH, { token });
  const invalid = (r: Awaited<ReturnType<typeof verify>>) => expectProblem(r, 'post', PATH, 400, 'INVALID_TOKEN');

  /** Registers and returns the account with the token of its verification mail. */
  async function registered(tag: string) {
    const acct = await registerAccount(server(), {}, tag);
    const mail = await sink().waitForMail({ to: acct.email, subject: SUBJECTS.verify });
    return { acct, mail, token: linkToken(mail, '/verify-email', PUBLIC_URL) };
  }

  it('registration mails a verification link; 200 {verified: true, email}; the user is now verified', async () => {
    const { acct, mail, token } = await registered('ve-ok');
    expect(mail.to).toEqual([acct.email.toLowerCase()]);
    expect(mail.text).toContain(`${PUBLIC_URL}/verify-email?token=${token}`);
    const b = expectOk(await verify(token), 'post', PATH, 200);
    expect(b).toEqual({ verified: true, email: acct.email });
    const p = await getProfile(server(), acct.result.accessToken);
    expect(p.status, p.text).toBe(200);
    expect(p.json.emailVerified).toBe(true);
    expect(await waitAudit(server(), acct.result.user.id, 'auth.email.verified')).toContain('auth.email.verified');
  });

  it('400 INVALID_TOKEN: an unknown token, and a real token with one character changed', async () => {
    invalid(await verify('definitely-not-a-verification-token'));
    const { acct, token } = await registered('ve-unknown');
    invalid(await verify((token.startsWith('A') ? 'B' : 'A') + token.slice(1)));
    invalid(await verify(token + 'A'));
    // The real one still works afterwards, and the user was not verified by the wrong ones before it.
    const p = await getProfile(server(), acct.result.accessToken);
    expect(p.json.emailVerified).toBe(false);
    expectOk(await verify(token), 'post', PATH, 200);
  });

  it('400 INVALID_TOKEN: a token already used (single use)', async () => {
    const { token } = await registered('ve-used');
    expectOk(await verify(token), 'post', PATH, 200);
    invalid(await verify(token));
  });

  it('400 INVALID_TOKEN: an expired token (older than 24 h)', async () => {
    const { acct, token } = await registered('ve-expired');
    expect(await expireOneTimeTokens(server(), acct.result.user.id, 'email_verify')).toBeGreaterThanOrEqual(1);
    invalid(await verify(token));
    const p = await getProfile(server(), acct.result.accessToken);
    expect(p.json.emailVerified).toBe(false);
  });

  it('400 INVALID_TOKEN: a password-reset token is not a verification token', async () => {
    const acct = await registerAccount(server(), {}, 've-purpose');
    const fp = await postJson(server(), '/api/auth/forgot-password', { email: acct.email });
    expect(fp.status, fp.text).toBe(202);
    const mail = await sink().waitForMail({ to: acct.email, subject: SUBJECTS.reset });
    invalid(await verify(linkToken(mail, '/reset-password', PUBLIC_URL)));
  });

  it('409 EMAIL_TAKEN: an email-change token whose new address was registered meanwhile', async () => {
    const acct = await registerAccount(server(), {}, 've-409');
    const newEmail = uniqueEmail('ve-409-new');
    const ch = await api(server(), 'post', '/api/user/email', {
      token: acct.result.accessToken,
      body: { password: acct.password, newEmail },
    });
    expect(ch.status, ch.text).toBe(202);
    const mail = await sink().waitForMail({ to: newEmail, subject: SUBJECTS.confirmNewEmail });
    const token = linkToken(mail, '/verify-email', PUBLIC_URL);
    // Someone else takes the address (it is not the account's yet, so registration succeeds)...
    const other = await postJson(server(), '/api/auth/register', { email: newEmail.toUpperCase(), password: acct.password });
    expect(other.status, other.text).toBe(201);
    // ...so following the link now conflicts, and the account keeps its address.
    expectProblem(await verify(token), 'post', PATH, 409, 'EMAIL_TAKEN');
    const p = await getProfile(server(), acct.result.accessToken);
    expect(p.json.email).toBe(acct.email);
  });

  describe('422 VALIDATION_FAILED naming the field', () => {
    it('missing token', async () => {
      expectValidationFailed(await postJson(server(), PATH, {}), PATH, 'token');
    });
    it('token not a string', async () => {
      expectValidationFailed(await verify(12345), PATH, 'token');
    });
    it('unknown field', async () => {
      expectValidationFailed(await postJson(server(), PATH, { token: 'abc', email: 'a@example.com' }), PATH, 'email');
    });
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    expectProblem(await postJson(server(), PATH, '{"token": '), 'post', PATH, 400, 'MALFORMED_JSON');
  });
});
