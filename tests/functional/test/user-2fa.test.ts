import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { base32Decode, totpDevice, wrongTotp } from '../harness/totp.js';
import {
  HIGH_IP_LIMIT,
  api,
  enableTwoFactor,
  expectOk,
  expectProblem,
  expectValidationFailed,
  getProfile,
  loginChallenge,
  registerAccount,
  waitAudit,
} from './auth-helpers.js';

const STATUS = '/api/user/2fa' as const;
const SETUP = '/api/user/2fa/setup' as const;
const ENABLE = '/api/user/2fa/enable' as const;
const RECOVERY_RE = /^[a-z0-9]{5}-[a-z0-9]{5}$/;

describe('two-factor enrolment: GET /api/user/2fa, POST /api/user/2fa/setup, POST /api/user/2fa/enable', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  const status = (token?: string) => api(server(), 'get', STATUS, { token });
  const setup = (token: string | undefined, body: unknown) => api(server(), 'post', SETUP, { token, body });
  const enable = (token: string | undefined, body: unknown) => api(server(), 'post', ENABLE, { token, body });

  describe('GET /api/user/2fa', () => {
    it('200: off → pending after setup → on with 10 recovery codes after enable', async () => {
      const acct = await registerAccount(server(), {}, '2fa-status');
      const tok = acct.result.accessToken;
      expect(expectOk(await status(tok), 'get', STATUS, 200)).toEqual({ enabled: false, pending: false, recoveryCodesRemaining: 0 });
      const st = expectOk(await setup(tok, { password: acct.password }), 'post', SETUP, 200);
      expect(expectOk(await status(tok), 'get', STATUS, 200)).toEqual({ enabled: false, pending: true, recoveryCodesRemaining: 0 });
      expectOk(await enable(tok, { code: await totpDevice(st.secret).next() }), 'post', ENABLE, 200);
      expect(expectOk(await status(tok), 'get', STATUS, 200)).toEqual({ enabled: true, pending: false, recoveryCodesRemaining: 10 });
    });

    it('401: without a token → UNAUTHORIZED', async () => {
      expectProblem(await status(), 'get', STATUS, 401, 'UNAUTHORIZED');
    });
  });

  describe('POST /api/user/2fa/setup', () => {
    it('200: a base32 secret (≥ 160 bits) and its otpauth:// URI; not cacheable', async () => {
      const acct = await registerAccount(server(), {}, '2fa-setup');
      const r = await setup(acct.result.accessToken, { password: acct.password });
      const b = expectOk(r, 'post', SETUP, 200);
      expect(b.secret).toMatch(/^[A-Z2-7]+=*$/);
      expect(base32Decode(b.secret).length).toBeGreaterThanOrEqual(20);
      const uri = new URL(b.otpauthUri);
      expect(uri.protocol).toBe('otpauth:');
      expect(uri.host).toBe('totp');
      expect(uri.searchParams.get('secret')).toBe(b.secret);
      expect(decodeURIComponent(uri.pathname)).toContain(acct.email);
      for (const [k, v] of [['algorithm', 'SHA1'], ['digits', '6'], ['period', '30']] as const) {
        const got = uri.searchParams.get(k);
        if (got !== null) expect(got.toUpperCase()).toBe(v);
      }
      expect(r.headers.get('cache-control') ?? '', 'a response carrying a secret must not be stored').toMatch(/no-store/i);
      expect(await waitAudit(server(), acct.result.user.id, 'auth.2fa.enrol_started')).toContain('auth.2fa.enrol_started');
    });

    it('403 INVALID_PASSWORD: wrong password; nothing pending', async () => {
      const acct = await registerAccount(server(), {}, '2fa-setup-403');
      expectProblem(await setup(acct.result.accessToken, { password: acct.password + 'x' }), 'post', SETUP, 403, 'INVALID_PASSWORD');
      expect(expectOk(await status(acct.result.accessToken), 'get', STATUS, 200).pending).toBe(false);
    });

    it('409 TWO_FACTOR_ALREADY_ENABLED', async () => {
      const acct = await registerAccount(server(), {}, '2fa-setup-409');
      await enableTwoFactor(server(), acct.result.accessToken, acct.password);
      expectProblem(await setup(acct.result.accessToken, { password: acct.password }), 'post', SETUP, 409, 'TWO_FACTOR_ALREADY_ENABLED');
    });

    it('422: missing password → password; unknown field', async () => {
      const acct = await registerAccount(server(), {}, '2fa-setup-422');
      expectValidationFailed(await setup(acct.result.accessToken, {}), SETUP, 'password');
      expectValidationFailed(await setup(acct.result.accessToken, { password: acct.password, secret: 'AAAA' }), SETUP, 'secret');
    });

    it('401: without a token → UNAUTHORIZED', async () => {
      expectProblem(await setup(undefined, { password: 'whatever-password' }), 'post', SETUP, 401, 'UNAUTHORIZED');
    });
  });

  describe('POST /api/user/2fa/enable', () => {
    it('200: 10 distinct recovery codes (xxxxx-xxxxx); the user now has 2FA and login asks for a code', async () => {
      const acct = await registerAccount(server(), {}, '2fa-enable');
      const st = expectOk(await setup(acct.result.accessToken, { password: acct.password }), 'post', SETUP, 200);
      const r = await enable(acct.result.accessToken, { code: await totpDevice(st.secret).next() });
      const b = expectOk(r, 'post', ENABLE, 200);
      expect(b.recoveryCodes.length).toBe(10);
      for (const c of b.recoveryCodes) expect(c).toMatch(RECOVERY_RE);
      expect(new Set(b.recoveryCodes).size).toBe(10);
      const p = await getProfile(server(), acct.result.accessToken);
      expect(p.json.twoFactorEnabled).toBe(true);
      await loginChallenge(server(), acct.email, acct.password);
      expect(await waitAudit(server(), acct.result.user.id, 'auth.2fa.enabled')).toContain('auth.2fa.enabled');
    });

    it('400 INVALID_MFA_CODE: wrong code; still pending, and the right code then enables', async () => {
      const acct = await registerAccount(server(), {}, '2fa-enable-400');
      const st = expectOk(await setup(acct.result.accessToken, { password: acct.password }), 'post', SETUP, 200);
      expectProblem(await enable(acct.result.accessToken, { code: wrongTotp(st.secret) }), 'post', ENABLE, 400, 'INVALID_MFA_CODE');
      expectProblem(await enable(acct.result.accessToken, { code: 'abcde-fghjk' }), 'post', ENABLE, 400, 'INVALID_MFA_CODE');
      expect(expectOk(await status(acct.result.accessToken), 'get', STATUS, 200)).toEqual({ enabled: false, pending: true, recoveryCodesRemaining: 0 });
      expectOk(await enable(acct.result.accessToken, { code: await totpDevice(st.secret).next() }), 'post', ENABLE, 200);
    });

    it('409 TWO_FACTOR_NOT_PENDING: no setup started, or already enabled', async () => {
      const acct = await registerAccount(server(), {}, '2fa-enable-409');
      expectProblem(await enable(acct.result.accessToken, { code: '123456' }), 'post', ENABLE, 409, 'TWO_FACTOR_NOT_PENDING');
      const tf = await enableTwoFactor(server(), acct.result.accessToken, acct.password);
      expectProblem(await enable(acct.result.accessToken, { code: await totpDevice(tf.secret).next() }), 'post', ENABLE, 409, 'TWO_FACTOR_NOT_PENDING');
    });

    it('422: missing code → code; code of the wrong type', async () => {
      const acct = await registerAccount(server(), {}, '2fa-enable-422');
      expectValidationFailed(await enable(acct.result.accessToken, {}), ENABLE, 'code');
      expectValidationFailed(await enable(acct.result.accessToken, { code: 123456 }), ENABLE, 'code');
    });

    it('401: without a token → UNAUTHORIZED', async () => {
      expectProblem(await enable(undefined, { code: '123456' }), 'post', ENABLE, 401, 'UNAUTHORIZED');
    });
  });
});
