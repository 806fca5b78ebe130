/**
 * The admin user directory and the actions on one user: GET /api/admin/users (search, filters, pagination),
 * GET /api/admin/users/{id}, suspend, reactivate, role, delete, resend-verification, reset-2fa and
 * revoke-sessions. Suspension and revocation take effect at once: the user's access tokens are refused on their
 * next /api request, their refresh tokens stop working, and their API keys are refused by the gateway and by
 * POST /v1/keys/verify within a second. Every action writes an admin.user.* audit row with the reason and no
 * secrets. (Access rules of the admin API: admin-access.test.ts.)
 */
import crypto from 'node:crypto';
import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { linkToken } from '../harness/smtp.js';
import {
  GOOD_PASSWORD,
  PUBLIC_URL,
  SUBJECTS,
  api,
  dbQuery,
  enableTwoFactor,
  login,
  loginChallenge,
  loginWith2fa,
  mailEnv,
  makeAdmin,
  postJson,
  refresh,
  registerAccount,
  registerAndLogin,
  useSmtpSink,
  type SignedIn,
} from './auth-helpers.js';
import { KEYS, createKey, createServiceToken, setPlan, verifyOk, type Tenant } from './keys-helpers.js';
import { gw, expectGwOk, expectGwProblem } from './gateway-helpers.js';
import { createOrg } from './org-helpers.js';
import {
  ADMIN_ENV,
  AD,
  UUID_RE,
  adminSignIn,
  at,
  expectAdminAudit,
  invalid,
  marker,
  markVerified,
  ok,
  problem,
  problemOneOf,
  sentWithin,
  type Admin,
} from './admin-helpers.js';

