import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { totpDevice, totpForStep, currentStep, wrongTotp } from '../harness/totp.js';
import {
  HIGH_IP_LIMIT,
  api,
  decodeJwt,
  dbQuery,
  enableTwoFactor,
  expectAuthResult,
  expectOk,
  expectProblem,
  expectRefreshCookieSet,
  expectValidationFailed,
  getProfile,
  loginChallenge,
  postJson,
  registerAccount,
  signHs256,
  suspendUser,
  verifyMfa,
  waitAudit,
  type Account,
  type TwoFactor,
} from './auth-helpers.js';

const PATH = '/api/auth/2fa/verify' as const;

describe('POST /api/auth/2fa/verify', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  /** A registered account with 2FA enabled. */
  async function twoFactorAccount(tag: string): Promise<Account & TwoFactor & { userId: string }> {
    const acct = await registerAccount(server(), {}, tag);
    const tf = await enableTwoFactor(server(), acct.result.accessToken, acct.password);
    return { ...acct, ...tf, userId: acct.result.user.id };
  }

  const badCode = (r: Awaited<ReturnType<typeof verifyMfa>>) => expectProblem(r, 'post', PATH, 401, 'INVALID_MFA_CODE');
  const badToken = (r: Awaited<ReturnType<typeof verifyMfa>>) => expectProblem(r, 'post', PATH, 401, 'INVALID_MFA_TOKEN');

  it('200 with a TOTP code: AuthResult (twoFactorEnabled) + refresh cookie; the access token works', async () => {
    const a = await twoFactorAccount('mfa-ok');
    const mfaToken = await loginChallenge(server(), a.email, a.password);
    const r = await verifyMfa(server(), mfaToken, await totpDevice(a.secret).next());
    const b = expectOk(r, 'post', PATH, 200);
    expectAuthResult(b, a.email);
    expect(b.user.id).toBe(a.userId);
    expect(b.user.twoFactorEnabled).toBe(true);
    expectRefreshCookieSet(r, b.refreshToken);
    const p = await getProfile(server(), b.accessToken);
    expect(p.status, p.text).toBe(200);
    expect(p.json.id).toBe(a.userId);
    expect(p.json.twoFactorEnabled).toBe(true);
    const actions = await waitAudit(server(), a.userId, 'auth.2fa.verified');
    expect(actions).toContain('auth.login.mfa_required');
    expect(actions).toContain('auth.2fa.verified');
  });

  it('200 with a recovery code, which then works only once (401 INVALID_MFA_CODE the second time)', async () => {
    const a = await twoFactorAccount('mfa-rc');
    for (const rc of a.recoveryCodes) expect(rc).toMatch(/^[a-z0-9]{5}-[a-z0-9]{5}$/);
    const t1 = await loginChallenge(server(), a.email, a.password);
    const b = expectOk(await verifyMfa(server(), t1, a.recoveryCodes[0]!), 'post', PATH, 200);
    expectAuthResult(b, a.email);
    const st = expectOk(await api(server(), 'get', '/api/user/2fa', { token: b.accessToken }), 'get', '/api/user/2fa', 200);
    expect(st.recoveryCodesRemaining).toBe(9);
    const t2 = await loginChallenge(server(), a.email, a.password);
    badCode(await verifyMfa(server(), t2, a.recoveryCodes[0]!));
    // Another unused code still works on the same challenge (one wrong code does not burn it).
    expectOk(await verifyMfa(server(), t2, a.recoveryCodes[1]!), 'post', PATH, 200);
    expect(await waitAudit(server(), a.userId, 'auth.2fa.recovery_code_used')).toContain('auth.2fa.recovery_code_used');
  });

  it('401 INVALID_MFA_CODE: a wrong code; the right code still completes the same challenge', async () => {
    const a = await twoFactorAccount('mfa-wrong');
    const t = await loginChallenge(server(), a.email, a.password);
    const body = badCode(await verifyMfa(server(), t, wrongTotp(a.secret)));
    expect(body).not.toHaveProperty('accessToken');
    badCode(await verifyMfa(server(), t, 'zzzzz-zzzzz')); // not a recovery code either
    expectOk(await verifyMfa(server(), t, await totpDevice(a.secret).next()), 'post', PATH, 200);
    expect(await waitAudit(server(), a.userId, 'auth.2fa.failed')).toContain('auth.2fa.failed');
  });

  it('401 INVALID_MFA_CODE: a TOTP code replayed (its step was already used) is refused', { timeout: 120_000 }, async () => {
    const a = await twoFactorAccount('mfa-replay');
    const dev = totpDevice(a.secret);
    const code = await dev.next();
    const step = dev.lastUsedStep();
    const t1 = await loginChallenge(server(), a.email, a.password);
    expectOk(await verifyMfa(server(), t1, code), 'post', PATH, 200);
    const t2 = await loginChallenge(server(), a.email, a.password);
    badCode(await verifyMfa(server(), t2, totpForStep(a.secret, step)));
    // An older step than the last accepted one is refused as well (still within ±1 of the clock).
    if (step - 1 >= currentStep() - 1) badCode(await verifyMfa(server(), t2, totpForStep(a.secret, step - 1)));
    // A newer step is fine.
    expectOk(await verifyMfa(server(), t2, await dev.next()), 'post', PATH, 200);
  });

  it('401 INVALID_MFA_TOKEN: unknown, malformed, and already-used tokens', async () => {
    const a = await twoFactorAccount('mfa-used');
    badToken(await verifyMfa(server(), 'not-an-mfa-token', '123456'));
    const t = await loginChallenge(server(), a.email, a.password);
    expectOk(await verifyMfa(server(), t, await totpDevice(a.secret).next()), 'post', PATH, 200);
    // Single use: the same token with another valid code is refused.
    badToken(await verifyMfa(server(), t, a.recoveryCodes[0]!));
  });

  it('401 INVALID_MFA_TOKEN: a refresh token is not an mfaToken (nor is an access token, which is also too long: 401 or 422)', async () => {
    const a = await twoFactorAccount('mfa-typ');
    badToken(await verifyMfa(server(), a.result.refreshToken, a.recoveryCodes[0]!));
    const r = await verifyMfa(server(), a.result.accessToken, a.recoveryCodes[0]!);
    expect([401, 422], r.text).toContain(r.status);
    expect(r.json).not.toHaveProperty('accessToken');
    // The recovery code was not spent by those refusals.
    const t = await loginChallenge(server(), a.email, a.password);
    expectOk(await verifyMfa(server(), t, a.recoveryCodes[0]!), 'post', PATH, 200);
  });

  it('401 INVALID_MFA_TOKEN: an expired mfaToken', async () => {
    const a = await twoFactorAccount('mfa-exp');
    const t = await loginChallenge(server(), a.email, a.password);
    const parts = t.split('.');
    if (parts.length === 3) {
      // A JWT: the same claims, re-signed with the (known) key but expired → refused.
      const { header, payload } = decodeJwt(t);
      const now = Math.floor(Date.now() / 1000);
      const expired = signHs256(header, { ...payload, iat: now - 400, nbf: now - 400, exp: now - 1 }, server().env.JWT_SECRET!);
      badToken(await verifyMfa(server(), expired, a.recoveryCodes[0]!));
    }
    // Server-side state of the pending step (one_time_tokens, purpose mfa_pending), when it is kept there.
    const n = await dbQuery(
      server(),
      `UPDATE one_time_tokens SET created_at = now() - interval '1 hour', expires_at = now() - interval '1 second'
        WHERE user_id = $1 AND purpose = 'mfa_pending' AND used_at IS NULL`,
      [a.userId],
    );
    if ((n.rowCount ?? 0) > 0) badToken(await verifyMfa(server(), t, a.recoveryCodes[0]!));
    else expect(parts.length, 'an mfaToken with no server-side row must be a JWT carrying exp').toBe(3);
  });

  it('401 INVALID_MFA_TOKEN: after 5 wrong codes the token is burned, even for the right code', async () => {
    const a = await twoFactorAccount('mfa-burn');
    const t = await loginChallenge(server(), a.email, a.password);
    for (let i = 0; i < 5; i++) {
      const r = await verifyMfa(server(), t, wrongTotp(a.secret));
      expect(r.status, r.text).toBe(401);
      if (i < 4) badCode(r);
      else expect(['INVALID_MFA_CODE', 'INVALID_MFA_TOKEN']).toContain(r.json?.code);
    }
    badToken(await verifyMfa(server(), t, await totpDevice(a.secret).next()));
    badToken(await verifyMfa(server(), t, a.recoveryCodes[0]!));
    // (Wrong codes may also count towards the account's lock, so no new sign-in is attempted here.)
  });

  it('no tokens for an account suspended between the password step and the code', async () => {
    const a = await twoFactorAccount('mfa-susp');
    const t = await loginChallenge(server(), a.email, a.password);
    await suspendUser(server(), a.email);
    const r = await verifyMfa(server(), t, await totpDevice(a.secret).next());
    expect([401, 403], r.text).toContain(r.status);
    expect(r.json).not.toHaveProperty('accessToken');
    expect(r.headers.getSetCookie().some((c) => c.startsWith('__Host-tollgate_refresh='))).toBe(false);
  });

  describe('422 VALIDATION_FAILED naming the field', () => {
    it('missing code', async () => {
      expectValidationFailed(await postJson(server(), PATH, { mfaToken: 'x' }), PATH, 'code');
    });
    it('missing mfaToken', async () => {
      expectValidationFailed(await postJson(server(), PATH, { code: '123456' }), PATH, 'mfaToken');
    });
    it('code of the wrong type', async () => {
      expectValidationFailed(await postJson(server(), PATH, { mfaToken: 'x', code: 123456 }), PATH, 'code');
    });
    it('unknown field', async () => {
      expectValidationFailed(await postJson(server(), PATH, { mfaToken: 'x', code: '123456', trustDevice: true }), PATH, 'trustDevice');
    });
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    expectProblem(await postJson(server(), PATH, '{"mfaToken": "x", '), 'post', PATH, 400, 'MALFORMED_JSON');
  });
});
