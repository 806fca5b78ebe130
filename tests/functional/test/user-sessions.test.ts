import { describe, it, expect } from 'vitest';
import crypto from 'node:crypto';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import {
  HIGH_IP_LIMIT,
  UUID_RE,
  api,
  expectOk,
  expectProblem,
  expectRefreshRefused,
  expectRefreshWorks,
  login,
  postJson,
  registerAccount,
  sidOf,
  waitAudit,
} from './auth-helpers.js';

const LIST = '/api/user/sessions' as const;
const ONE = '/api/user/sessions/{id}' as const;

describe('GET /api/user/sessions and DELETE /api/user/sessions/{id}', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  const list = (token?: string) => api(server(), 'get', LIST, { token });
  const revoke = (token: string | undefined, id: string) => api(server(), 'delete', `${LIST}/${encodeURIComponent(id)}`, { token });

  /** An account with three sign-ins from three "devices": registration (UA A), login (UA B), login (UA C). */
  async function threeDevices(tag: string) {
    const email = `${tag}-${crypto.randomUUID()}@example.com`;
    const password = 'Sessions-test-Passw0rd!';
    const reg = await postJson(server(), '/api/auth/register', { email, password }, { 'user-agent': `UA-A/${tag}` });
    expect(reg.status, reg.text).toBe(201);
    const b = await login(server(), email, password, { 'user-agent': `UA-B/${tag}` });
    expect(b.status, b.text).toBe(200);
    const c = await login(server(), email, password, { 'user-agent': `UA-C/${tag}` });
    expect(c.status, c.text).toBe(200);
    return { email, password, userId: reg.json.user.id as string, a: reg.json, b: b.json, c: c.json };
  }

  describe('GET', () => {
    it('200: one entry per sign-in, newest first, `current` marks the caller, ids are the tokens\' sid', async () => {
      const d = await threeDevices('ses-list');
      for (const t of [d.a, d.b, d.c]) expect(sidOf(t.accessToken), 'access tokens carry a sid claim').toMatch(UUID_RE);
      const r = await list(d.b.accessToken);
      const body = expectOk(r, 'get', LIST, 200);
      const s = body.sessions as any[];
      expect(s.length).toBe(3);
      expect(s.map((x) => x.id)).toEqual([sidOf(d.c.accessToken), sidOf(d.b.accessToken), sidOf(d.a.accessToken)]);
      expect(s.map((x) => x.userAgent)).toEqual(['UA-C/ses-list', 'UA-B/ses-list', 'UA-A/ses-list']);
      expect(s.map((x) => x.current)).toEqual([false, true, false]);
      for (const x of s) {
        expect(x.ip).toBe('127.0.0.1');
        expect(Date.parse(x.expiresAt)).toBeGreaterThan(Date.now());
        expect(Date.parse(x.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(x.createdAt) - 1000);
      }
      const times = s.map((x) => Date.parse(x.createdAt));
      expect([...times].sort((p, q) => q - p)).toEqual(times);
      // Another caller sees another `current`.
      const fromA = expectOk(await list(d.a.accessToken), 'get', LIST, 200).sessions as any[];
      expect(fromA.find((x) => x.current)?.id).toBe(sidOf(d.a.accessToken));
    });

    it('200: a refresh keeps the session id (and the sid of the new access token); logged-out sessions are gone', async () => {
      const d = await threeDevices('ses-refresh');
      const rotated = await expectRefreshWorks(server(), d.b.refreshToken);
      expect(sidOf(rotated.accessToken)).toBe(sidOf(d.b.accessToken));
      const out = await postJson(server(), '/api/auth/logout', { refreshToken: d.c.refreshToken });
      expect(out.status, out.text).toBe(204);
      const s = expectOk(await list(rotated.accessToken), 'get', LIST, 200).sessions as any[];
      expect(s.map((x) => x.id)).toEqual([sidOf(d.b.accessToken), sidOf(d.a.accessToken)]);
      expect(s[0].current).toBe(true);
    });

    it('200: users only see their own sessions', async () => {
      const one = await registerAccount(server(), {}, 'ses-own-1');
      const two = await registerAccount(server(), {}, 'ses-own-2');
      const s = expectOk(await list(one.result.accessToken), 'get', LIST, 200).sessions as any[];
      expect(s.map((x) => x.id)).toEqual([sidOf(one.result.accessToken)]);
      expect(s.map((x) => x.id)).not.toContain(sidOf(two.result.accessToken));
    });

    it('401: without a token → UNAUTHORIZED', async () => {
      expectProblem(await list(), 'get', LIST, 401, 'UNAUTHORIZED');
    });
  });

  describe('DELETE', () => {
    it('204: that session\'s refresh token stops at once; it leaves the list; the others keep working', async () => {
      const d = await threeDevices('ses-del');
      const r = await revoke(d.a.accessToken, sidOf(d.b.accessToken));
      expectOk(r, 'delete', ONE, 204);
      await expectRefreshRefused(server(), d.b.refreshToken, '(revoked session)');
      await expectRefreshWorks(server(), d.c.refreshToken, '(untouched session)');
      const s = expectOk(await list(d.a.accessToken), 'get', LIST, 200).sessions as any[];
      expect(s.map((x) => x.id)).not.toContain(sidOf(d.b.accessToken));
      expect(s.length).toBe(2);
      expect(await waitAudit(server(), d.userId, 'auth.session.revoked')).toContain('auth.session.revoked');
      // Revoking it again: it is no longer an active session of the user.
      expectProblem(await revoke(d.a.accessToken, sidOf(d.b.accessToken)), 'delete', ONE, 404, 'NOT_FOUND');
    });

    it('404 NOT_FOUND: an unknown id, another user\'s session (which keeps working), a non-uuid', async () => {
      const mine = await registerAccount(server(), {}, 'ses-404');
      const theirs = await registerAccount(server(), {}, 'ses-404-other');
      expectProblem(await revoke(mine.result.accessToken, crypto.randomUUID()), 'delete', ONE, 404, 'NOT_FOUND');
      expectProblem(await revoke(mine.result.accessToken, sidOf(theirs.result.accessToken)), 'delete', ONE, 404, 'NOT_FOUND');
      await expectRefreshWorks(server(), theirs.result.refreshToken, '(another user\'s session after a refused revoke)');
      for (const bad of ['not-a-uuid', '1', "1' OR '1'='1"]) {
        expectProblem(await revoke(mine.result.accessToken, bad), 'delete', ONE, 404, 'NOT_FOUND');
      }
    });

    it('401: without a token → UNAUTHORIZED', async () => {
      expectProblem(await revoke(undefined, crypto.randomUUID()), 'delete', ONE, 401, 'UNAUTHORIZED');
    });
  });
});
