import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import type { FetchResult } from '../harness/http.js';
import { validateResponse } from '../harness/openapi.js';
import {
  REFRESH_COOKIE,
  HIGH_IP_LIMIT,
  expectAuthResult,
  expectProblem,
  expectRefreshCookieSet,
  expectValidationFailed,
  expireSessions,
  getProfile,
  loginOk,
  postEmpty,
  postJson,
  registerAccount,
  userFields,
} from './auth-helpers.js';

const PATH = '/api/auth/refresh' as const;

describe('POST /api/auth/refresh', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  const byBody = (token: string) => postJson(server(), PATH, { refreshToken: token });
  const byCookie = (token: string) => postEmpty(server(), PATH, { cookie: `${REFRESH_COOKIE}=${token}` });

  /** 200 AuthResult with a NEW refresh token (also in the cookie) and a working access token. */
  async function expectRotated(r: FetchResult, email: string, userId: string, old: string): Promise<any> {
    expect(r.status, r.text).toBe(200);
    validateResponse('post', PATH, 200, r.contentType, r.text);
    const b = r.json;
    expectAuthResult(b, email);
    expect(b.user.id).toBe(userId);
    expect(b.refreshToken).not.toBe(old);
    expectRefreshCookieSet(r, b.refreshToken);
    const p = await getProfile(server(), b.accessToken);
    expect(p.status, p.text).toBe(200);
    expect(p.json.id).toBe(userId);
    return b;
  }

  const invalid = (r: FetchResult) => expectProblem(r, 'post', PATH, 401, 'INVALID_REFRESH_TOKEN');

  it('200 (token in the body): new access token and a NEW refresh token + cookie; the user and organization stay', async () => {
    const acct = await registerAccount(server(), {}, 'ref-body');
    const b = await expectRotated(await byBody(acct.result.refreshToken), acct.email, acct.result.user.id, acct.result.refreshToken);
    expect(userFields(b.user)).toEqual(userFields(acct.result.user));
    expect(b.organizationId).toBe(acct.result.organizationId);
    // The new token is the live one of the family: it rotates again.
    await expectRotated(await byBody(b.refreshToken), acct.email, acct.result.user.id, b.refreshToken);
  });

  it('200 (no body, cookie __Host-tollgate_refresh): rotates like the body form', async () => {
    const acct = await registerAccount(server(), {}, 'ref-cookie');
    const b = await expectRotated(await byCookie(acct.result.refreshToken), acct.email, acct.result.user.id, acct.result.refreshToken);
    // Cookie → body → cookie: the forms are interchangeable within one family.
    const c = await expectRotated(await byBody(b.refreshToken), acct.email, acct.result.user.id, b.refreshToken);
    await expectRotated(await byCookie(c.refreshToken), acct.email, acct.result.user.id, c.refreshToken);
  });

  it('200: a token issued by login refreshes too', async () => {
    const acct = await registerAccount(server(), {}, 'ref-login');
    const l = await loginOk(server(), acct.email, acct.password);
    await expectRotated(await byBody(l.refreshToken), acct.email, acct.result.user.id, l.refreshToken);
  });

  it('401: no token at all (no body, no cookie) → INVALID_REFRESH_TOKEN', async () => {
    invalid(await postEmpty(server(), PATH));
    invalid(await postJson(server(), PATH, {}));
  });

  it('401: unknown tokens → INVALID_REFRESH_TOKEN', async () => {
    invalid(await byBody('definitely-not-a-refresh-token'));
    invalid(await byBody(''));
    invalid(await byCookie('definitely-not-a-refresh-token'));
    const acct = await registerAccount(server(), {}, 'ref-unknown');
    // A one-character change of a real token (the first character: the last one of base64 may be padding bits).
    const t: string = acct.result.refreshToken;
    invalid(await byBody((t.startsWith('A') ? 'B' : 'A') + t.slice(1)));
    invalid(await byBody(t + 'A'));
    // The real token still works after those attempts (they were not "reuse" of it).
    await expectRotated(await byBody(t), acct.email, acct.result.user.id, t);
  });

  it('401: an expired token → INVALID_REFRESH_TOKEN', async () => {
    const acct = await registerAccount(server(), {}, 'ref-expired');
    expect(await expireSessions(server(), acct.email)).toBeGreaterThanOrEqual(1);
    invalid(await byBody(acct.result.refreshToken));
    invalid(await byCookie(acct.result.refreshToken));
  });

  it('401: a revoked token (after logout) → INVALID_REFRESH_TOKEN', async () => {
    const acct = await registerAccount(server(), {}, 'ref-revoked');
    const out = await postJson(server(), '/api/auth/logout', { refreshToken: acct.result.refreshToken });
    expect(out.status, out.text).toBe(204);
    invalid(await byBody(acct.result.refreshToken));
  });

  it('401 reuse detection: presenting a spent token fails AND revokes the family, so its newest token fails too', async () => {
    const acct = await registerAccount(server(), {}, 'ref-reuse');
    const t0: string = acct.result.refreshToken;
    const t1 = (await expectRotated(await byBody(t0), acct.email, acct.result.user.id, t0)).refreshToken as string;
    invalid(await byBody(t0)); // reuse of the spent token
    invalid(await byBody(t1)); // the family is gone: the newest token is refused as well
    invalid(await byCookie(t1));
  });

  it('401 reuse detection reaches back: reusing the first of three rotations kills the current token', async () => {
    const acct = await registerAccount(server(), {}, 'ref-reuse3');
    const t0: string = acct.result.refreshToken;
    const t1 = (await expectRotated(await byBody(t0), acct.email, acct.result.user.id, t0)).refreshToken as string;
    const t2 = (await expectRotated(await byCookie(t1), acct.email, acct.result.user.id, t1)).refreshToken as string;
    invalid(await byCookie(t0));
    invalid(await byBody(t2));
  });

  it('reuse revokes only that family: another login of the same user keeps refreshing', async () => {
    const acct = await registerAccount(server(), {}, 'ref-families');
    const other = await loginOk(server(), acct.email, acct.password); // a second family
    const t0: string = acct.result.refreshToken;
    const t1 = (await expectRotated(await byBody(t0), acct.email, acct.result.user.id, t0)).refreshToken as string;
    invalid(await byBody(t0));
    invalid(await byBody(t1));
    await expectRotated(await byBody(other.refreshToken), acct.email, acct.result.user.id, other.refreshToken);
  });

  it('422: unknown field → VALIDATION_FAILED naming it', async () => {
    const acct = await registerAccount(server(), {}, 'ref-422');
    expectValidationFailed(await postJson(server(), PATH, { refreshToken: acct.result.refreshToken, userId: acct.result.user.id }), PATH, 'userId');
    expectValidationFailed(await postJson(server(), PATH, { refreshToken: 12345 }), PATH, 'refreshToken');
  });

  it('415: non-JSON Content-Type with a body → UNSUPPORTED_MEDIA_TYPE', async () => {
    const r = await postJson(server(), PATH, 'refreshToken=abc', { 'content-type': 'application/x-www-form-urlencoded' });
    expectProblem(r, 'post', PATH, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    expectProblem(await postJson(server(), PATH, '{"refreshToken": '), 'post', PATH, 400, 'MALFORMED_JSON');
  });
});
