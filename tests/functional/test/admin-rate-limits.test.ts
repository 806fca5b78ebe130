/**
 * The rate-limit inspector: GET /api/admin/rate-limits?kind=ip|user|key&id=… shows a subject's buckets without
 * counting a request, and POST /api/admin/rate-limits/reset empties them (reason required, audited).
 */
import crypto from 'node:crypto';
import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { api, login, registerAccount, uniqueEmail } from './auth-helpers.js';
import { createKey, newTenant, type Tenant } from './keys-helpers.js';
import { gw, expectGwOk, rateHeaders } from './gateway-helpers.js';
import { ADMIN_ENV, AD, adminSignIn, expectAdminAudit, invalid, ok, problem, type Admin } from './admin-helpers.js';

describe('admin: rate limits', () => {
  // RATE_LIMIT_USER_MAX / RATE_LIMIT_IP_MAX as the buckets must show them.
  const server = useServer({ ...ADMIN_ENV, RATE_LIMIT_USER_MAX: '5000', RATE_LIMIT_IP_MAX: '4000' });
  printLogsOnFailure();

  let admin: Admin;
  let tenant: Tenant;
  let key: { key: any; secret: string };

  beforeAll(async () => {
    admin = await adminSignIn(server(), 'rl-admin');
    tenant = await newTenant(server(), 'rl-tenant');
    key = await createKey(server(), tenant.token); // the Free plan's limit: 10 cost units per minute
  });

  const inspect = (kind: string, id: string) =>
    api(server(), 'get', `${AD.rateLimits}?${new URLSearchParams({ kind, id }).toString()}`, { token: admin.token });
  const inspectOk = async (kind: string, id: string) => ok(await inspect(kind, id), 'get', AD.rateLimits, 200);
  const bucket = (state: any, name: string) => {
    const b = state.buckets.find((x: any) => x.name === name);
    expect(b, `bucket ${name} in ${JSON.stringify(state)}`).toBeTruthy();
    return b;
  };
  const reset = (body: unknown) => api(server(), 'post', AD.rateLimitsReset, { token: admin.token, body });

  describe('kind=key', () => {
    it('200: a key that made 3 calls shows used 3 of its plan\'s 10 per minute; looking does not count', async () => {
      const fresh = await inspectOk('key', key.key.id);
      expect(fresh).toMatchObject({ kind: 'key', id: key.key.id });
      expect(fresh.buckets.length).toBe(1);
      expect(bucket(fresh, 'key')).toMatchObject({ limit: 10, windowSeconds: 60, used: 0, remaining: 10, store: 'memory' });

      for (let i = 0; i < 3; i++) expectGwOk(await gw(server(), 'GET', '/echo/rl', { key: key.secret }));
      const state = await inspectOk('key', key.key.id);
      const b = bucket(state, 'key');
      expect(b).toMatchObject({ limit: 10, used: 3, remaining: 7 });
      expect(b.resetMs).toBeGreaterThan(0);
      expect(b.resetMs).toBeLessThanOrEqual(60_000);
      expect(bucket(await inspectOk('key', key.key.id.toUpperCase()), 'key').used, 'peeking again counts nothing').toBe(3);
    });

    it('204 reset: used back to 0, the key gets its whole window again; audited with the reason', async () => {
      const reason = 'Customer hit the limit during a migration';
      ok(await reset({ kind: 'key', id: key.key.id, reason }), 'post', AD.rateLimitsReset, 204);
      expect(bucket(await inspectOk('key', key.key.id), 'key')).toMatchObject({ used: 0, remaining: 10 });
      const r = await gw(server(), 'GET', '/echo/rl', { key: key.secret });
      expectGwOk(r);
      expect(rateHeaders(r).remaining).toBe(9);
      const row = await expectAdminAudit(server(), admin, `key:${key.key.id}`, 'admin.rate_limit.reset', reason, { targetType: 'rate_limit' });
      expect(row.metadata).toMatchObject({ kind: 'key' });
    });

    it('200: a key override shows as the limit', async () => {
      const k = await createKey(server(), tenant.token, { rateLimitPerMinute: 250 });
      expect(bucket(await inspectOk('key', k.key.id), 'key')).toMatchObject({ limit: 250, used: 0 });
    });

    it('404 API_KEY_NOT_FOUND: an unknown key id (inspect and reset)', async () => {
      const id = crypto.randomUUID();
      problem(await inspect('key', id), 'get', AD.rateLimits, 404, 'API_KEY_NOT_FOUND');
      problem(await reset({ kind: 'key', id, reason: 'x' }), 'post', AD.rateLimitsReset, 404, 'API_KEY_NOT_FOUND');
    });
  });

  describe('kind=user', () => {
    it('200: the signed-in /api bucket counts the user\'s requests; reset empties it', async () => {
      const u = await registerAccount(server(), {}, 'rl-user');
      const id = u.result.user.id;
      expect(bucket(await inspectOk('user', id), 'api')).toMatchObject({ limit: 5000, windowSeconds: 900, used: 0 });
      for (let i = 0; i < 3; i++) ok(await api(server(), 'get', '/api/user/profile', { token: u.result.accessToken }), 'get', '/api/user/profile', 200);
      const state = await inspectOk('user', id.toUpperCase());
      expect(state).toMatchObject({ kind: 'user', id });
      expect(state.buckets.map((b: any) => b.name)).toEqual(['api']);
      expect(bucket(state, 'api')).toMatchObject({ used: 3, remaining: 4997 });

      ok(await reset({ kind: 'user', id, reason: 'Support request #12' }), 'post', AD.rateLimitsReset, 204);
      expect(bucket(await inspectOk('user', id), 'api').used).toBe(0);
      const r = await api(server(), 'get', '/api/user/profile', { token: u.result.accessToken });
      ok(r, 'get', '/api/user/profile', 200);
      expect(Number(r.headers.get('x-ratelimit-remaining'))).toBe(4999);
      await expectAdminAudit(server(), admin, `user:${id}`, 'admin.rate_limit.reset', 'Support request #12', { targetType: 'rate_limit' });
    });

    it('404 USER_NOT_FOUND: an unknown user id (inspect and reset)', async () => {
      const id = crypto.randomUUID();
      problem(await inspect('user', id), 'get', AD.rateLimits, 404, 'USER_NOT_FOUND');
      problem(await reset({ kind: 'user', id, reason: 'x' }), 'post', AD.rateLimitsReset, 404, 'USER_NOT_FOUND');
    });
  });

  describe('kind=ip', () => {
    it('200: the anonymous /api bucket and the failed sign-in throttle of an address; reset empties both', async () => {
      for (let i = 0; i < 2; i++) expect((await login(server(), uniqueEmail('rl-nobody'), 'wrong-password-1')).status).toBe(401);
      const state = await inspectOk('ip', '127.0.0.1');
      expect(state).toMatchObject({ kind: 'ip', id: '127.0.0.1' });
      expect(state.buckets.map((b: any) => b.name).sort()).toEqual(['api', 'login_failures']);
      expect(bucket(state, 'api')).toMatchObject({ limit: 4000, windowSeconds: 900 });
      expect(bucket(state, 'api').used).toBeGreaterThanOrEqual(2);
      expect(bucket(state, 'login_failures').used).toBe(2);

      ok(await reset({ kind: 'ip', id: '127.0.0.1', reason: 'Office NAT, false positive' }), 'post', AD.rateLimitsReset, 204);
      const after = await inspectOk('ip', '127.0.0.1');
      expect(bucket(after, 'api').used).toBe(0);
      expect(bucket(after, 'login_failures').used).toBe(0);
      await expectAdminAudit(server(), admin, 'ip:127.0.0.1', 'admin.rate_limit.reset', 'Office NAT, false positive', { targetType: 'rate_limit' });
    });

    it('200: an IPv6 address nobody used', async () => {
      const state = await inspectOk('ip', '2001:db8::1');
      expect(bucket(state, 'api').used).toBe(0);
      expect(bucket(state, 'login_failures').used).toBe(0);
    });
  });

  describe('422 VALIDATION_FAILED', () => {
    it('inspect: kind missing or unknown; id missing or not an address / UUID', async () => {
      const cases: Array<[string, string, string]> = [
        ['', key.key.id, 'kind'],
        ['org', key.key.id, 'kind'],
        ['KEY', key.key.id, 'kind'],
        ['key', '', 'id'],
        ['key', 'abc', 'id'],
        ['user', 'not-a-uuid', 'id'],
        ['ip', 'localhost', 'id'],
        ['ip', '999.1.1.1', 'id'],
        ['ip', '10.0.0.0/8', 'id'],
        ['ip', '', 'id'],
      ];
      for (const [kind, id, field] of cases) invalid(await inspect(kind, id), 'get', AD.rateLimits, field);
    });

    it('reset: reason required; bad kind or id; unknown field — nothing is reset', async () => {
      for (let i = 0; i < 2; i++) expectGwOk(await gw(server(), 'GET', '/echo/rl', { key: key.secret }));
      const used = bucket(await inspectOk('key', key.key.id), 'key').used;
      expect(used).toBeGreaterThan(0);
      invalid(await reset({ kind: 'key', id: key.key.id }), 'post', AD.rateLimitsReset, 'reason');
      invalid(await reset({ kind: 'key', id: key.key.id, reason: '  ' }), 'post', AD.rateLimitsReset, 'reason');
      invalid(await reset({ kind: 'org', id: key.key.id, reason: 'x' }), 'post', AD.rateLimitsReset, 'kind');
      invalid(await reset({ id: key.key.id, reason: 'x' }), 'post', AD.rateLimitsReset, 'kind');
      invalid(await reset({ kind: 'key', id: 'abc', reason: 'x' }), 'post', AD.rateLimitsReset, 'id');
      invalid(await reset({ kind: 'ip', id: 'example.com', reason: 'x' }), 'post', AD.rateLimitsReset, 'id');
      invalid(await reset({ kind: 'key', id: key.key.id, reason: 'x', all: true }), 'post', AD.rateLimitsReset, 'all');
      expect(bucket(await inspectOk('key', key.key.id), 'key').used).toBe(used);
    });
  });
});
