import { describe, it, expect, beforeEach } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import type { FetchResult } from '../harness/http.js';
import { validateResponse } from '../harness/openapi.js';
import {
  GOOD_PASSWORD,
  HIGH_IP_LIMIT,
  SUBJECTS,
  enableTwoFactor,
  mailEnv,
  useSmtpSink,
  waitAudit,
  expectAuthResult,
  expectProblem,
  expectRefreshCookieSet,
  expectValidationFailed,
  getProfile,
  login as loginFrom127,
  median,
  postJson,
  registerAccount,
  suspendUser,
  uniqueEmail,
  userFields,
} from './auth-helpers.js';

const PATH = '/api/auth/login' as const;

/**
 * Every test gets its own client IP (X-Forwarded-For, believed from 127.0.0.1 where TRUSTED_PROXIES says so), so
 * the failed logins of one test never add up to the per-IP login throttle (20 failures / 15 min) of another.
 */
let clientIp = '203.0.113.1';
let ipCounter = 0;
beforeEach(() => {
  ipCounter++;
  clientIp = `203.0.${113 + Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
});
function login(s: Parameters<typeof loginFrom127>[0], email: string, password: string, headers: Record<string, string> = {}): Promise<FetchResult> {
  return loginFrom127(s, email, password, { 'x-forwarded-for': clientIp, ...headers });
}

/** The body with its requestId value blanked: what must be byte-identical between two 401s. */
function withoutRequestId(r: FetchResult): string {
  const rid = r.json?.requestId;
  expect(typeof rid).toBe('string');
  return r.text.split(JSON.stringify(rid)).join('"<requestId>"');
}

describe('POST /api/auth/login', () => {
  const server = useServer({ ...HIGH_IP_LIMIT, TRUSTED_PROXIES: '127.0.0.1/32' });
  printLogsOnFailure();

  it('200: AuthResult for the registered user + __Host- refresh cookie; new tokens, working access token', async () => {
    const acct = await registerAccount(server(), { name: 'Grace' }, 'login');
    const r = await login(server(), acct.email, acct.password);
    expect(r.status, r.text).toBe(200);
    expect(r.contentType).toMatch(/^application\/json\b/i);
    const b = expectOk(r);
    expectAuthResult(b, acct.email);
    expect(userFields(b.user)).toEqual(userFields(acct.result.user));
    expect(b.organizationId).toBe(acct.result.organizationId);
    expect(b.refreshToken).not.toBe(acct.result.refreshToken);
    expectRefreshCookieSet(r, b.refreshToken);
    const p = await getProfile(server(), b.accessToken);
    expect(p.status, p.text).toBe(200);
    expect(p.json.id).toBe(acct.result.user.id);
  });

  it('200: email lookup is case-insensitive', async () => {
    const acct = await registerAccount(server(), {}, 'login-case');
    const upper = await login(server(), acct.email.toUpperCase(), acct.password);
    expect(upper.status, upper.text).toBe(200);
    expect(expectOk(upper).user.id).toBe(acct.result.user.id);
    expectRefreshCookieSet(upper, upper.json.refreshToken);
    const mixed = acct.email.slice(0, 3).toUpperCase() + acct.email.slice(3);
    const r = await login(server(), mixed, acct.password);
    expect(r.status, r.text).toBe(200);
    expect(r.json.user.id).toBe(acct.result.user.id);
  });

  it('401: wrong password and unknown email → INVALID_CREDENTIALS, byte-identical bodies except requestId', async () => {
    const acct = await registerAccount(server(), {}, 'login-401');
    const wrong = await login(server(), acct.email, acct.password + 'x');
    const unknown = await login(server(), uniqueEmail('nobody'), acct.password);
    const wrongBody = expectProblem(wrong, 'post', PATH, 401, 'INVALID_CREDENTIALS');
    const unknownBody = expectProblem(unknown, 'post', PATH, 401, 'INVALID_CREDENTIALS');
    expect(wrongBody.requestId).not.toBe(unknownBody.requestId);
    expect(withoutRequestId(unknown)).toBe(withoutRequestId(wrong));
    expect(unknown.contentType).toBe(wrong.contentType);
    for (const r of [wrong, unknown]) {
      expect(r.headers.getSetCookie().some((c) => c.startsWith('__Host-tollgate_refresh='))).toBe(false);
    }
    // A short password is just a wrong password at login (the 12-character rule is for registration).
    expectProblem(await login(server(), acct.email, 'short'), 'post', PATH, 401, 'INVALID_CREDENTIALS');
    // The right password still works afterwards (3 failures < 5).
    expect((await login(server(), acct.email, acct.password)).status).toBe(200);
  });

  it('401: unknown email takes about as long as a wrong password (no user-enumeration by timing)', async () => {
    const acct = await registerAccount(server(), {}, 'login-timing');
    const wrongMs: number[] = [];
    const unknownMs: number[] = [];
    // 3 wrong passwords stay below the 5-failure lock; interleaved so load affects both alike.
    for (let i = 0; i < 3; i++) {
      const u = await login(server(), uniqueEmail('nobody'), acct.password);
      expect(u.status).toBe(401);
      unknownMs.push(u.ms);
      const w = await login(server(), acct.email, `wrong-password-${i}`);
      expect(w.status).toBe(401);
      wrongMs.push(w.ms);
    }
    const [mu, mw] = [median(unknownMs), median(wrongMs)];
    // argon2id verification costs tens of ms; skipping it for unknown emails would show as a large gap.
    expect(mu, `median unknown-email ${mu.toFixed(1)} ms vs wrong-password ${mw.toFixed(1)} ms`).toBeGreaterThan(mw * 0.4);
  });

  it('403: right password of a suspended account → ACCOUNT_SUSPENDED; a wrong password still → INVALID_CREDENTIALS', async () => {
    const acct = await registerAccount(server(), {}, 'login-susp');
    await suspendUser(server(), acct.email);
    const r = await login(server(), acct.email, acct.password);
    const body = expectProblem(r, 'post', PATH, 403, 'ACCOUNT_SUSPENDED');
    expect(body).not.toHaveProperty('accessToken');
    expect(r.headers.getSetCookie().some((c) => c.startsWith('__Host-tollgate_refresh='))).toBe(false);
    expectProblem(await login(server(), acct.email, acct.password + 'x'), 'post', PATH, 401, 'INVALID_CREDENTIALS');
    // Case-insensitive lookup applies here too.
    expectProblem(await login(server(), acct.email.toUpperCase(), acct.password), 'post', PATH, 403, 'ACCOUNT_SUSPENDED');
  });

  it('429: after 5 failed logins the account is locked → ACCOUNT_LOCKED with Retry-After, even with the right password', async () => {
    const acct = await registerAccount(server(), {}, 'login-lock');
    const other = await registerAccount(server(), {}, 'login-lock-other');
    for (let i = 0; i < 5; i++) {
      // Mixed letter case: the failures count for the account, not for the exact string typed.
      const email = i % 2 ? acct.email.toUpperCase() : acct.email;
      const r = await login(server(), email, `wrong-password-${i}`);
      expectProblem(r, 'post', PATH, 401, 'INVALID_CREDENTIALS');
    }
    const wrong = await login(server(), acct.email, 'wrong-password-6');
    expectLocked(wrong);
    const right = await login(server(), acct.email, acct.password);
    expectLocked(right);
    expect(right.headers.getSetCookie().some((c) => c.startsWith('__Host-tollgate_refresh='))).toBe(false);
    expectLocked(await login(server(), acct.email.toUpperCase(), acct.password));
    // The lock is per account: another account (same IP) signs in normally.
    const o = await login(server(), other.email, other.password);
    expect(o.status, o.text).toBe(200);
    expectOk(o);
  });

  it('200 mfaRequired for an account with 2FA: {mfaRequired: true, mfaToken, expiresIn: 300}, no tokens, no cookie', async () => {
    const acct = await registerAccount(server(), {}, 'login-mfa');
    await enableTwoFactor(server(), acct.result.accessToken, acct.password);
    const r = await login(server(), acct.email, acct.password);
    const b = expectOk(r);
    expect(b.mfaRequired).toBe(true);
    expect(typeof b.mfaToken).toBe('string');
    expect(b.mfaToken.length).toBeGreaterThanOrEqual(20);
    expect(b.expiresIn).toBe(300);
    expect(b).not.toHaveProperty('accessToken');
    expect(b).not.toHaveProperty('refreshToken');
    expect(b).not.toHaveProperty('user');
    expect(r.headers.getSetCookie().some((c) => c.startsWith('__Host-tollgate_refresh='))).toBe(false);
    // The mfaToken is no access token.
    expect((await getProfile(server(), b.mfaToken)).status).toBe(401);
    // A wrong password of a 2FA account is the usual 401.
    expectProblem(await login(server(), acct.email, acct.password + 'x'), 'post', PATH, 401, 'INVALID_CREDENTIALS');
    // Each login gets its own challenge.
    const again = expectOk(await login(server(), acct.email, acct.password));
    expect(again.mfaToken).not.toBe(b.mfaToken);
    expect(await waitAudit(server(), acct.result.user.id, 'auth.login.mfa_required')).toContain('auth.login.mfa_required');
  });

  describe('422 VALIDATION_FAILED naming the field', () => {
    it('unknown field → errors[] names it', async () => {
      const r = await postJson(server(), PATH, { email: uniqueEmail('x'), password: 'whatever-password', remember: true });
      expectValidationFailed(r, PATH, 'remember');
    });

    it('missing password → errors[] names password', async () => {
      expectValidationFailed(await postJson(server(), PATH, { email: uniqueEmail('x') }), PATH, 'password');
    });

    it('missing email → errors[] names email', async () => {
      expectValidationFailed(await postJson(server(), PATH, { password: 'whatever-password' }), PATH, 'email');
    });

    it('wrong type (password: 12345678901234) → errors[] names password', async () => {
      expectValidationFailed(await postJson(server(), PATH, { email: uniqueEmail('x'), password: 12345678901234 }), PATH, 'password');
    });
  });

  it('415: non-JSON Content-Type → UNSUPPORTED_MEDIA_TYPE', async () => {
    const r = await postJson(server(), PATH, JSON.stringify({ email: uniqueEmail('x'), password: 'whatever-password' }), {
      'content-type': 'text/plain',
    });
    expectProblem(r, 'post', PATH, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    expectProblem(await postJson(server(), PATH, '{"email": "a@example.com",'), 'post', PATH, 400, 'MALFORMED_JSON');
  });
});

describe('POST /api/auth/login per-IP throttle (TRUSTED_PROXIES=127.0.0.1/32, X-Forwarded-For as the client IP)', () => {
  // The generic /api limiter is raised so that only the login throttle can trip.
  const server = useServer({ ...HIGH_IP_LIMIT, TRUSTED_PROXIES: '127.0.0.1/32' });
  printLogsOnFailure();

  it('429 TOO_MANY_ATTEMPTS with Retry-After after 20 failed logins from one IP — also for a right password; other IPs unaffected', async () => {
    const victim = await registerAccount(server(), {}, 'login-ipthrottle');
    const ip = { 'x-forwarded-for': '198.51.100.20' };
    // 20 failures against 20 different (unknown) addresses: no account reaches its own lock.
    for (let i = 0; i < 20; i++) {
      const r = await login(server(), uniqueEmail(`spray-${i}`), 'wrong-password-spray', ip);
      expectProblem(r, 'post', PATH, 401, 'INVALID_CREDENTIALS');
    }
    expectTooManyAttempts(await login(server(), uniqueEmail('spray-21'), 'wrong-password-spray', ip));
    const right = await login(server(), victim.email, victim.password, ip);
    expectTooManyAttempts(right);
    expect(right.headers.getSetCookie().some((c) => c.startsWith('__Host-tollgate_refresh='))).toBe(false);
    // Another client IP signs in normally, and so does the same account from there.
    const other = await login(server(), victim.email, victim.password, { 'x-forwarded-for': '198.51.100.21' });
    expect(other.status, other.text).toBe(200);
    expectOk(other);
  });
});

describe('POST /api/auth/login from a new device mails the user', () => {
  const sink = useSmtpSink();
  const server = useServer(() => mailEnv(sink()));
  printLogsOnFailure();

  it('a sign-in with a user agent never seen on the account → "New sign-in to your account" (once per device)', async () => {
    const email = uniqueEmail('login-newdev');
    const reg = await postJson(server(), '/api/auth/register', { email, password: GOOD_PASSWORD }, { 'user-agent': 'KnownBrowser/1.0' });
    expect(reg.status, reg.text).toBe(201);
    const ua = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) NeverSeenBrowser/99.0' };
    expect((await login(server(), email, GOOD_PASSWORD, ua)).status).toBe(200);
    const mail = await sink().waitForMail({ to: email, subject: SUBJECTS.newSignIn });
    expect(mail.text).not.toContain(GOOD_PASSWORD);
    // The same device again is no longer new.
    const mark = sink().messages().length;
    expect((await login(server(), email, GOOD_PASSWORD, ua)).status).toBe(200);
    await sink().expectNoMail({ to: email, subject: SUBJECTS.newSignIn }, 3000, mark);
  });
});

function expectTooManyAttempts(r: FetchResult): void {
  expectProblem(r, 'post', PATH, 429, 'TOO_MANY_ATTEMPTS');
  const ra = r.headers.get('retry-after');
  const n = Number(ra);
  expect(Number.isInteger(n) && n > 0, `Retry-After=${ra}`).toBe(true);
  expect(n).toBeLessThanOrEqual(24 * 3600);
}

/** 200 whose body matches the spec (AuthResult or MfaChallenge); returns it. */
function expectOk(r: FetchResult): any {
  expect(r.status, r.text).toBe(200);
  validateResponse('post', PATH, 200, r.contentType, r.text);
  return r.json;
}

function expectLocked(r: FetchResult): void {
  expectProblem(r, 'post', PATH, 429, 'ACCOUNT_LOCKED');
  const ra = r.headers.get('retry-after');
  const n = Number(ra);
  expect(Number.isInteger(n) && n > 0, `Retry-After=${ra}`).toBe(true);
  // The lock follows failures "within 15 minutes"; it cannot sensibly outlast a day.
  expect(n).toBeLessThanOrEqual(24 * 3600);
}
