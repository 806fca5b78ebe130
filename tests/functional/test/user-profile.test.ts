import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { request, type FetchResult } from '../harness/http.js';
import { validateResponse, expectProblemShape } from '../harness/openapi.js';
import {
  HIGH_IP_LIMIT,
  algNone,
  api,
  waitAudit,
  decodeJwt,
  expectPolicy,
  expectProblem,
  getProfile,
  loginOk,
  registerAccount,
  signHs256,
  tamperPayload,
  type Account,
  userFields,
} from './auth-helpers.js';

const PATH = '/api/user/profile' as const;

function expect200(r: FetchResult): any {
  expect(r.status, r.text).toBe(200);
  expect(r.contentType).toMatch(/^application\/json\b/i);
  validateResponse('get', PATH, 200, r.contentType, r.text);
  return r.json;
}

const unauthorized = (r: FetchResult) => expectProblem(r, 'get', PATH, 401, 'UNAUTHORIZED');

describe('GET /api/user/profile', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();
  let acct: Account;
  const token = () => acct.result.accessToken as string;
  beforeAll(async () => {
    acct = await registerAccount(server(), { name: 'Profile Person', company: 'Acme' }, 'profile');
  });

  it('200: the signed-in user (same object as in the AuthResult) with a Bearer access token', async () => {
    const u = expect200(await getProfile(server(), token()));
    expect(userFields(u)).toEqual(userFields(acct.result.user));
    expect(u.email).toBe(acct.email);
    expect(u.name).toBe('Profile Person');
    expect(u.company).toBe('Acme');
    expect(u.role).toBe('USER');
    expect(u.status).toBe('active');
    expect(u.emailVerified).toBe(false);
    expect(u.twoFactorEnabled).toBe(false);
    // The scheme name is case-insensitive (RFC 7235).
    expect(expect200(await getProfile(server(), undefined, `bearer ${token()}`)).id).toBe(u.id);
  });

  it('200: each user sees only themself (login token of a second user)', async () => {
    const other = await registerAccount(server(), {}, 'profile-2');
    const l = await loginOk(server(), other.email, other.password);
    const u = expect200(await getProfile(server(), l.accessToken));
    expect(u.id).toBe(other.result.user.id);
    expect(u.id).not.toBe(acct.result.user.id);
  });

  it('401: no Authorization header → UNAUTHORIZED', async () => {
    unauthorized(await getProfile(server()));
  });

  it('401: garbage or malformed Bearer values → UNAUTHORIZED', async () => {
    for (const auth of ['Bearer garbage', 'Bearer ', 'Bearer a.b.c', 'Bearer ' + 'x'.repeat(5000), `Basic ${Buffer.from('a:b').toString('base64')}`, token()]) {
      unauthorized(await getProfile(server(), undefined, auth));
    }
  });

  it('401: an `alg: none` token carrying a real payload → UNAUTHORIZED', async () => {
    unauthorized(await getProfile(server(), algNone(token())));
    // Also with the original signature kept after the dot.
    const [, p, s] = token().split('.');
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    unauthorized(await getProfile(server(), `${noneHeader}.${p}.${s}`));
  });

  it('401: a tampered payload (signature kept) → UNAUTHORIZED', async () => {
    unauthorized(await getProfile(server(), tamperPayload(token(), (pl) => (pl.role = 'ADMIN'))));
    unauthorized(await getProfile(server(), tamperPayload(token(), (pl) => (pl.exp = Number(pl.exp) + 3600))));
    const other = await registerAccount(server(), {}, 'profile-victim');
    unauthorized(await getProfile(server(), tamperPayload(token(), (pl) => (pl.sub = other.result.user.id))));
  });

  it('401: a token signed with another key, or an expired one signed with the right key → UNAUTHORIZED', async () => {
    const { header, payload } = decodeJwt(token());
    unauthorized(await getProfile(server(), signHs256(header, payload, 'not-the-server-secret-0123456789abcdef')));
    const now = Math.floor(Date.now() / 1000);
    const expired = { ...payload, iat: now - 7200, nbf: now - 7200, exp: now - 3600 };
    unauthorized(await getProfile(server(), signHs256(header, expired, server().env.JWT_SECRET!)));
    // Control: the same re-signing with the payload untouched is accepted, so the 401 above is about `exp`.
    expect200(await getProfile(server(), signHs256(header, payload, server().env.JWT_SECRET!)));
  });

  it('authenticated requests carry the "user" RateLimit-Policy (q=1000, w=900 by default); anonymous ones the "ip" policy', async () => {
    const authed = await getProfile(server(), token());
    expect200(authed);
    expectPolicy(authed, 'user', 1000, 900);
    const anon = await getProfile(server());
    expect(anon.status).toBe(401);
    expectPolicy(anon, 'ip', 100000, 900);
    const version = await request(server().baseUrl + '/api/version', { headers: { authorization: `Bearer ${token()}` } });
    expect(version.status).toBe(200);
    expectPolicy(version, 'user', 1000, 900);
  });
});