describe('admin: users', () => {
  const sink = useSmtpSink();
  const server = useServer(() => mailEnv(sink(), ADMIN_ENV));
  printLogsOnFailure();

  let admin: Admin;
  let serviceToken: string;

  beforeAll(async () => {
    admin = await adminSignIn(server(), 'users-admin');
    serviceToken = await createServiceToken(server());
  });

  const call = (method: string, url: string, body?: unknown, token = admin.token) => api(server(), method, url, { token, body });
  const list = (query: Record<string, string>) => call('get', `${AD.users}?${new URLSearchParams(query).toString()}`);
  const listOk = async (query: Record<string, string>) => ok(await list(query), 'get', AD.users, 200);
  const detail = (id: string) => call('get', at(AD.user, id));
  const detailOk = async (id: string) => ok(await detail(id), 'get', AD.user, 200);

  /** A signed-in user (two sessions: registration's and a login's) as a Tenant of the keys helpers. */
  async function member(tag: string, extra: Record<string, unknown> = {}): Promise<SignedIn & { tenant: Tenant }> {
    const a = await registerAndLogin(server(), tag, extra);
    const tenant: Tenant = { email: a.email, password: a.password, token: a.login.accessToken, userId: a.userId, orgId: a.result.organizationId };
    return { ...a, tenant };
  }

  /** The user's access token is refused at once on a signed-in route: 401 SESSION_REVOKED. */
  async function expectSessionRevoked(token: string, what = ''): Promise<void> {
    const r = await api(server(), 'get', KEYS, { token });
    expect(r.status, `GET ${KEYS} with a revoked session ${what}: ${r.text.slice(0, 300)}`).toBe(401);
    problem(r, 'get', KEYS, 401, 'SESSION_REVOKED');
  }

  /** The refresh token is refused (401 INVALID_REFRESH_TOKEN, or 403 ACCOUNT_SUSPENDED) and yields no tokens. */
  async function expectRefreshFails(refreshToken: string): Promise<void> {
    const r = await refresh(server(), refreshToken);
    problemOneOf(r, 'post', '/api/auth/refresh', [
      [401, 'INVALID_REFRESH_TOKEN'],
      [403, 'ACCOUNT_SUSPENDED'],
    ]);
    expect(r.json).not.toHaveProperty('accessToken');
  }

  const gwDisabled = async (secret: string) => {
    const r = await gw(server(), 'GET', '/echo/admin-check', { key: secret });
    return r.status === 403 && r.json?.code === 'API_KEY_DISABLED';
  };
  const gwWorks = async (secret: string) => (await gw(server(), 'GET', '/echo/admin-check', { key: secret })).status === 200;
  const verifyCode = async (secret: string) => (await verifyOk(server(), serviceToken, { key: secret })).json.code as string;

  // ------------------------------------------------------------------------------------------------ list

  describe('GET /api/admin/users', () => {
    const mk = marker('usr');
    const nameMark = marker('nm');
    let a: any, b: any, c: any, d: any, e: any, f: any;
    const suspendReason = 'Abuse report #4411';

    beforeAll(async () => {
      // Created in this order (newest first in the list: e, d, c, b, a).
      a = await registerAccount(server(), { name: 'Alpha Lister' }, `${mk}-a`);
      b = await registerAccount(server(), {}, `${mk}-b`);
      c = await registerAccount(server(), {}, `${mk}-c`);
      d = await registerAccount(server(), {}, `${mk}-d`);
      e = await registerAccount(server(), {}, `${mk}-e`);
      f = await registerAccount(server(), { name: `Nameonly ${nameMark}` }, 'other-lister');
      await setPlan(server(), a.result.organizationId, 'pro');
      await markVerified(server(), a.result.user.id);
      await makeAdmin(server(), e.result.user.id);
      ok(await call('post', at(AD.suspend, c.result.user.id), { reason: suspendReason }), 'post', AD.suspend, 200);
      ok(await call('delete', at(AD.user, d.result.user.id), { reason: 'erasure request' }), 'delete', AD.user, 204);
    });

    const ids = (page: any) => page.items.map((x: any) => x.id);

    it('200: search by an email substring (case-insensitive), newest first, deleted users hidden; total/page/pageSize', async () => {
      const page = await listOk({ q: mk });
      expect(page.total).toBe(4);
      expect(page.page).toBe(1);
      expect(page.pageSize).toBe(25);
      expect(ids(page)).toEqual([e, c, b, a].map((x) => x.result.user.id));
      for (const item of page.items) expect(item.email).toContain(mk);
      const upper = await listOk({ q: mk.toUpperCase() });
      expect(ids(upper)).toEqual(ids(page));
      // A substring in the middle of the address.
      expect(ids(await listOk({ q: `${mk.slice(3)}-b` }))).toEqual([b.result.user.id]);
    });

    it('200: the items carry the user fields (status, role, verification, 2FA, plan) and no secrets', async () => {
      const page = await listOk({ q: mk });
      const byId = new Map(page.items.map((x: any) => [x.id, x]));
      const ia: any = byId.get(a.result.user.id);
      expect(ia).toMatchObject({ email: a.email, name: 'Alpha Lister', role: 'USER', status: 'active', emailVerified: true, twoFactor: false });
      expect(ia.plan).toMatchObject({ slug: 'pro', name: 'Pro' });
      expect(Number.isNaN(Date.parse(ia.createdAt))).toBe(false);
      const ic: any = byId.get(c.result.user.id);
      expect(ic).toMatchObject({ status: 'suspended', statusReason: suspendReason, emailVerified: false });
      expect(typeof ic.suspendedAt).toBe('string');
      expect((byId.get(e.result.user.id) as any).role).toBe('ADMIN');
      const text = JSON.stringify(page);
      for (const secret of [GOOD_PASSWORD, a.result.accessToken, a.result.refreshToken]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/password|totp|secret/i);
    });

    it('200: search by name, and by user id', async () => {
      expect(ids(await listOk({ q: nameMark }))).toEqual([f.result.user.id]);
      expect(ids(await listOk({ q: 'alpha lister' })).includes(a.result.user.id)).toBe(true);
      expect(ids(await listOk({ q: b.result.user.id }))).toEqual([b.result.user.id]);
    });

    it('200: LIKE wildcards in the search are taken literally', async () => {
      for (const q of ['%', '_', `${mk}%`, `${mk.slice(0, 4)}_`]) {
        const page = await listOk({ q });
        expect(page.total, `q=${q}`).toBe(0);
        expect(page.items).toEqual([]);
      }
    });

    it('200: status filter; deleted users only with status=deleted', async () => {
      expect(ids(await listOk({ q: mk, status: 'suspended' }))).toEqual([c.result.user.id]);
      expect(ids(await listOk({ q: mk, status: 'active' }))).toEqual([e, b, a].map((x) => x.result.user.id));
      // The deleted account's email was anonymized: found by id, and only with status=deleted.
      const dId = d.result.user.id;
      expect((await listOk({ q: dId })).total).toBe(0);
      const deleted = await listOk({ q: dId, status: 'deleted' });
      expect(ids(deleted)).toEqual([dId]);
      expect(deleted.items[0].status).toBe('deleted');
      expect(deleted.items[0].email).not.toBe(d.email);
      expect((await listOk({ q: mk, status: 'deleted' })).total).toBe(0);
    });

    it('200: role, plan and verified filters (combined with the search)', async () => {
      expect(ids(await listOk({ q: mk, role: 'ADMIN' }))).toEqual([e.result.user.id]);
      expect(ids(await listOk({ q: mk, role: 'USER' }))).toEqual([c, b, a].map((x) => x.result.user.id));
      expect(ids(await listOk({ q: mk, plan: 'pro' }))).toEqual([a.result.user.id]);
      expect(ids(await listOk({ q: mk, plan: 'free' }))).toEqual([e, c, b].map((x) => x.result.user.id));
      expect((await listOk({ q: mk, plan: 'business' })).total).toBe(0);
      expect(ids(await listOk({ q: mk, verified: 'true' }))).toEqual([a.result.user.id]);
      expect(ids(await listOk({ q: mk, verified: 'false' }))).toEqual([e, c, b].map((x) => x.result.user.id));
      expect(ids(await listOk({ q: mk, verified: 'false', role: 'USER', status: 'active' }))).toEqual([b.result.user.id]);
    });

    it('200: pagination — pages do not overlap, total stays, a page past the end is empty', async () => {
      const p1 = await listOk({ q: mk, pageSize: '3' });
      const p2 = await listOk({ q: mk, pageSize: '3', page: '2' });
      const p3 = await listOk({ q: mk, pageSize: '3', page: '3' });
      expect([p1.total, p2.total, p3.total]).toEqual([4, 4, 4]);
      expect([p1.page, p2.page, p3.page]).toEqual([1, 2, 3]);
      expect(p1.pageSize).toBe(3);
      expect(p1.items.length).toBe(3);
      expect(p2.items.length).toBe(1);
      expect(p3.items).toEqual([]);
      expect([...ids(p1), ...ids(p2)]).toEqual([e, c, b, a].map((x) => x.result.user.id));
      const all = await listOk({ pageSize: '100' });
      expect(all.total).toBeGreaterThanOrEqual(6);
    });

    it('422: bad page, pageSize, status, role, verified', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{ page: '0' }, 'page'],
        [{ page: '-1' }, 'page'],
        [{ page: 'abc' }, 'page'],
        [{ page: '1.5' }, 'page'],
        [{ pageSize: '0' }, 'pageSize'],
        [{ pageSize: '101' }, 'pageSize'],
        [{ pageSize: 'ten' }, 'pageSize'],
        [{ status: 'banned' }, 'status'],
        [{ status: 'ACTIVE' }, 'status'],
        [{ role: 'ROOT' }, 'role'],
        [{ verified: 'yes' }, 'verified'],
        [{ q: 'x'.repeat(201) }, 'q'],
      ];
      for (const [query, field] of cases) invalid(await list(query), 'get', AD.users, field);
    });
  });

  // ---------------------------------------------------------------------------------------------- detail

  describe('GET /api/admin/users/{id}', () => {
    it('200: the user with organizations, subscription, keys, sessions and recent audit — and no secrets', async () => {
      const u = await member('detail', { name: 'Dee Tail', company: 'Detail Co' });
      await setPlan(server(), u.tenant.orgId, 'pro');
      const team = await createOrg(server(), u.tenant, `Detail team ${marker()}`);
      const key = await createKey(server(), u.tenant.token, { name: 'detail-key' });
      // One of the two sessions is refreshed once (its live row is then not the first row of its family).
      const rotated = ok(await refresh(server(), u.result.refreshToken), 'post', '/api/auth/refresh', 200);
      const mine = ok(await api(server(), 'get', '/api/user/sessions', { token: u.tenant.token }), 'get', '/api/user/sessions', 200);
      expect(mine.sessions.length).toBe(2);

      const doc = await detailOk(u.userId);
      expect(doc.user).toMatchObject({
        id: u.userId,
        email: u.email,
        name: 'Dee Tail',
        company: 'Detail Co',
        role: 'USER',
        status: 'active',
        statusReason: null,
        emailVerified: false,
        twoFactor: false,
        suspendedAt: null,
      });
      expect(typeof doc.user.lastLoginAt).toBe('string');

      expect(doc.organizations.map((o: any) => [o.id, o.personal, o.role])).toEqual([
        [u.tenant.orgId, true, 'OWNER'],
        [team.id, false, 'OWNER'],
      ]);
      const teamDoc = doc.organizations[1];
      expect(teamDoc).toMatchObject({ name: team.name, status: 'active', memberCount: 1 });
      expect(teamDoc.owner).toMatchObject({ id: u.userId, email: u.email });

      expect(doc.subscription).toMatchObject({ organizationId: u.tenant.orgId, status: 'active', includedUnits: 500000 });
      expect(doc.subscription.plan).toMatchObject({ slug: 'pro', name: 'Pro' });

      expect(doc.keys.map((k: any) => k.id)).toEqual([key.key.id]);
      expect(doc.keys[0]).toMatchObject({ organizationId: u.tenant.orgId, name: 'detail-key', prefix: key.key.prefix, status: 'active' });

      // The sessions as the user sees them in GET /api/user/sessions (same ids).
      expect(doc.sessions.length).toBe(2);
      expect(doc.sessions.map((x: any) => x.id).sort()).toEqual(mine.sessions.map((x: any) => x.id).sort());
      for (const sess of doc.sessions) expect(sess.ip).toBe('127.0.0.1');

      const actions = doc.recentAudit.map((x: any) => x.action);
      expect(actions).toContain('auth.register');
      expect(actions).toContain('auth.login.succeeded');
      expect(doc.recentAudit.length).toBeLessThanOrEqual(20);

      const text = JSON.stringify(doc);
      for (const secret of [u.password, key.secret, u.result.accessToken, rotated.refreshToken, u.login.accessToken, u.login.refreshToken]) {
        expect(text.includes(secret), `detail must not contain ${secret.slice(0, 10)}…`).toBe(false);
      }
    });

    it('200: an upper-case id names the same user', async () => {
      const u = await registerAccount(server(), {}, 'detail-upper');
      const doc = await detailOk(u.result.user.id.toUpperCase());
      expect(doc.user.id).toBe(u.result.user.id);
    });

    it('404 USER_NOT_FOUND: an unknown id, and an id that is not a UUID', async () => {
      problem(await detail(crypto.randomUUID()), 'get', AD.user, 404, 'USER_NOT_FOUND');
      problem(await detail('not-a-uuid'), 'get', AD.user, 404, 'USER_NOT_FOUND');
      problem(await detail('1 OR 1=1'), 'get', AD.user, 404, 'USER_NOT_FOUND');
    });
  });

  // ----------------------------------------------------------------------------------- suspend, reactivate

  describe('POST /api/admin/users/{id}/suspend and /reactivate', () => {
    let victim: SignedIn & { tenant: Tenant };
    let key: { key: any; secret: string };
    /** A key of a team organization the victim owns. */
    let teamKey: string;
    const reason = 'Card testing from this account (ticket #991)';

    beforeAll(async () => {
      victim = await member('suspend');
      key = await createKey(server(), victim.tenant.token, { name: 'victim-key', rateLimitPerMinute: 100000 });
      const team = await createOrg(server(), victim.tenant, `Victim team ${marker()}`);
      await setPlan(server(), team.id, 'business');
      const r = await api(server(), 'post', KEYS, {
        token: victim.tenant.token,
        headers: { 'x-organization-id': team.id },
        body: { name: 'team-key', rateLimitPerMinute: 100000 },
      });
      teamKey = ok(r, 'post', KEYS, 201).secret;
    });

    it('422: the reason is required (missing, blank, not a string); unknown fields are refused; nothing changes', async () => {
      const id = victim.userId;
      invalid(await call('post', at(AD.suspend, id), {}), 'post', AD.suspend, 'reason');
      invalid(await call('post', at(AD.suspend, id), { reason: '   ' }), 'post', AD.suspend, 'reason');
      invalid(await call('post', at(AD.suspend, id), { reason: 42 }), 'post', AD.suspend, 'reason');
      invalid(await call('post', at(AD.suspend, id), { reason: 'x'.repeat(2001) }), 'post', AD.suspend, 'reason');
      invalid(await call('post', at(AD.suspend, id), { reason: 'ok', notify: true }), 'post', AD.suspend, 'notify');
      expect((await detailOk(id)).user.status).toBe('active');
      ok(await api(server(), 'get', KEYS, { token: victim.tenant.token }), 'get', KEYS, 200);
    });

    it('200: suspends; the access tokens get 401 SESSION_REVOKED at once, refresh fails, sign-in is refused, the API keys (personal and of owned teams) are refused by /gw/echo and /v1/keys/verify within 1 s', async () => {
      // Warm the key caches first: the suspension has to evict a cached "valid".
      expectGwOk(await gw(server(), 'GET', '/echo/admin-check', { key: key.secret }));
      expect(await verifyCode(key.secret)).toBe('VALID');
      expectGwOk(await gw(server(), 'GET', '/echo/admin-check', { key: teamKey }));
      ok(await api(server(), 'get', KEYS, { token: victim.tenant.token }), 'get', KEYS, 200);

      const r = await call('post', at(AD.suspend, victim.userId), { reason });
      const t0 = Date.now();
      const doc = ok(r, 'post', AD.suspend, 200);
      expect(doc.user).toMatchObject({ id: victim.userId, status: 'suspended', statusReason: reason });
      expect(typeof doc.user.suspendedAt).toBe('string');
      expect(doc.sessions).toEqual([]);

      const [gwMs, verifyMs, teamMs] = await Promise.all([
        sentWithin(3000, () => gwDisabled(key.secret), t0),
        sentWithin(3000, async () => (await verifyCode(key.secret)) === 'DISABLED', t0),
        sentWithin(3000, () => gwDisabled(teamKey), t0),
      ]);
      expect(gwMs, '/gw/echo refused the key of a suspended user (ms after the suspension)').toBeGreaterThanOrEqual(0);
      expect(gwMs).toBeLessThanOrEqual(1000);
      expect(verifyMs, '/v1/keys/verify answered DISABLED (ms after the suspension)').toBeGreaterThanOrEqual(0);
      expect(verifyMs).toBeLessThanOrEqual(1000);
      expect(teamMs, '/gw/echo refused the key of a team organization the suspended user owns (ms)').toBeGreaterThanOrEqual(0);
      expect(teamMs).toBeLessThanOrEqual(1000);
      expectGwProblem(await gw(server(), 'GET', '/echo/admin-check', { key: key.secret }), 403, 'API_KEY_DISABLED');
      const v = await verifyOk(server(), serviceToken, { key: key.secret });
      expect(v.json).toMatchObject({ valid: false, code: 'DISABLED' });

      await expectSessionRevoked(victim.login.accessToken, '(login session)');
      await expectSessionRevoked(victim.result.accessToken, '(registration session)');
      await expectRefreshFails(victim.login.refreshToken);
      await expectRefreshFails(victim.result.refreshToken);
      problem(await login(server(), victim.email, victim.password), 'post', '/api/auth/login', 403, 'ACCOUNT_SUSPENDED');
    });

    it('audit: admin.user.suspended with the reason and the number of sessions revoked, no secrets', async () => {
      const row = await expectAdminAudit(server(), admin, victim.userId, 'admin.user.suspended', reason, {
        targetType: 'user',
        secrets: [victim.password, key.secret, victim.login.accessToken, victim.login.refreshToken, victim.result.refreshToken],
      });
      expect(row.metadata.sessionsRevoked).toBe(2);
    });

    it('409 USER_ALREADY_SUSPENDED: suspending again; no second audit row', async () => {
      problem(await call('post', at(AD.suspend, victim.userId), { reason: 'again' }), 'post', AD.suspend, 409, 'USER_ALREADY_SUSPENDED');
      await expectAdminAudit(server(), admin, victim.userId, 'admin.user.suspended', reason);
    });

    it('200: reactivates; the key works again within 1 s, the user can sign in again (old sessions stay revoked)', async () => {
      const why = 'Owner verified by phone';
      const r = await call('post', at(AD.reactivate, victim.userId), { reason: why });
      const t0 = Date.now();
      const doc = ok(r, 'post', AD.reactivate, 200);
      expect(doc.user).toMatchObject({ id: victim.userId, status: 'active', statusReason: null, suspendedAt: null });

      const [gwMs, verifyMs, teamMs] = await Promise.all([
        sentWithin(3000, () => gwWorks(key.secret), t0),
        sentWithin(3000, async () => (await verifyCode(key.secret)) === 'VALID', t0),
        sentWithin(3000, () => gwWorks(teamKey), t0),
      ]);
      expect(teamMs, 'the team organization\'s key works again (ms)').toBeGreaterThanOrEqual(0);
      expect(teamMs).toBeLessThanOrEqual(1000);
      expect(gwMs, '/gw/echo accepted the key again (ms after the reactivation)').toBeGreaterThanOrEqual(0);
      expect(gwMs).toBeLessThanOrEqual(1000);
      expect(verifyMs, '/v1/keys/verify answered VALID again (ms after the reactivation)').toBeGreaterThanOrEqual(0);
      expect(verifyMs).toBeLessThanOrEqual(1000);

      await expectSessionRevoked(victim.login.accessToken, '(revoked by the suspension)');
      const again = await login(server(), victim.email, victim.password);
      const auth = ok(again, 'post', '/api/auth/login', 200);
      ok(await api(server(), 'get', KEYS, { token: auth.accessToken }), 'get', KEYS, 200);
      await expectAdminAudit(server(), admin, victim.userId, 'admin.user.reactivated', why, { targetType: 'user' });
    });

    it('409 USER_NOT_SUSPENDED: reactivating an active user', async () => {
      problem(await call('post', at(AD.reactivate, victim.userId), { reason: 'noop' }), 'post', AD.reactivate, 409, 'USER_NOT_SUSPENDED');
      await expectAdminAudit(server(), admin, victim.userId, 'admin.user.reactivated', 'Owner verified by phone');
    });

    it('422: reactivate needs a reason too', async () => {
      invalid(await call('post', at(AD.reactivate, victim.userId), {}), 'post', AD.reactivate, 'reason');
    });

    it('409 ADMIN_SELF_ACTION: an admin cannot suspend themselves', async () => {
      problem(await call('post', at(AD.suspend, admin.userId), { reason: 'oops' }), 'post', AD.suspend, 409, 'ADMIN_SELF_ACTION');
      ok(await call('get', AD.users), 'get', AD.users, 200);
    });

    it('404 USER_NOT_FOUND: unknown or malformed id', async () => {
      problem(await call('post', at(AD.suspend, crypto.randomUUID()), { reason: 'x' }), 'post', AD.suspend, 404, 'USER_NOT_FOUND');
      problem(await call('post', at(AD.suspend, 'nope'), { reason: 'x' }), 'post', AD.suspend, 404, 'USER_NOT_FOUND');
      problem(await call('post', at(AD.reactivate, crypto.randomUUID()), { reason: 'x' }), 'post', AD.reactivate, 404, 'USER_NOT_FOUND');
    });
  });

  // ------------------------------------------------------------------------------------------------ role

  describe('PATCH /api/admin/users/{id}/role', () => {
    it('200: USER → ADMIN → USER, each change audited with its reason; the new role shows at the next sign-in', async () => {
      const u = await registerAccount(server(), {}, 'role');
      const id = u.result.user.id;
      const up = ok(await call('patch', at(AD.role, id), { role: 'ADMIN', reason: 'Joins the on-call rota' }), 'patch', AD.role, 200);
      expect(up.user).toMatchObject({ id, role: 'ADMIN' });
      const signedIn = ok(await login(server(), u.email, u.password), 'post', '/api/auth/login', 200);
      expect(signedIn.user.role).toBe('ADMIN');
      const first = await expectAdminAudit(server(), admin, id, 'admin.user.role_changed', 'Joins the on-call rota', { targetType: 'user' });
      expect(first.metadata.role).toBe('ADMIN');

      const down = ok(await call('patch', at(AD.role, id), { role: 'USER', reason: 'Left the rota' }), 'patch', AD.role, 200);
      expect(down.user.role).toBe('USER');
      const second = await expectAdminAudit(server(), admin, id, 'admin.user.role_changed', 'Left the rota', { count: 2 });
      expect(second.metadata.role).toBe('USER');

      // Setting the role it already has changes nothing.
      const same = ok(await call('patch', at(AD.role, id), { role: 'USER', reason: 'No-op' }), 'patch', AD.role, 200);
      expect(same.user.role).toBe('USER');
      await expectAdminAudit(server(), admin, id, 'admin.user.role_changed', 'Left the rota', { count: 2 });
    });

    it('422: role missing or not USER/ADMIN; reason missing', async () => {
      const id = (await registerAccount(server(), {}, 'role-bad')).result.user.id;
      invalid(await call('patch', at(AD.role, id), { role: 'ROOT', reason: 'x' }), 'patch', AD.role, 'role');
      invalid(await call('patch', at(AD.role, id), { role: 'admin', reason: 'x' }), 'patch', AD.role, 'role');
      invalid(await call('patch', at(AD.role, id), { reason: 'x' }), 'patch', AD.role, 'role');
      invalid(await call('patch', at(AD.role, id), { role: 'ADMIN' }), 'patch', AD.role, 'reason');
      expect((await detailOk(id)).user.role).toBe('USER');
    });

    it('409 ADMIN_SELF_ACTION: an admin cannot change their own role', async () => {
      problem(await call('patch', at(AD.role, admin.userId), { role: 'USER', reason: 'x' }), 'patch', AD.role, 409, 'ADMIN_SELF_ACTION');
      expect((await detailOk(admin.userId)).user.role).toBe('ADMIN');
    });

    it('404 USER_NOT_FOUND', async () => {
      problem(await call('patch', at(AD.role, crypto.randomUUID()), { role: 'ADMIN', reason: 'x' }), 'patch', AD.role, 404, 'USER_NOT_FOUND');
    });
  });

  // ---------------------------------------------------------------------------------------------- delete

  describe('DELETE /api/admin/users/{id}', () => {
    it('204: the account is anonymized (actions on it 404), signed out, its key refused, its email free to register again', async () => {
      const u = await member('delete');
      const key = await createKey(server(), u.tenant.token, { rateLimitPerMinute: 100000 });
      expectGwOk(await gw(server(), 'GET', '/echo/admin-check', { key: key.secret }));
      const reason = 'GDPR erasure request #77';
      ok(await call('delete', at(AD.user, u.userId), { reason }), 'delete', AD.user, 204);

      problem(await call('post', at(AD.suspend, u.userId), { reason: 'x' }), 'post', AD.suspend, 404, 'USER_NOT_FOUND');
      problem(await call('delete', at(AD.user, u.userId), { reason: 'again' }), 'delete', AD.user, 404, 'USER_NOT_FOUND');
      expect((await listOk({ q: u.email })).total).toBe(0);
      const listed = await listOk({ q: u.userId, status: 'deleted' });
      expect(listed.items.map((x: any) => [x.id, x.status])).toEqual([[u.userId, 'deleted']]);

      await expectSessionRevoked(u.login.accessToken);
      await expectRefreshFails(u.login.refreshToken);
      const refused = await sentWithin(3000, async () => (await gw(server(), 'GET', '/echo/admin-check', { key: key.secret })).status !== 200);
      expect(refused, 'the deleted user\'s key is refused within 1 s').toBeGreaterThanOrEqual(0);
      expect(refused).toBeLessThanOrEqual(1000);
      const g = await gw(server(), 'GET', '/echo/admin-check', { key: key.secret });
      expect(['API_KEY_REVOKED', 'API_KEY_DISABLED', 'INVALID_API_KEY']).toContain(g.json?.code);

      const again = await postJson(server(), '/api/auth/register', { email: u.email, password: GOOD_PASSWORD });
      expect(again.status, `re-registering ${u.email}: ${again.text.slice(0, 300)}`).toBe(201);
      expect(again.json.user.id).not.toBe(u.userId);

      await expectAdminAudit(server(), admin, u.userId, 'admin.user.deleted', reason, {
        targetType: 'user',
        secrets: [u.password, key.secret, u.login.refreshToken],
      });
      // The detail still reads the (anonymized) account — api/openapi.yaml: "Deleted (anonymized) accounts can be
      // read too" — while every action on it answers 404 USER_NOT_FOUND (above).
      const gone = await detailOk(u.userId);
      expect(gone.user).toMatchObject({ id: u.userId, status: 'deleted', name: null, emailVerified: false, twoFactor: false });
      expect(gone.user.email).not.toBe(u.email);
      expect(gone.organizations).toEqual([]);
      expect(gone.sessions).toEqual([]);
      expect(gone.keys.map((k: any) => [k.id, k.status])).toEqual([[key.key.id, 'revoked']]);
    });

    it('409 OWNS_ORGANIZATIONS: a user who owns a team organization is kept', async () => {
      const u = await member('delete-owner');
      await createOrg(server(), u.tenant, `Owned ${marker()}`);
      problem(await call('delete', at(AD.user, u.userId), { reason: 'erasure' }), 'delete', AD.user, 409, 'OWNS_ORGANIZATIONS');
      expect((await detailOk(u.userId)).user.status).toBe('active');
      ok(await api(server(), 'get', KEYS, { token: u.tenant.token }), 'get', KEYS, 200);
    });

    it('422: the reason is required', async () => {
      const u = await registerAccount(server(), {}, 'delete-noreason');
      invalid(await call('delete', at(AD.user, u.result.user.id), {}), 'delete', AD.user, 'reason');
      expect((await detailOk(u.result.user.id)).user.status).toBe('active');
    });

    it('409 ADMIN_SELF_ACTION; 404 USER_NOT_FOUND', async () => {
      problem(await call('delete', at(AD.user, admin.userId), { reason: 'x' }), 'delete', AD.user, 409, 'ADMIN_SELF_ACTION');
      problem(await call('delete', at(AD.user, crypto.randomUUID()), { reason: 'x' }), 'delete', AD.user, 404, 'USER_NOT_FOUND');
      problem(await call('delete', at(AD.user, 'xyz'), { reason: 'x' }), 'delete', AD.user, 404, 'USER_NOT_FOUND');
    });
  });

  // ---------------------------------------------------------------------------------- resend verification

  describe('POST /api/admin/users/{id}/resend-verification', () => {
    async function verifyMails(email: string): Promise<any[]> {
      const r = await dbQuery(
        server(),
        `SELECT id, payload FROM email_outbox WHERE lower(to_email) = lower($1) AND template = 'verify_email' ORDER BY created_at, id`,
        [email],
      );
      return r.rows;
    }

    it('202: a new verification mail is queued and delivered, and its link verifies; audited (reason optional)', async () => {
      const u = await registerAccount(server(), {}, 'resend');
      await sink().waitForMail({ to: u.email, subject: SUBJECTS.verify }); // the registration's mail
      const before = (await verifyMails(u.email)).length;
      const r = await api(server(), 'post', at(AD.resendVerification, u.result.user.id), { token: admin.token });
      expect(r.status, r.text).toBe(202);
      ok(r, 'post', AD.resendVerification, 202);
      const after = await verifyMails(u.email);
      expect(after.length).toBe(before + 1);
      const mail = await sink().waitForMail({ to: u.email, subject: SUBJECTS.verify });
      const token = linkToken(mail, '/verify-email', PUBLIC_URL);
      await expectAdminAudit(server(), admin, u.result.user.id, 'admin.user.verification_resent', null, { targetType: 'user', secrets: [token] });

      ok(await call('post', at(AD.resendVerification, u.result.user.id), { reason: 'User asked by phone' }), 'post', AD.resendVerification, 202);
      expect((await verifyMails(u.email)).length).toBe(before + 2);
      await expectAdminAudit(server(), admin, u.result.user.id, 'admin.user.verification_resent', 'User asked by phone', { count: 2 });

      // The link of the newest admin-sent mail verifies the address.
      const newest = linkToken(await sink().waitForMail({ to: u.email, subject: SUBJECTS.verify }), '/verify-email', PUBLIC_URL);
      const v = await postJson(server(), '/api/auth/verify-email', { token: newest });
      expect(v.status, v.text).toBe(200);
      expect((await detailOk(u.result.user.id)).user.emailVerified).toBe(true);
    });

    it('409 EMAIL_ALREADY_VERIFIED: no mail is queued', async () => {
      const u = await registerAccount(server(), {}, 'resend-verified');
      await markVerified(server(), u.result.user.id);
      const before = (await verifyMails(u.email)).length;
      problem(await call('post', at(AD.resendVerification, u.result.user.id), {}), 'post', AD.resendVerification, 409, 'EMAIL_ALREADY_VERIFIED');
      expect((await verifyMails(u.email)).length).toBe(before);
    });

    it('409 USER_NOT_ACTIVE: a suspended user gets no mail', async () => {
      const u = await registerAccount(server(), {}, 'resend-suspended');
      ok(await call('post', at(AD.suspend, u.result.user.id), { reason: 'fraud' }), 'post', AD.suspend, 200);
      const before = (await verifyMails(u.email)).length;
      problem(await call('post', at(AD.resendVerification, u.result.user.id), {}), 'post', AD.resendVerification, 409, 'USER_NOT_ACTIVE');
      expect((await verifyMails(u.email)).length).toBe(before);
    });

    it('404 USER_NOT_FOUND', async () => {
      problem(await call('post', at(AD.resendVerification, crypto.randomUUID()), {}), 'post', AD.resendVerification, 404, 'USER_NOT_FOUND');
    });
  });

  // -------------------------------------------------------------------------------------------- reset 2FA

  describe('POST /api/admin/users/{id}/reset-2fa', () => {
    it('200: two-factor is off, recovery codes gone, sessions revoked; the user signs in with the password alone', async () => {
      const u = await registerAccount(server(), {}, 'reset2fa');
      const id = u.result.user.id;
      const tf = await enableTwoFactor(server(), u.result.accessToken, u.password);
      const session = await loginWith2fa(server(), u.email, u.password, tf.secret);
      await loginChallenge(server(), u.email, u.password); // a password alone is not enough yet

      const reason = 'Lost phone; identity checked on a video call';
      const doc = ok(await call('post', at(AD.reset2fa, id), { reason }), 'post', AD.reset2fa, 200);
      expect(doc.user).toMatchObject({ id, twoFactor: false });
      const codes = await dbQuery(server(), 'SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1', [id]);
      expect(codes.rows[0].n).toBe(0);

      await expectSessionRevoked(session.accessToken);
      const r = await login(server(), u.email, u.password);
      const auth = ok(r, 'post', '/api/auth/login', 200);
      expect(auth.mfaRequired ?? false).toBe(false);
      expect(typeof auth.accessToken).toBe('string');
      ok(await api(server(), 'get', KEYS, { token: auth.accessToken }), 'get', KEYS, 200);

      await expectAdminAudit(server(), admin, id, 'admin.user.two_factor_reset', reason, {
        targetType: 'user',
        secrets: [tf.secret, ...tf.recoveryCodes, u.password, session.refreshToken],
      });
    });

    it('409 TWO_FACTOR_NOT_ENABLED: nothing to reset', async () => {
      const u = await registerAccount(server(), {}, 'reset2fa-none');
      problem(await call('post', at(AD.reset2fa, u.result.user.id), { reason: 'x' }), 'post', AD.reset2fa, 409, 'TWO_FACTOR_NOT_ENABLED');
    });

    it('409 ADMIN_SELF_ACTION; 422 reason required; 404 USER_NOT_FOUND', async () => {
      problem(await call('post', at(AD.reset2fa, admin.userId), { reason: 'x' }), 'post', AD.reset2fa, 409, 'ADMIN_SELF_ACTION');
      const u = await registerAccount(server(), {}, 'reset2fa-422');
      await enableTwoFactor(server(), u.result.accessToken, u.password);
      invalid(await call('post', at(AD.reset2fa, u.result.user.id), {}), 'post', AD.reset2fa, 'reason');
      expect((await detailOk(u.result.user.id)).user.twoFactor).toBe(true);
      problem(await call('post', at(AD.reset2fa, crypto.randomUUID()), { reason: 'x' }), 'post', AD.reset2fa, 404, 'USER_NOT_FOUND');
      // The admin still has two-factor (and so still the admin API).
      ok(await call('get', AD.users), 'get', AD.users, 200);
    });
  });

  // -------------------------------------------------------------------------------------- revoke sessions

  describe('POST /api/admin/users/{id}/revoke-sessions', () => {
    it('200 {revoked: n}: every session ends — access tokens get 401 SESSION_REVOKED, refresh tokens fail; audited', async () => {
      const u = await member('revoke');
      const reason = 'Suspicious sign-ins from a new country';
      const r = ok(await call('post', at(AD.revokeSessions, u.userId), { reason }), 'post', AD.revokeSessions, 200);
      expect(r).toEqual({ revoked: 2 });
      await expectSessionRevoked(u.login.accessToken);
      await expectSessionRevoked(u.result.accessToken);
      await expectRefreshFails(u.login.refreshToken);
      await expectRefreshFails(u.result.refreshToken);
      const row = await expectAdminAudit(server(), admin, u.userId, 'admin.user.sessions_revoked', reason, {
        targetType: 'user',
        secrets: [u.login.accessToken, u.login.refreshToken, u.result.refreshToken],
      });
      expect(row.metadata.sessionsRevoked).toBe(2);

      // Nothing left: 0. The user can sign in again.
      expect(ok(await call('post', at(AD.revokeSessions, u.userId), { reason: 'again' }), 'post', AD.revokeSessions, 200)).toEqual({ revoked: 0 });
      const again = ok(await login(server(), u.email, u.password), 'post', '/api/auth/login', 200);
      ok(await api(server(), 'get', KEYS, { token: again.accessToken }), 'get', KEYS, 200);
      expect((await detailOk(u.userId)).sessions.length).toBe(1);
    });

    it('200: a refreshed session counts once, and its new access token is revoked too', async () => {
      const u = await registerAccount(server(), {}, 'revoke-rotated');
      const next = ok(await refresh(server(), u.result.refreshToken), 'post', '/api/auth/refresh', 200);
      ok(await api(server(), 'get', KEYS, { token: next.accessToken }), 'get', KEYS, 200);
      expect(ok(await call('post', at(AD.revokeSessions, u.result.user.id), { reason: 'x' }), 'post', AD.revokeSessions, 200)).toEqual({ revoked: 1 });
      await expectSessionRevoked(next.accessToken, '(after refresh)');
      await expectSessionRevoked(u.result.accessToken, '(before refresh)');
      await expectRefreshFails(next.refreshToken);
    });

    it('422 reason required; 404 USER_NOT_FOUND', async () => {
      const u = await member('revoke-422');
      invalid(await call('post', at(AD.revokeSessions, u.userId), {}), 'post', AD.revokeSessions, 'reason');
      ok(await api(server(), 'get', KEYS, { token: u.tenant.token }), 'get', KEYS, 200);
      problem(await call('post', at(AD.revokeSessions, crypto.randomUUID()), { reason: 'x' }), 'post', AD.revokeSessions, 404, 'USER_NOT_FOUND');
    });
  });

  it('every user action above left admin.user.* audit rows by this admin, each with a reason or none, and no credentials', async () => {
    const r = await api(server(), 'get', `${AD.audit}?actorId=${admin.userId}&action=admin.user.&limit=200`, { token: admin.token });
    const items = ok(r, 'get', AD.audit, 200).items as any[];
    const actions = new Set(items.map((x) => x.action));
    for (const a of [
      'admin.user.suspended',
      'admin.user.reactivated',
      'admin.user.role_changed',
      'admin.user.deleted',
      'admin.user.verification_resent',
      'admin.user.two_factor_reset',
      'admin.user.sessions_revoked',
    ]) {
      expect(actions, `audit log lacks ${a}`).toContain(a);
    }
    for (const x of items) {
      expect(x.actorUserId).toBe(admin.userId);
      expect(x.targetType).toBe('user');
      expect(x.targetId).toMatch(UUID_RE);
    }
    expect(r.text).not.toContain(GOOD_PASSWORD);
    expect(r.text).not.toMatch(/tg_(live|test|svc)_[0-9A-Za-z]{20,}/);
    expect(r.text).not.toMatch(/rt_[A-Za-z0-9_-]{20,}/);
    expect(r.text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  });
});
