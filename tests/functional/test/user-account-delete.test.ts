import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import {
  HIGH_IP_LIMIT,
  api,
  dbQuery,
  expectOk,
  expectProblem,
  expectRefreshRefused,
  expectRefreshWorks,
  expectValidationFailed,
  login,
  loginOk,
  postJson,
  registerAndLogin,
  registerAccount,
} from './auth-helpers.js';

const PATH = '/api/user/account' as const;

describe('DELETE /api/user/account', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  const del = (token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    api(server(), 'delete', PATH, { token, body, headers });

  it('204: afterwards login fails with 401 INVALID_CREDENTIALS and no session refreshes', async () => {
    const a = await registerAndLogin(server(), 'del-ok', { name: 'To Be Deleted', company: 'Gone Ltd' });
    expectOk(await del(a.login.accessToken, { password: a.password, confirmation: 'DELETE' }), 'delete', PATH, 204);
    expectProblem(await login(server(), a.email, a.password), 'post', '/api/auth/login', 401, 'INVALID_CREDENTIALS');
    await expectRefreshRefused(server(), a.result.refreshToken, '(registration session of a deleted account)');
    await expectRefreshRefused(server(), a.login.refreshToken, '(the deleting session)');
    // Personal data is anonymized: the address and name are no longer stored on the user row.
    const row = await dbQuery(server(), 'SELECT status, email, name, company, password_hash FROM users WHERE id = $1', [a.userId]);
    expect(row.rows.length).toBe(1);
    expect(row.rows[0].status).toBe('deleted');
    expect(row.rows[0].email.toLowerCase()).not.toBe(a.email.toLowerCase());
    expect(row.rows[0].name).toBeNull();
    expect(row.rows[0].company).toBeNull();
    expect(row.rows[0].password_hash).toBeNull();
    // ...so the address is free for a new account.
    const again = await postJson(server(), '/api/auth/register', { email: a.email, password: a.password });
    expect(again.status, again.text).toBe(201);
    expect(again.json.user.id).not.toBe(a.userId);
    const audit = await dbQuery(server(), `SELECT count(*)::int AS n FROM audit_log WHERE action = 'account.deleted' AND (actor_user_id = $1 OR target_id = $1::text)`, [a.userId]);
    expect(audit.rows[0].n).toBeGreaterThanOrEqual(1);
  });

  it('403 INVALID_PASSWORD: wrong password; the account stays', async () => {
    const a = await registerAndLogin(server(), 'del-403');
    expectProblem(await del(a.login.accessToken, { password: a.password + 'x', confirmation: 'DELETE' }), 'delete', PATH, 403, 'INVALID_PASSWORD');
    await loginOk(server(), a.email, a.password);
    await expectRefreshWorks(server(), a.result.refreshToken);
  });

  it('409 OWNS_ORGANIZATIONS: the user still owns a team organization; the account stays', async () => {
    const a = await registerAndLogin(server(), 'del-409');
    const org = await dbQuery(
      server(),
      `WITH o AS (INSERT INTO organizations (name, personal, owner_user_id) VALUES ('Team of del-409', false, $1) RETURNING id)
       INSERT INTO organization_members (organization_id, user_id, role) SELECT id, $1, 'OWNER' FROM o RETURNING organization_id`,
      [a.userId],
    );
    expect(org.rowCount).toBe(1);
    expectProblem(await del(a.login.accessToken, { password: a.password, confirmation: 'DELETE' }), 'delete', PATH, 409, 'OWNS_ORGANIZATIONS');
    await loginOk(server(), a.email, a.password);
    await expectRefreshWorks(server(), a.result.refreshToken);
  });

  describe('422 VALIDATION_FAILED', () => {
    for (const confirmation of ['delete', 'DELETE ', 'Delete', '', 'yes']) {
      it(`confirmation ${JSON.stringify(confirmation)} (not exactly DELETE) → confirmation; the account stays`, async () => {
        const acct = await registerAccount(server(), {}, 'del-422');
        expectValidationFailed(await del(acct.result.accessToken, { password: acct.password, confirmation }), PATH, 'confirmation', 'delete');
        await loginOk(server(), acct.email, acct.password);
      });
    }
    it('missing confirmation → confirmation', async () => {
      const acct = await registerAccount(server(), {}, 'del-422-c');
      expectValidationFailed(await del(acct.result.accessToken, { password: acct.password }), PATH, 'confirmation', 'delete');
    });
    it('missing password → password', async () => {
      const acct = await registerAccount(server(), {}, 'del-422-p');
      expectValidationFailed(await del(acct.result.accessToken, { confirmation: 'DELETE' }), PATH, 'password', 'delete');
    });
  });

  it('401: without a token → UNAUTHORIZED', async () => {
    expectProblem(await del(undefined, { password: 'whatever-password', confirmation: 'DELETE' }), 'delete', PATH, 401, 'UNAUTHORIZED');
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    const acct = await registerAccount(server(), {}, 'del-400');
    expectProblem(await del(acct.result.accessToken, '{"password": '), 'delete', PATH, 400, 'MALFORMED_JSON');
  });
});
