import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { totpDevice, wrongTotp } from '../harness/totp.js';
import {
  HIGH_IP_LIMIT,
  api,
  enableTwoFactor,
  expectOk,
  expectProblem,
  expectValidationFailed,
  getProfile,
  loginOk,
  registerAccount,
  waitAudit,
} from './auth-helpers.js';

const PATH = '/api/user/2fa/disable' as const;

describe('POST /api/user/2fa/disable', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  const disable = (token: string | undefined, body: unknown) => api(server(), 'post', PATH, { token, body });

  async function withTwoFactor(tag: string) {
    const acct = await registerAccount(server(), {}, tag);
    const tf = await enableTwoFactor(server(), acct.result.accessToken, acct.password);
    return { ...acct, ...tf, token: acct.result.accessToken as string, userId: acct.result.user.id as string };
  }

  async function expectOff(token: string, email: string, password: string): Promise<void> {
    const st = expectOk(await api(server(), 'get', '/api/user/2fa', { token }), 'get', '/api/user/2fa', 200);
    expect(st).toEqual({ enabled: false, pending: false, recoveryCodesRemaining: 0 });
    const p = await getProfile(server(), token);
    expect(p.json.twoFactorEnabled).toBe(false);
    // Login answers tokens directly again.
    await loginOk(server(), email, password);
  }

  it('204 with the password and a TOTP code: 2FA is off, login no longer asks for a code', async () => {
    const a = await withTwoFactor('dis-totp');
    expectOk(await disable(a.token, { password: a.password, code: await totpDevice(a.secret).next() }), 'post', PATH, 204);
    await expectOff(a.token, a.email, a.password);
    expect(await waitAudit(server(), a.userId, 'auth.2fa.disabled')).toContain('auth.2fa.disabled');
  });

  it('204 with the password and a recovery code', async () => {
    const a = await withTwoFactor('dis-rc');
    expectOk(await disable(a.token, { password: a.password, code: a.recoveryCodes[3]! }), 'post', PATH, 204);
    await expectOff(a.token, a.email, a.password);
  });

  it('403 INVALID_PASSWORD: wrong password (with a valid code); 2FA stays on', async () => {
    const a = await withTwoFactor('dis-403');
    const r = await disable(a.token, { password: a.password + 'x', code: await totpDevice(a.secret).next() });
    expectProblem(r, 'post', PATH, 403, 'INVALID_PASSWORD');
    expect(expectOk(await api(server(), 'get', '/api/user/2fa', { token: a.token }), 'get', '/api/user/2fa', 200).enabled).toBe(true);
  });

  it('400 INVALID_MFA_CODE: right password, wrong code; 2FA stays on', async () => {
    const a = await withTwoFactor('dis-400');
    expectProblem(await disable(a.token, { password: a.password, code: wrongTotp(a.secret) }), 'post', PATH, 400, 'INVALID_MFA_CODE');
    expectProblem(await disable(a.token, { password: a.password, code: 'aaaaa-aaaaa' }), 'post', PATH, 400, 'INVALID_MFA_CODE');
    expect(expectOk(await api(server(), 'get', '/api/user/2fa', { token: a.token }), 'get', '/api/user/2fa', 200).enabled).toBe(true);
  });

  it('409 TWO_FACTOR_NOT_ENABLED: never enabled, or only pending', async () => {
    const acct = await registerAccount(server(), {}, 'dis-409');
    expectProblem(await disable(acct.result.accessToken, { password: acct.password, code: '123456' }), 'post', PATH, 409, 'TWO_FACTOR_NOT_ENABLED');
    const st = await api(server(), 'post', '/api/user/2fa/setup', { token: acct.result.accessToken, body: { password: acct.password } });
    expect(st.status, st.text).toBe(200);
    expectProblem(
      await disable(acct.result.accessToken, { password: acct.password, code: await totpDevice(st.json.secret).next() }),
      'post',
      PATH,
      409,
      'TWO_FACTOR_NOT_ENABLED',
    );
  });

  it('422: missing password / code; unknown field', async () => {
    const a = await registerAccount(server(), {}, 'dis-422');
    const tok = a.result.accessToken;
    expectValidationFailed(await disable(tok, { code: '123456' }), PATH, 'password');
    expectValidationFailed(await disable(tok, { password: a.password }), PATH, 'code');
    expectValidationFailed(await disable(tok, { password: a.password, code: '123456', force: true }), PATH, 'force');
  });

  it('401: without a token → UNAUTHORIZED', async () => {
    expectProblem(await disable(undefined, { password: 'whatever-password', code: '123456' }), 'post', PATH, 401, 'UNAUTHORIZED');
  });
});
