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
  getProfile,
  login,
  loginOk,
  mailEnv,
  postJson,
  registerAccount,
  uniqueEmail,
  useSmtpSink,
  waitAudit,
} from './auth-helpers.js';

const PATH = '/api/user/email' as const;

describe('POST /api/user/email', () => {
  const sink = useSmtpSink();
  const server = useServer(() => mailEnv(sink()));
  printLogsOnFailure();

  const change = (token: string | undefined, body: unknown) => api(server(), 'post', PATH, { token, body });

  it('202: a confirmation link goes to the NEW address, a notice to the OLD one; the address changes only on confirmation', async () => {
    const acct = await registerAccount(server(), {}, 'em-ok');
    const newEmail = uniqueEmail('em-ok-new');
    const b = expectOk(await change(acct.result.accessToken, { password: acct.password, newEmail }), 'post', PATH, 202);
    expect(typeof b.message).toBe('string');

    const toNew = await sink().waitForMail({ to: newEmail, subject: SUBJECTS.confirmNewEmail });
    expect(toNew.to).toEqual([newEmail]);
    const token = linkToken(toNew, '/verify-email', PUBLIC_URL);
    const toOld = await sink().waitForMail({ to: acct.email, subject: SUBJECTS.emailChanging });
    expect(toOld.text).not.toContain('token=');
    expect(toOld.text).not.toContain(token);
    expect(toOld.html).not.toContain(token);

    // Not yet changed.
    let p = await getProfile(server(), acct.result.accessToken);
    expect(p.json.email).toBe(acct.email);
    expect(await waitAudit(server(), acct.result.user.id, 'auth.email.change_requested')).toContain('auth.email.change_requested');

    const v = await postJson(server(), '/api/auth/verify-email', { token });
    validateVerified(expectOk(v, 'post', '/api/auth/verify-email', 200), newEmail);
    p = await getProfile(server(), acct.result.accessToken);
    expect(p.json.email).toBe(newEmail);
    expect(p.json.emailVerified).toBe(true);
    // Sign-in now uses the new address only.
    const l = await loginOk(server(), newEmail, acct.password);
    expect(l.user.id).toBe(acct.result.user.id);
    expectProblem(await login(server(), acct.email, acct.password), 'post', '/api/auth/login', 401, 'INVALID_CREDENTIALS');
    expect(await waitAudit(server(), acct.result.user.id, 'auth.email.changed')).toContain('auth.email.changed');
    // The link is single-use.
    expectProblem(await postJson(server(), '/api/auth/verify-email', { token }), 'post', '/api/auth/verify-email', 400, 'INVALID_TOKEN');
  });

  it('403 INVALID_PASSWORD: wrong password; no mail goes out', async () => {
    const acct = await registerAccount(server(), {}, 'em-403');
    const newEmail = uniqueEmail('em-403-new');
    const mark = sink().messages().length;
    expectProblem(await change(acct.result.accessToken, { password: acct.password + 'x', newEmail }), 'post', PATH, 403, 'INVALID_PASSWORD');
    await sink().expectNoMail({ to: newEmail }, 2500, mark);
  });

  it('409 EMAIL_TAKEN: the new address belongs to another account (case-insensitive)', async () => {
    const acct = await registerAccount(server(), {}, 'em-409');
    const other = await registerAccount(server(), {}, 'em-409-other');
    expectProblem(await change(acct.result.accessToken, { password: acct.password, newEmail: other.email }), 'post', PATH, 409, 'EMAIL_TAKEN');
    expectProblem(
      await change(acct.result.accessToken, { password: acct.password, newEmail: other.email.toUpperCase() }),
      'post',
      PATH,
      409,
      'EMAIL_TAKEN',
    );
  });

  describe('422 VALIDATION_FAILED naming the field', () => {
    for (const bad of ['not-an-email', '@example.com', 'a b@example.com']) {
      it(`newEmail ${JSON.stringify(bad)} → newEmail`, async () => {
        const acct = await registerAccount(server(), {}, 'em-422');
        expectValidationFailed(await change(acct.result.accessToken, { password: acct.password, newEmail: bad }), PATH, 'newEmail');
      });
    }
    it('missing password → password', async () => {
      const acct = await registerAccount(server(), {}, 'em-422-pw');
      expectValidationFailed(await change(acct.result.accessToken, { newEmail: uniqueEmail('x') }), PATH, 'password');
    });
    it('missing newEmail → newEmail', async () => {
      const acct = await registerAccount(server(), {}, 'em-422-ne');
      expectValidationFailed(await change(acct.result.accessToken, { password: acct.password }), PATH, 'newEmail');
    });
    it('unknown field', async () => {
      const acct = await registerAccount(server(), {}, 'em-422-unk');
      const r = await change(acct.result.accessToken, { password: acct.password, newEmail: uniqueEmail('x'), skipVerification: true });
      expectValidationFailed(r, PATH, 'skipVerification');
    });
  });

  it('401: without a token → UNAUTHORIZED', async () => {
    expectProblem(await change(undefined, { password: 'whatever-password', newEmail: uniqueEmail('x') }), 'post', PATH, 401, 'UNAUTHORIZED');
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    const acct = await registerAccount(server(), {}, 'em-400');
    expectProblem(await change(acct.result.accessToken, '{"password": '), 'post', PATH, 400, 'MALFORMED_JSON');
  });
});

function validateVerified(body: any, email: string): void {
  expect(body).toEqual({ verified: true, email });
}