describe('GET /api/user/profile rate limits per user, not per IP (IP max 3, user max 3, windows 60s)', () => {
  const server = useServer({ RATE_LIMIT_IP_MAX: '3', RATE_LIMIT_IP_WINDOW: '60s', RATE_LIMIT_USER_MAX: '3', RATE_LIMIT_USER_WINDOW: '60s' });
  printLogsOnFailure();

  function expectRateLimited(r: FetchResult, name: 'ip' | 'user', path: string): void {
    expect(r.status, r.text).toBe(429);
    const body = expectProblemShape(429, r.contentType, r.text);
    expect(body.code).toBe('RATE_LIMITED');
    const ra = Number(r.headers.get('retry-after'));
    expect(Number.isInteger(ra) && ra > 0, `Retry-After=${r.headers.get('retry-after')}`).toBe(true);
    expectPolicy(r, name, 3, 60);
    validateResponse('get', path, 429, r.contentType, r.text);
  }

  it('an exhausted IP budget does not block signed-in users; each user has an own budget', async () => {
    // Two anonymous registrations, one anonymous call: the IP budget (3) is spent.
    const a = await registerAccount(server(), {}, 'rl-a');
    const b = await registerAccount(server(), {}, 'rl-b');
    const anon = await request(server().baseUrl + '/api/version');
    expect(anon.status).toBe(200);
    expectRateLimited(await request(server().baseUrl + '/api/version'), 'ip', '/api/version');
    expectRateLimited(await getProfile(server()), 'ip', PATH);

    // Same IP, signed in: the user budget applies.
    for (let i = 0; i < 3; i++) {
      const r = await getProfile(server(), a.result.accessToken);
      expect200(r);
      expectPolicy(r, 'user', 3, 60);
      expect(r.headers.get('x-ratelimit-remaining')).toBe(String(2 - i));
    }
    expectRateLimited(await getProfile(server(), a.result.accessToken), 'user', PATH);

    // Another user from the same IP is not affected by A's exhaustion.
    const rb = await getProfile(server(), b.result.accessToken);
    expect200(rb);
    expectPolicy(rb, 'user', 3, 60);
  });
});

