import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { request } from '../harness/http.js';
import { validateResponse, expectProblemShape } from '../harness/openapi.js';
import {
  GOOD_PASSWORD,
  HIGH_IP_LIMIT,
  dbQuery,
  expectAuthResult,
  expectPolicy,
  expectProblem,
  expectRefreshCookieSet,
  expectValidationFailed,
  getProfile,
  postJson,
  uniqueEmail,
  userFields,
} from './auth-helpers.js';

const PATH = '/api/auth/register' as const;

describe('POST /api/auth/register', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  it('201: AuthResult (USER, active, unverified, no 2FA, expiresIn 900) + __Host- refresh cookie; the token works', async () => {
    const email = uniqueEmail('reg');
    const before = Date.now();
    const r = await postJson(server(), PATH, { email, password: GOOD_PASSWORD, name: 'Ada Lovelace', company: 'Analytical Engines' });
    expect(r.status, r.text).toBe(201);
    expect(r.contentType).toMatch(/^application\/json\b/i);
    validateResponse('post', PATH, 201, r.contentType, r.text);
    const b = r.json;
    expectAuthResult(b, email);
    expect(b.user.email).toBe(email);
    expect(b.user.name).toBe('Ada Lovelace');
    expect(b.user.company).toBe('Analytical Engines');
    expect(b.user.emailVerified).toBe(false);
    expect(b.user.role).toBe('USER');
    expect(b.user.status).toBe('active');
    expect(b.user.twoFactorEnabled).toBe(false);
    const created = Date.parse(b.user.createdAt);
    expect(created).toBeGreaterThanOrEqual(before - 60_000);
    expect(created).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(r.text).not.toMatch(/password|argon2/i); // no hash or password echoed
    expectRefreshCookieSet(r, b.refreshToken);

    const p = await getProfile(server(), b.accessToken);
    expect(p.status, p.text).toBe(200);
    validateResponse('get', '/api/user/profile', 200, p.contentType, p.text);
    expect(userFields(p.json)).toEqual(userFields(b.user));

    // Registration creates the user and its personal organization (owner = the user).
    const org = await dbQuery(
      server(),
      `SELECT o.personal, o.owner_user_id::text AS owner, m.role FROM organizations o
         JOIN organization_members m ON m.organization_id = o.id AND m.user_id = o.owner_user_id
        WHERE o.id = $1`,
      [b.organizationId],
    );
    expect(org.rows).toEqual([{ personal: true, owner: b.user.id, role: 'OWNER' }]);

    // ...and queues the billing side effect for it (a no-op handler until the billing issue), exactly once.
    const jobs = await dbQuery(
      server(),
      `SELECT kind, payload->>'organizationId' AS org FROM jobs WHERE kind = 'stripe.create_customer'
          AND payload->>'organizationId' = $1`,
      [b.organizationId],
    );
    expect(jobs.rows).toEqual([{ kind: 'stripe.create_customer', org: b.organizationId }]);
  });

  it('201: name and company are optional (then null or absent); a 12-character uncommon password is enough', async () => {
    const email = uniqueEmail('reg-min');
    const r = await postJson(server(), PATH, { email, password: 'Zq7#vL2!mP9x' });
    expect(r.status, r.text).toBe(201);
    validateResponse('post', PATH, 201, r.contentType, r.text);
    expectAuthResult(r.json, email);
    expect(r.json.user.name ?? null).toBeNull();
    expect(r.json.user.company ?? null).toBeNull();
    expectRefreshCookieSet(r, r.json.refreshToken);
  });

  it('201: two registrations get different users, organizations and tokens', async () => {
    const [a, b] = [uniqueEmail('reg-a'), uniqueEmail('reg-b')];
    const ra = await postJson(server(), PATH, { email: a, password: GOOD_PASSWORD });
    const rb = await postJson(server(), PATH, { email: b, password: GOOD_PASSWORD });
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(ra.json.user.id).not.toBe(rb.json.user.id);
    expect(ra.json.organizationId).not.toBe(rb.json.organizationId);
    expect(ra.json.refreshToken).not.toBe(rb.json.refreshToken);
    expect(ra.json.accessToken).not.toBe(rb.json.accessToken);
  });

  it('409: the same email again → EMAIL_TAKEN', async () => {
    const email = uniqueEmail('dup');
    const first = await postJson(server(), PATH, { email, password: GOOD_PASSWORD });
    expect(first.status, first.text).toBe(201);
    const r = await postJson(server(), PATH, { email, password: 'another-Password-42' });
    const body = expectProblem(r, 'post', PATH, 409, 'EMAIL_TAKEN');
    expect(body).not.toHaveProperty('accessToken');
    expect(r.headers.getSetCookie().some((c) => c.startsWith('__Host-tollgate_refresh='))).toBe(false);
  });

  it('409: the email differs only in letter case → EMAIL_TAKEN (compared case-insensitively)', async () => {
    const email = uniqueEmail('dupcase');
    const first = await postJson(server(), PATH, { email, password: GOOD_PASSWORD });
    expect(first.status, first.text).toBe(201);
    expectProblem(await postJson(server(), PATH, { email: email.toUpperCase(), password: GOOD_PASSWORD }), 'post', PATH, 409, 'EMAIL_TAKEN');
    const mixed = email[0]!.toUpperCase() + email.slice(1, 10) + email.slice(10).toUpperCase();
    expectProblem(await postJson(server(), PATH, { email: mixed, password: GOOD_PASSWORD }), 'post', PATH, 409, 'EMAIL_TAKEN');
    const rows = await dbQuery(server(), 'SELECT count(*)::int AS n FROM users WHERE lower(email) = lower($1)', [email]);
    expect(rows.rows[0].n).toBe(1);
  });

  describe('422 VALIDATION_FAILED naming the field', () => {
    for (const bad of ['not-an-email', 'no-at-sign.example.com', '@example.com', 'a@', 'a b@example.com']) {
      it(`email ${JSON.stringify(bad)} → errors[] names email`, async () => {
        const r = await postJson(server(), PATH, { email: bad, password: GOOD_PASSWORD });
        expectValidationFailed(r, PATH, 'email');
      });
    }

    it('password of 11 characters → errors[] names password', async () => {
      const r = await postJson(server(), PATH, { email: uniqueEmail('short'), password: 'Zq7#vL2!mP9' });
      expectValidationFailed(r, PATH, 'password');
    });

    for (const common of ['password1234', 'qwertyuiop123']) {
      it(`common password ${JSON.stringify(common)} → errors[] names password`, async () => {
        const r = await postJson(server(), PATH, { email: uniqueEmail('common'), password: common });
        expectValidationFailed(r, PATH, 'password');
      });
    }

    it('unknown field (role: ADMIN) → errors[] names it; no account is created', async () => {
      const email = uniqueEmail('unknown');
      const r = await postJson(server(), PATH, { email, password: GOOD_PASSWORD, role: 'ADMIN' });
      expectValidationFailed(r, PATH, 'role');
      const rows = await dbQuery(server(), 'SELECT count(*)::int AS n FROM users WHERE lower(email) = lower($1)', [email]);
      expect(rows.rows[0].n).toBe(0);
    });

    it('missing password → errors[] names password', async () => {
      expectValidationFailed(await postJson(server(), PATH, { email: uniqueEmail('nopw') }), PATH, 'password');
    });

    it('missing email → errors[] names email', async () => {
      expectValidationFailed(await postJson(server(), PATH, { password: GOOD_PASSWORD }), PATH, 'email');
    });

    it('wrong type (email: 42) → errors[] names email', async () => {
      expectValidationFailed(await postJson(server(), PATH, { email: 42, password: GOOD_PASSWORD }), PATH, 'email');
    });
  });

  it('415: non-JSON Content-Type → problem+json UNSUPPORTED_MEDIA_TYPE', async () => {
    const email = uniqueEmail('415');
    const r = await postJson(server(), PATH, JSON.stringify({ email, password: GOOD_PASSWORD }), { 'content-type': 'text/plain' });
    expectProblem(r, 'post', PATH, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const r2 = await postJson(server(), PATH, `email=${encodeURIComponent(email)}&password=x`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expectProblem(r2, 'post', PATH, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    const r = await postJson(server(), PATH, `{"email": "${uniqueEmail('400')}", "password": `);
    expectProblem(r, 'post', PATH, 400, 'MALFORMED_JSON');
  });
});

describe('POST /api/auth/register behind the per-IP limiter (RATE_LIMIT_IP_MAX=2, 60s)', () => {
  const server = useServer({ RATE_LIMIT_IP_MAX: '2', RATE_LIMIT_IP_WINDOW: '60s' });
  printLogsOnFailure();

  it('429: the third registration from one IP → RATE_LIMITED with Retry-After, "ip" policy; nothing is created', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await postJson(server(), PATH, { email: uniqueEmail('rl'), password: GOOD_PASSWORD });
      expect(r.status, r.text).toBe(201);
      expectPolicy(r, 'ip', 2, 60);
    }
    const email = uniqueEmail('rl-blocked');
    const r = await postJson(server(), PATH, { email, password: GOOD_PASSWORD });
    expect(r.status, r.text).toBe(429);
    const body = expectProblemShape(429, r.contentType, r.text);
    expect(body.code).toBe('RATE_LIMITED');
    validateResponse('post', PATH, 429, r.contentType, r.text);
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter > 0, `Retry-After=${r.headers.get('retry-after')}`).toBe(true);
    expectPolicy(r, 'ip', 2, 60);
    const rows = await dbQuery(server(), 'SELECT count(*)::int AS n FROM users WHERE lower(email) = lower($1)', [email]);
    expect(rows.rows[0].n).toBe(0);
    // Not a cookie on a refused registration.
    expect(r.headers.getSetCookie().some((c) => c.startsWith('__Host-tollgate_refresh='))).toBe(false);
    // Still limited with a different body (per IP, not per email).
    const again = await request(server().baseUrl + '/api/version');
    expect(again.status).toBe(429);
  });
});
