import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import type { FetchResult } from '../harness/http.js';
import { validateResponse } from '../harness/openapi.js';
import {
  REFRESH_COOKIE,
  HIGH_IP_LIMIT,
  expectProblem,
  expectRefreshCookieCleared,
  expectValidationFailed,
  loginOk,
  postEmpty,
  postJson,
  registerAccount,
} from './auth-helpers.js';

const PATH = '/api/auth/logout' as const;
const REFRESH = '/api/auth/refresh' as const;

describe('POST /api/auth/logout', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  function expect204(r: FetchResult): void {
    expect(r.status, r.text).toBe(204);
    expect(r.text).toBe('');
    validateResponse('post', PATH, 204, r.contentType || null, r.text);
  }

  async function expectRefreshRefused(token: string): Promise<void> {
    const r = await postJson(server(), REFRESH, { refreshToken: token });
    expectProblem(r, 'post', REFRESH, 401, 'INVALID_REFRESH_TOKEN');
    const c = await postEmpty(server(), REFRESH, { cookie: `${REFRESH_COOKIE}=${token}` });
    expectProblem(c, 'post', REFRESH, 401, 'INVALID_REFRESH_TOKEN');
  }

  it('204 (token in the body): clears the cookie; the token no longer refreshes', async () => {
    const acct = await registerAccount(server(), {}, 'out-body');
    const r = await postJson(server(), PATH, { refreshToken: acct.result.refreshToken });
    expect204(r);
    expectRefreshCookieCleared(r);
    await expectRefreshRefused(acct.result.refreshToken);
  });

  it('204 (no body, cookie): clears the cookie; the token no longer refreshes', async () => {
    const acct = await registerAccount(server(), {}, 'out-cookie');
    const r = await postEmpty(server(), PATH, { cookie: `${REFRESH_COOKIE}=${acct.result.refreshToken}` });
    expect204(r);
    expectRefreshCookieCleared(r);
    await expectRefreshRefused(acct.result.refreshToken);
  });

  it('204 revokes the whole family: older (spent) and newest tokens of it are all refused', async () => {
    const acct = await registerAccount(server(), {}, 'out-family');
    const t0: string = acct.result.refreshToken;
    const r1 = await postJson(server(), REFRESH, { refreshToken: t0 });
    expect(r1.status, r1.text).toBe(200);
    const t1: string = r1.json.refreshToken;
    const r2 = await postJson(server(), REFRESH, { refreshToken: t1 });
    expect(r2.status, r2.text).toBe(200);
    const t2: string = r2.json.refreshToken;
    // Log out with the middle (already spent) token: the family, including t2, is revoked.
    const out = await postJson(server(), PATH, { refreshToken: t1 });
    expect204(out);
    expectRefreshCookieCleared(out);
    await expectRefreshRefused(t2);
    await expectRefreshRefused(t0);
  });

  it('204 with the newest token after rotations: every token of the family is refused', async () => {
    const acct = await registerAccount(server(), {}, 'out-newest');
    const r1 = await postJson(server(), REFRESH, { refreshToken: acct.result.refreshToken });
    expect(r1.status, r1.text).toBe(200);
    const out = await postEmpty(server(), PATH, { cookie: `${REFRESH_COOKIE}=${r1.json.refreshToken}` });
    expect204(out);
    expectRefreshCookieCleared(out);
    await expectRefreshRefused(r1.json.refreshToken);
    await expectRefreshRefused(acct.result.refreshToken);
  });

  it('logout revokes only that family: another session of the user keeps working', async () => {
    const acct = await registerAccount(server(), {}, 'out-other');
    const second = await loginOk(server(), acct.email, acct.password);
    expect204(await postJson(server(), PATH, { refreshToken: acct.result.refreshToken }));
    await expectRefreshRefused(acct.result.refreshToken);
    const r = await postJson(server(), REFRESH, { refreshToken: second.refreshToken });
    expect(r.status, r.text).toBe(200);
    validateResponse('post', REFRESH, 200, r.contentType, r.text);
  });

  it('204 without any token (no body, no cookie), and the cookie is still cleared', async () => {
    const r = await postEmpty(server(), PATH);
    expect204(r);
    expectRefreshCookieCleared(r);
    expect204(await postJson(server(), PATH, {}));
  });

  it('204 with an unknown or already revoked token', async () => {
    const unknown = await postJson(server(), PATH, { refreshToken: 'definitely-not-a-refresh-token' });
    expect204(unknown);
    expectRefreshCookieCleared(unknown);
    expect204(await postEmpty(server(), PATH, { cookie: `${REFRESH_COOKIE}=definitely-not-a-refresh-token` }));
    const acct = await registerAccount(server(), {}, 'out-twice');
    expect204(await postJson(server(), PATH, { refreshToken: acct.result.refreshToken }));
    expect204(await postJson(server(), PATH, { refreshToken: acct.result.refreshToken }));
  });

  it('422: unknown field → VALIDATION_FAILED naming it', async () => {
    expectValidationFailed(await postJson(server(), PATH, { refreshToken: 'x', everywhere: true }), PATH, 'everywhere');
  });

  it('415: non-JSON Content-Type with a body → UNSUPPORTED_MEDIA_TYPE', async () => {
    const r = await postJson(server(), PATH, 'refreshToken=abc', { 'content-type': 'text/plain' });
    expectProblem(r, 'post', PATH, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    expectProblem(await postJson(server(), PATH, '{"refreshToken": "abc"'), 'post', PATH, 400, 'MALFORMED_JSON');
  });
});