describe('PATCH /api/user/profile', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  const patch = (token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    api(server(), 'patch', PATH, { token, body, headers });

  function expectPatched(r: FetchResult): any {
    expect(r.status, r.text).toBe(200);
    expect(r.contentType).toMatch(/^application\/json\b/i);
    validateResponse('patch', PATH, 200, r.contentType, r.text);
    return r.json;
  }

  it('200: sets name, company and an https avatarUrl; GET shows the same user', async () => {
    const acct = await registerAccount(server(), {}, 'patch-set');
    const u = expectPatched(
      await patch(acct.result.accessToken, { name: 'Barbara Liskov', company: 'CLU Inc', avatarUrl: 'https://cdn.example.com/a/b.png' }),
    );
    expect(u.id).toBe(acct.result.user.id);
    expect(u.email).toBe(acct.email);
    expect(u.name).toBe('Barbara Liskov');
    expect(u.company).toBe('CLU Inc');
    expect(u.avatarUrl).toBe('https://cdn.example.com/a/b.png');
    const g = await getProfile(server(), acct.result.accessToken);
    expect200(g);
    expect(userFields(g.json)).toEqual(userFields(u));
    expect(g.json.avatarUrl).toBe('https://cdn.example.com/a/b.png');
    expect(await waitAudit(server(), acct.result.user.id, 'account.updated')).toContain('account.updated');
  });

  it('200: a partial update keeps the other fields; null clears a field', async () => {
    const acct = await registerAccount(server(), { name: 'Keep Me', company: 'Old Co' }, 'patch-partial');
    let u = expectPatched(await patch(acct.result.accessToken, { company: 'New Co' }));
    expect(u.name).toBe('Keep Me');
    expect(u.company).toBe('New Co');
    u = expectPatched(await patch(acct.result.accessToken, { avatarUrl: 'https://example.com/me.jpg' }));
    expect(u.company).toBe('New Co');
    u = expectPatched(await patch(acct.result.accessToken, { company: null, avatarUrl: null }));
    expect(u.name).toBe('Keep Me');
    expect(u.company ?? null).toBeNull();
    expect(u.avatarUrl ?? null).toBeNull();
    const g = expect200(await getProfile(server(), acct.result.accessToken));
    expect(g.company ?? null).toBeNull();
    expect(g.avatarUrl ?? null).toBeNull();
    expect(g.name).toBe('Keep Me');
  });

  describe('422 VALIDATION_FAILED naming the field', () => {
    let acct: Account;
    beforeAll(async () => {
      acct = await registerAccount(server(), { name: 'Unchanged' }, 'patch-422');
    });
    const bad = async (body: unknown, field: string) => {
      const r = await patch(acct.result.accessToken, body);
      expectProblem(r, 'patch', PATH, 422, 'VALIDATION_FAILED');
      expect(
        (r.json.errors ?? []).some((e: { field: string }) => typeof e.field === 'string' && e.field.includes(field)),
        `errors[] does not name "${field}": ${r.text}`,
      ).toBe(true);
    };

    for (const url of ['http://example.com/a.png', 'javascript:alert(1)', 'data:image/png;base64,AAAA', '//example.com/a.png', 'not a url']) {
      it(`avatarUrl ${JSON.stringify(url)} (not https://) → avatarUrl`, async () => {
        await bad({ avatarUrl: url }, 'avatarUrl');
      });
    }
    it('avatarUrl longer than 2048 characters → avatarUrl', async () => {
      await bad({ avatarUrl: 'https://example.com/' + 'a'.repeat(2100) }, 'avatarUrl');
    });
    it('name longer than 200 characters → name', async () => {
      await bad({ name: 'n'.repeat(201) }, 'name');
    });
    it('company of the wrong type → company', async () => {
      await bad({ company: 42 }, 'company');
    });
    it('a field that is not editable here (email, role) → names it', async () => {
      await bad({ email: 'new@example.com' }, 'email');
      await bad({ role: 'ADMIN' }, 'role');
    });
    it('empty object → 422; nothing changed', async () => {
      const r = await patch(acct.result.accessToken, {});
      expectProblem(r, 'patch', PATH, 422, 'VALIDATION_FAILED');
      const g = expect200(await getProfile(server(), acct.result.accessToken));
      expect(g.name).toBe('Unchanged');
      expect(g.role).toBe('USER');
    });
  });

  it('401: without a token → UNAUTHORIZED', async () => {
    expectProblem(await patch(undefined, { name: 'x' }), 'patch', PATH, 401, 'UNAUTHORIZED');
  });

  it('415: non-JSON Content-Type → UNSUPPORTED_MEDIA_TYPE', async () => {
    const acct = await registerAccount(server(), {}, 'patch-415');
    const r = await patch(acct.result.accessToken, 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expectProblem(r, 'patch', PATH, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    const acct = await registerAccount(server(), {}, 'patch-400');
    expectProblem(await patch(acct.result.accessToken, '{"name": '), 'patch', PATH, 400, 'MALFORMED_JSON');
  });
});
