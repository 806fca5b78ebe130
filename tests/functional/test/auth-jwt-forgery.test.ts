/**
 * Acceptance: forged, confused and mangled tokens against GET /api/user/profile — every one is 401 UNAUTHORIZED,
 * none is a 5xx. The harness passes JWT_SECRET, so the test can sign "almost right" tokens with the real key
 * (iss `tollgate`, aud `tollgate-api`, typ `access`); a control re-signing proves those tokens are otherwise valid.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import crypto from 'node:crypto';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { request } from '../harness/http.js';
import {
  HIGH_IP_LIMIT,
  decodeJwt,
  enableTwoFactor,
  expectProblem,
  getProfile,
  loginChallenge,
  registerAccount,
  signHs256,
  type Account,
} from './auth-helpers.js';

const PATH = '/api/user/profile' as const;

const b64 = (obj: unknown) => Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj)).toString('base64url');

function hmac(alg: 'sha256' | 'sha384' | 'sha512', key: string, input: string): string {
  return crypto.createHmac(alg, key).update(input).digest('base64url');
}

describe('JWT forgery corpus against GET /api/user/profile', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  let acct: Account;
  let header: any;
  let payload: any;
  let mfaToken: string;
  const secret = () => server().env.JWT_SECRET!;
  const now = () => Math.floor(Date.now() / 1000);
  const resign = (changes: Record<string, unknown>, drop: string[] = []) => {
    const p: Record<string, unknown> = { ...payload, ...changes };
    for (const k of drop) delete p[k];
    return signHs256(header, p, secret());
  };

  beforeAll(async () => {
    acct = await registerAccount(server(), {}, 'forgery');
    ({ header, payload } = decodeJwt(acct.result.accessToken));
    const victim = await registerAccount(server(), {}, 'forgery-2fa');
    await enableTwoFactor(server(), victim.result.accessToken, victim.password);
    mfaToken = await loginChallenge(server(), victim.email, victim.password);
  });

  it('control: the real token and an untouched re-signing with the known key are accepted (so the cases below test one thing each)', async () => {
    expect(payload.iss).toBe('tollgate');
    expect(payload.aud).toBe('tollgate-api');
    expect(payload.typ).toBe('access');
    expect(header.alg).toBe('HS256');
    for (const t of [acct.result.accessToken, resign({})]) {
      const r = await getProfile(server(), t);
      expect(r.status, r.text).toBe(200);
      expect(r.json.id).toBe(acct.result.user.id);
    }
  });

  const cases: Array<[string, () => string | Promise<string>]> = [
    ['alg "none", empty signature', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`],
    ['alg "None"', () => `${b64({ alg: 'None', typ: 'JWT' })}.${b64(payload)}.`],
    ['alg "NONE" with the original signature', () => `${b64({ alg: 'NONE', typ: 'JWT' })}.${b64(payload)}.${acct.result.accessToken.split('.')[2]}`],
    ['no alg at all (HMAC-signed with the real key)', () => {
      const input = `${b64({ typ: 'JWT' })}.${b64(payload)}`;
      return `${input}.${hmac('sha256', secret(), input)}`;
    }],
    ['HS→RS confusion: alg RS256 with an RSA signature from an attacker key', () => {
      const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
      const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}`;
      return `${input}.${crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    }],
    ['HS↔RS confusion: alg RS256 header but an HMAC-SHA256 signature with the real key', () => {
      const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}`;
      return `${input}.${hmac('sha256', secret(), input)}`;
    }],
    ['alg HS512 signed with the real key', () => {
      const input = `${b64({ alg: 'HS512', typ: 'JWT' })}.${b64(payload)}`;
      return `${input}.${hmac('sha512', secret(), input)}`;
    }],
    ['alg ES256 with garbage signature', () => `${b64({ alg: 'ES256', typ: 'JWT' })}.${b64(payload)}.${crypto.randomBytes(64).toString('base64url')}`],
    ['empty signature (HS256 header)', () => acct.result.accessToken.split('.').slice(0, 2).join('.') + '.'],
    ['truncated signature (last character cut)', () => acct.result.accessToken.slice(0, -1)],
    ['truncated signature (half)', () => {
      const [h, p, s] = acct.result.accessToken.split('.');
      return `${h}.${p}.${s!.slice(0, 21)}`;
    }],
    ['signature padded with base64 "="', () => acct.result.accessToken + '='],
    ['two segments (no signature part)', () => acct.result.accessToken.split('.').slice(0, 2).join('.')],
    ['four segments', () => `${acct.result.accessToken}.${acct.result.accessToken.split('.')[2]}`],
    ['signed with another key', () => signHs256(header, payload, 'attacker-chosen-key-0123456789abcdef0123456789')],
    ['signed with an empty key', () => signHs256(header, payload, '')],
    ['tampered payload (role ADMIN) keeping the signature', () => {
      const [h, , s] = acct.result.accessToken.split('.');
      return `${h}.${b64({ ...payload, role: 'ADMIN' })}.${s}`;
    }],
    ['expired by 1 second', () => resign({ exp: now() - 1 })],
    ['nbf in the future', () => resign({ nbf: now() + 120 })],
    ['no exp claim', () => resign({}, ['exp'])],
    ['exp as a string', () => resign({ exp: String(now() + 600) })],
    ['wrong iss', () => resign({ iss: 'tollgate-evil' })],
    ['no iss', () => resign({}, ['iss'])],
    ['wrong aud', () => resign({ aud: 'some-other-api' })],
    ['typ "refresh"', () => resign({ typ: 'refresh' })],
    ['typ "mfa_pending"', () => resign({ typ: 'mfa_pending' })],
    ['no typ claim', () => resign({}, ['typ'])],
    ['sub of a user that does not exist', () => resign({ sub: crypto.randomUUID() })],
    ['empty sub', () => resign({ sub: '' })],
    ['the mfaToken of a 2FA login used as an access token', () => mfaToken],
    ['the refresh token used as an access token', () => acct.result.refreshToken],
    ['payload that is not JSON', () => {
      const input = `${b64(header)}.${b64('not json')}`;
      return `${input}.${hmac('sha256', secret(), input)}`;
    }],
    ['header that is not JSON', () => {
      const input = `${b64('{"alg":"HS256"')}.${b64(payload)}`;
      return `${input}.${hmac('sha256', secret(), input)}`;
    }],
    ['8 KiB token (over the token size cap, under the header limit)', () => resign({ pad: 'x'.repeat(8 * 1024) })],
  ];

  it('has at least 15 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it.each(cases)('401 UNAUTHORIZED: %s', async (_name, make) => {
    const token = await make();
    const r = await getProfile(server(), token);
    expect(r.status, `${r.status}: ${r.text.slice(0, 300)}`).toBeLessThan(500);
    expectProblem(r, 'get', PATH, 401, 'UNAUTHORIZED');
  });

  it('64 KiB token: refused (401, or 431 when it exceeds the header limit), never a 5xx; the server stays up', async () => {
    const token = resign({ pad: 'y'.repeat(64 * 1024) });
    const r = await request(server().baseUrl + PATH, { headers: { authorization: `Bearer ${token}` } });
    expect([401, 431], `${r.status}: ${r.text.slice(0, 300)}`).toContain(r.status);
    if (r.status === 401) expectProblem(r, 'get', PATH, 401, 'UNAUTHORIZED');
    else expect(r.json?.code).toBe('HEADERS_TOO_LARGE');
    const ok = await getProfile(server(), acct.result.accessToken);
    expect(ok.status).toBe(200);
  });
});
