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
  loginChallenge,
  registerAccount,
  verifyMfa,
  waitAudit,
} from './auth-helpers.js';

const PATH = '/api/user/2fa/recovery-codes' as const;

describe('POST /api/user/2fa/recovery-codes', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  const regenerate = (token: string | undefined, body: unknown) => api(server(), 'post', PATH, { token, body });

  async function withTwoFactor(tag: string) {
    const acct = await registerAccount(server(), {}, tag);
    const tf = await enableTwoFactor(server(), acct.result.accessToken, acct.password);
    return { ...acct, ...tf, token: acct.result.accessToken as string, userId: acct.result.user.id as string };
  }

  it('200: 10 new codes; the old ones stop working at sign-in, the new ones work', async () => {
    const a = await withTwoFactor('rc-ok');
    const r = await regenerate(a.token, { code: await totpDevice(a.secret).next() });
    const b = expectOk(r, 'post', PATH, 200);
    expect(b.recoveryCodes.length).toBe(10);
    for (const c of b.recoveryCodes) expect(c).toMatch(/^[a-z0-9]{5}-[a-z0-9]{5}$/);
    expect(new Set(b.recoveryCodes).size).toBe(10);
    for (const c of b.recoveryCodes) expect(a.recoveryCodes).not.toContain(c);
    const st = expectOk(await api(server(), 'get', '/api/user/2fa', { token: a.token }), 'get', '/api/user/2fa', 200);
    expect(st.recoveryCodesRemaining).toBe(10);

    const t = await loginChallenge(server(), a.email, a.password);
    expectProblem(await verifyMfa(server(), t, a.recoveryCodes[0]!), 'post', '/api/auth/2fa/verify', 401, 'INVALID_MFA_CODE');
    expectOk(await verifyMfa(server(), t, b.recoveryCodes[0]!), 'post', '/api/auth/2fa/verify', 200);
    expect(await waitAudit(server(), a.userId, 'auth.2fa.recovery_codes_regenerated')).toContain('auth.2fa.recovery_codes_regenerated');
  });

  it('400 INVALID_MFA_CODE: wrong code; the old codes stay valid', async () => {
    const a = await withTwoFactor('rc-400');
    expectProblem(await regenerate(a.token, { code: wrongTotp(a.secret) }), 'post', PATH, 400, 'INVALID_MFA_CODE');
    const st = expectOk(await api(server(), 'get', '/api/user/2fa', { token: a.token }), 'get', '/api/user/2fa', 200);
    expect(st.recoveryCodesRemaining).toBe(10);
    const t = await loginChallenge(server(), a.email, a.password);
    expectOk(await verifyMfa(server(), t, a.recoveryCodes[9]!), 'post', '/api/auth/2fa/verify', 200);
  });

  it('409 TWO_FACTOR_NOT_ENABLED', async () => {
    const acct = await registerAccount(server(), {}, 'rc-409');
    expectProblem(await regenerate(acct.result.accessToken, { code: '123456' }), 'post', PATH, 409, 'TWO_FACTOR_NOT_ENABLED');
  });

  it('422: missing code → code; wrong type', async () => {
    const acct = await registerAccount(server(), {}, 'rc-422');
    expectValidationFailed(await regenerate(acct.result.accessToken, {}), PATH, 'code');
    expectValidationFailed(await regenerate(acct.result.accessToken, { code: ['123456'] }), PATH, 'code');
  });

  it('401: without a token → UNAUTHORIZED', async () => {
    expectProblem(await regenerate(undefined, { code: '123456' }), 'post', PATH, 401, 'UNAUTHORIZED');
  });
});
