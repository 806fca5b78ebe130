import { describe, it, expect, beforeAll } from 'vitest';
import crypto from 'node:crypto';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import {
  HIGH_IP_LIMIT,
  GOOD_PASSWORD,
  api,
  enableTwoFactor,
  expectOk,
  expectProblem,
  login,
  loginOk,
  loginWith2fa,
  makeAdmin,
  registerAccount,
  waitAudit,
} from './auth-helpers.js';
import { sleep } from '../harness/env.js';
import { createOrg } from './org-helpers.js';
import { AD, at, ok, problem, invalid, parseCsv } from './admin-helpers.js';

/** The export's header row (api/openapi.yaml). */
const CSV_HEADER = [
  'id',
  'created_at',
  'actor_type',
  'actor_user_id',
  'actor_email',
  'impersonator_user_id',
  'organization_id',
  'action',
  'target_type',
  'target_id',
  'outcome',
  'reason',
  'ip',
  'user_agent',
  'request_id',
  'metadata',
];

const PATH = '/api/admin/audit-log' as const;

describe('GET /api/admin/audit-log', () => {
  const server = useServer(HIGH_IP_LIMIT);
  printLogsOnFailure();

  const audit = (token: string | undefined, query = '') => api(server(), 'get', PATH + query, { token });

  /** Access token of an ADMIN with 2FA, signed in with password + TOTP. */
  let adminToken: string;
  let adminId: string;
  let adminEmail: string;
  /** A user with some history: register, a failed login, a successful login. */
  let subjectId: string;

  beforeAll(async () => {
    const admin = await registerAccount(server(), {}, 'audit-admin');
    adminId = admin.result.user.id;
    adminEmail = admin.email;
    await makeAdmin(server(), adminId);
    const tf = await enableTwoFactor(server(), admin.result.accessToken, admin.password);
    const signedIn = await loginWith2fa(server(), admin.email, admin.password, tf.secret);
    expect(signedIn.user.role).toBe('ADMIN');
    adminToken = signedIn.accessToken;

    const subject = await registerAccount(server(), {}, 'audit-subject');
    subjectId = subject.result.user.id;
    expect((await login(server(), subject.email, 'wrong-password-1')).status).toBe(401);
    await loginOk(server(), subject.email, subject.password);
    await waitAudit(server(), subjectId, 'auth.login.succeeded');
  });

  it('200: newest first; entries of the security events, with no secrets in them', async () => {
    const r = await audit(adminToken);
    const page = expectOk(r, 'get', PATH, 200);
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.length).toBeLessThanOrEqual(50);
    const times = page.items.map((x: any) => Date.parse(x.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const actions = page.items.map((x: any) => x.action);
    for (const a of ['auth.register', 'auth.login.failed', 'auth.login.succeeded', 'auth.2fa.enabled', 'auth.2fa.verified']) {
      expect(actions, `audit log lacks ${a}`).toContain(a);
    }
    const failed = page.items.find((x: any) => x.action === 'auth.login.failed');
    expect(failed.outcome).toBe('failure');
    expect(r.text).not.toContain('wrong-password-1');
    expect(r.text).not.toContain(GOOD_PASSWORD);
  });

  it('200: action filter — exact, and a prefix ending in "."', async () => {
    const exact = expectOk(await audit(adminToken, '?action=auth.login.failed'), 'get', PATH, 200);
    expect(exact.items.length).toBeGreaterThan(0);
    for (const x of exact.items) expect(x.action).toBe('auth.login.failed');
    const prefix = expectOk(await audit(adminToken, '?action=auth.2fa.'), 'get', PATH, 200);
    expect(prefix.items.length).toBeGreaterThan(0);
    for (const x of prefix.items) expect(x.action.startsWith('auth.2fa.')).toBe(true);
    // Without the trailing dot it is an exact match: no action is called just "auth".
    expect(expectOk(await audit(adminToken, '?action=auth'), 'get', PATH, 200).items).toEqual([]);
  });

  it('200: userId filter', async () => {
    const page = expectOk(await audit(adminToken, `?userId=${subjectId}`), 'get', PATH, 200);
    const actions = page.items.map((x: any) => x.action);
    expect(actions).toContain('auth.register');
    expect(actions).toContain('auth.login.succeeded');
    for (const x of page.items) expect([x.actorUserId, x.targetId]).toContain(subjectId);
    expect(expectOk(await audit(adminToken, `?userId=${crypto.randomUUID()}`), 'get', PATH, 200).items).toEqual([]);
  });

  it('200: pagination with limit and the before cursor (pages do not overlap, older on later pages)', async () => {
    const p1 = expectOk(await audit(adminToken, '?limit=2'), 'get', PATH, 200);
    expect(p1.items.length).toBe(2);
    expect(typeof p1.nextCursor).toBe('string');
    const p2 = expectOk(await audit(adminToken, `?limit=2&before=${encodeURIComponent(p1.nextCursor)}`), 'get', PATH, 200);
    expect(p2.items.length).toBeGreaterThan(0);
    const ids1 = p1.items.map((x: any) => x.id);
    for (const x of p2.items) expect(ids1).not.toContain(x.id);
    expect(Date.parse(p2.items[0].createdAt)).toBeLessThanOrEqual(Date.parse(p1.items[1].createdAt));
    // The last page says so.
    const all = expectOk(await audit(adminToken, '?limit=200'), 'get', PATH, 200);
    expect(all.items.length).toBeLessThan(200);
    expect(all.nextCursor).toBeNull();
  });

  it('422: limit out of range, userId not a uuid', async () => {
    for (const q of ['?limit=0', '?limit=201', '?limit=abc', '?userId=not-a-uuid']) {
      expectProblem(await audit(adminToken, q), 'get', PATH, 422, 'VALIDATION_FAILED');
    }
  });

  it('401: without a token → UNAUTHORIZED', async () => {
    expectProblem(await audit(undefined), 'get', PATH, 401, 'UNAUTHORIZED');
  });

  it('403 FORBIDDEN: a signed-in user who is not an admin (even with 2FA)', async () => {
    const u = await registerAccount(server(), {}, 'audit-user');
    expectProblem(await audit(u.result.accessToken), 'get', PATH, 403, 'FORBIDDEN');
    const tf = await enableTwoFactor(server(), u.result.accessToken, u.password);
    const s = await loginWith2fa(server(), u.email, u.password, tf.secret);
    expectProblem(await audit(s.accessToken), 'get', PATH, 403, 'FORBIDDEN');
  });

  it('403 ADMIN_2FA_REQUIRED: an admin without two-factor authentication', async () => {
    const u = await registerAccount(server(), {}, 'audit-admin-no2fa');
    await makeAdmin(server(), u.result.user.id);
    const s = await loginOk(server(), u.email, u.password);
    expect(s.user.role).toBe('ADMIN');
    expectProblem(await audit(s.accessToken), 'get', PATH, 403, 'ADMIN_2FA_REQUIRED');
  });

  // ------------------------------------------------------------------------ filters, reason, actorEmail, CSV

  describe('filters (actorId, organizationId, targetId, from/to), reason and actorEmail, CSV export', () => {
    let victim: any;
    let victimId: string;
    let orgOwner: any;
    let orgId: string;
    /** Reasons starting with formula characters (a spreadsheet would evaluate them). */
    const R = {
      suspend: '=HYPERLINK("https://evil.example","click")',
      reactivate: '+1 escalated by support',
      revoke: '@ops asked for it',
      role: '-temporary access',
      org: 'Org abuse report',
    };
    /** Victim audit rows by action, as the JSON list shows them. */
    let byAction: Record<string, any>;

    const adminPost = async (template: string, id: string, body: unknown, headers: Record<string, string> = {}) => {
      const method = template === AD.role ? 'patch' : 'post';
      return ok(await api(server(), method, at(template, id), { token: adminToken, body, headers }), method, template, 200);
    };
    /** A User-Agent that a spreadsheet would run as a formula. */
    const EVIL_UA = '=cmd|\' /C calc\'!A0';

    beforeAll(async () => {
      victim = await registerAccount(server(), {}, 'audit-victim');
      victimId = victim.result.user.id;
      orgOwner = await registerAccount(server(), {}, 'audit-org-owner');
      const team = await createOrg(
        server(),
        { email: orgOwner.email, password: orgOwner.password, token: orgOwner.result.accessToken, userId: orgOwner.result.user.id, orgId: orgOwner.result.organizationId },
        'Audited team',
      );
      orgId = team.id;
      // Apart by a few ms each, so from/to can tell them apart at the API's millisecond precision.
      await adminPost(AD.suspend, victimId, { reason: R.suspend });
      await sleep(25);
      await adminPost(AD.reactivate, victimId, { reason: R.reactivate });
      await sleep(25);
      await adminPost(AD.revokeSessions, victimId, { reason: R.revoke });
      await sleep(25);
      await adminPost(AD.role, victimId, { role: 'ADMIN', reason: R.role });
      await sleep(25);
      await adminPost(AD.orgSuspend, orgId, { reason: R.org }, { 'user-agent': EVIL_UA });
      const items = expectOk(await audit(adminToken, `?targetId=${victimId}&action=admin.user.`), 'get', PATH, 200).items;
      byAction = Object.fromEntries(items.map((x: any) => [x.action, x]));
    });

    it('200: admin entries carry the reason and the actor\'s email; other entries have reason null', async () => {
      expect(Object.keys(byAction).sort()).toEqual([
        'admin.user.reactivated',
        'admin.user.role_changed',
        'admin.user.sessions_revoked',
        'admin.user.suspended',
      ]);
      const s = byAction['admin.user.suspended'];
      expect(s).toMatchObject({
        actorType: 'admin',
        actorUserId: adminId,
        actorEmail: adminEmail,
        impersonatorUserId: null,
        targetType: 'user',
        targetId: victimId,
        outcome: 'success',
        reason: R.suspend,
        ip: '127.0.0.1',
      });
      expect(byAction['admin.user.reactivated'].reason).toBe(R.reactivate);
      expect(byAction['admin.user.sessions_revoked'].reason).toBe(R.revoke);
      expect(byAction['admin.user.role_changed'].reason).toBe(R.role);
      const own = expectOk(await audit(adminToken, `?actorId=${victimId}&action=auth.register`), 'get', PATH, 200).items;
      expect(own.length).toBe(1);
      expect(own[0]).toMatchObject({ actorUserId: victimId, actorEmail: victim.email, reason: null });
    });

    it('200: actorId — only entries the user acted in (not the admin\'s actions on them)', async () => {
      const mine = expectOk(await audit(adminToken, `?actorId=${victimId}`), 'get', PATH, 200).items;
      expect(mine.length).toBeGreaterThan(0);
      for (const x of mine) expect([x.actorUserId, x.impersonatorUserId]).toContain(victimId);
      expect(mine.some((x: any) => x.action.startsWith('admin.'))).toBe(false);
      const admins = expectOk(await audit(adminToken, `?actorId=${adminId}&action=admin.`), 'get', PATH, 200).items;
      expect(admins.length).toBe(5);
      for (const x of admins) expect(x.actorUserId).toBe(adminId);
      // Upper-case UUIDs name the same user; actorId wins over the older userId.
      expect(expectOk(await audit(adminToken, `?actorId=${adminId.toUpperCase()}&action=admin.`), 'get', PATH, 200).items.length).toBe(5);
      const both = expectOk(await audit(adminToken, `?actorId=${adminId}&userId=${victimId}&action=admin.`), 'get', PATH, 200).items;
      expect(both.length).toBe(5);
    });

    it('200: organizationId — only that organization\'s entries', async () => {
      const items = expectOk(await audit(adminToken, `?organizationId=${orgId}`), 'get', PATH, 200).items;
      expect(items.map((x: any) => x.action)).toContain('admin.organization.suspended');
      for (const x of items) expect(x.organizationId).toBe(orgId);
      const suspended = items.find((x: any) => x.action === 'admin.organization.suspended');
      expect(suspended).toMatchObject({ targetType: 'organization', targetId: orgId, reason: R.org, actorEmail: adminEmail });
      expect(expectOk(await audit(adminToken, `?organizationId=${crypto.randomUUID()}`), 'get', PATH, 200).items).toEqual([]);
    });

    it('200: targetId — exact match only', async () => {
      const items = expectOk(await audit(adminToken, `?targetId=${victimId}`), 'get', PATH, 200).items;
      for (const x of items) expect(x.targetId).toBe(victimId);
      expect(items.length).toBeGreaterThanOrEqual(4);
      expect(expectOk(await audit(adminToken, `?targetId=${victimId.slice(0, 8)}`), 'get', PATH, 200).items).toEqual([]);
      expect(expectOk(await audit(adminToken, `?targetId=${crypto.randomUUID()}`), 'get', PATH, 200).items).toEqual([]);
    });

    it('200: from is inclusive, to exclusive; dates, RFC 3339 times and offsets', async () => {
      const pivot = byAction['admin.user.sessions_revoked'];
      const since = expectOk(await audit(adminToken, `?targetId=${victimId}&action=admin.user.&from=${encodeURIComponent(pivot.createdAt)}`), 'get', PATH, 200).items;
      expect(since.map((x: any) => x.action).sort()).toEqual(['admin.user.role_changed', 'admin.user.sessions_revoked']);
      for (const x of since) expect(Date.parse(x.createdAt)).toBeGreaterThanOrEqual(Date.parse(pivot.createdAt));
      const before = expectOk(await audit(adminToken, `?targetId=${victimId}&action=admin.user.&to=${encodeURIComponent(pivot.createdAt)}`), 'get', PATH, 200).items;
      expect(before.map((x: any) => x.action).sort()).toEqual(['admin.user.reactivated', 'admin.user.suspended']);
      const window = expectOk(
        await audit(
          adminToken,
          `?targetId=${victimId}&from=${encodeURIComponent(byAction['admin.user.reactivated'].createdAt)}&to=${encodeURIComponent(byAction['admin.user.role_changed'].createdAt)}`,
        ),
        'get',
        PATH,
        200,
      ).items;
      expect(window.map((x: any) => x.action).sort()).toEqual(['admin.user.reactivated', 'admin.user.sessions_revoked']);

      // Dates (midnight UTC): everything since 2000; nothing before it, nothing from tomorrow on.
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      expect(expectOk(await audit(adminToken, `?targetId=${victimId}&action=admin.user.&from=2000-01-01`), 'get', PATH, 200).items.length).toBe(4);
      expect(expectOk(await audit(adminToken, `?targetId=${victimId}&to=2000-01-01`), 'get', PATH, 200).items).toEqual([]);
      expect(expectOk(await audit(adminToken, `?targetId=${victimId}&from=${tomorrow}`), 'get', PATH, 200).items).toEqual([]);
      // The same instant written with an offset.
      const t = new Date(Date.parse(pivot.createdAt));
      const shifted = new Date(t.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
      const withOffset = expectOk(await audit(adminToken, `?targetId=${victimId}&action=admin.user.&from=${encodeURIComponent(shifted)}`), 'get', PATH, 200).items;
      expect(withOffset.map((x: any) => x.action).sort()).toEqual(['admin.user.role_changed', 'admin.user.sessions_revoked']);
    });

    it('422: actorId/userId/organizationId not UUIDs, from/to not dates or times without an offset, targetId too long, before not a cursor', async () => {
      const cases: Array<[string, string]> = [
        ['?actorId=abc', 'actorId'],
        ['?organizationId=abc', 'organizationId'],
        ['?from=yesterday', 'from'],
        ['?to=2026-11', 'to'],
        ['?from=1732665600', 'from'],
        ['?from=2026-11-01T10:00:00', 'from'],
        ['?to=2026-11-01 10:00', 'to'],
        ['?userId=not-a-uuid', 'userId'],
        [`?targetId=${'t'.repeat(201)}`, 'targetId'],
        ['?before=0', 'before'],
        ['?before=abc', 'before'],
      ];
      for (const [q, field] of cases) invalid(await audit(adminToken, q), 'get', PATH, field);
    });

    it('422 naming from/to: well-formed but impossible dates and times', async () => {
      for (const [q, field] of [
        ['?from=2026-13-01', 'from'],
        ['?to=2026-02-30', 'to'],
        ['?from=2026-11-01T25:00:00Z', 'from'],
      ] as const) {
        invalid(await audit(adminToken, q), 'get', PATH, field);
        invalid(await exportCsv(q), 'get', AD.auditExport, field);
      }
    });

    // ------------------------------------------------------------------------------------------- export

    /** GET …/export as the admin (or as `opts.token`, which may be undefined: anonymous). */
    const exportCsv = (query = '', opts: { token?: string } = { token: adminToken }) => api(server(), 'get', AD.auditExport + query, { token: opts.token });

    /** 200 text/csv attachment with the documented header; returns the data rows as objects. */
    function csvRows(r: Awaited<ReturnType<typeof exportCsv>>): Array<Record<string, string>> {
      expect(r.status, `export → ${r.status}: ${r.text.slice(0, 300)}`).toBe(200);
      expect(r.contentType).toMatch(/^text\/csv\b/i);
      ok(r, 'get', AD.auditExport, 200);
      expect(r.headers.get('content-disposition') ?? '').toMatch(/^attachment;\s*filename="?tollgate-audit-log\.csv"?$/i);
      expect(r.headers.get('cache-control') ?? '').toContain('no-store');
      const rows = parseCsv(r.text);
      expect(rows[0]).toEqual(CSV_HEADER);
      expect(r.text.split('\r\n')[0]).toBe(CSV_HEADER.map((h) => (r.text.startsWith('"') ? `"${h}"` : h)).join(','));
      return rows.slice(1).map((cells) => {
        expect(cells.length, `row ${JSON.stringify(cells)}`).toBe(CSV_HEADER.length);
        return Object.fromEntries(CSV_HEADER.map((h, i) => [h, cells[i]!]));
      });
    }

    it('200: text/csv attachment, the header row, the same entries as the JSON list (newest first)', async () => {
      const rows = csvRows(await exportCsv(`?targetId=${victimId}`));
      const json = expectOk(await audit(adminToken, `?targetId=${victimId}&limit=200`), 'get', PATH, 200).items;
      expect(rows.map((x) => x.id)).toEqual(json.map((x: any) => x.id));
      const s = rows.find((x) => x.action === 'admin.user.sessions_revoked')!;
      expect(s).toMatchObject({ actor_type: 'admin', actor_user_id: adminId, actor_email: adminEmail, target_type: 'user', target_id: victimId, outcome: 'success', ip: '127.0.0.1' });
      expect(JSON.parse(s.metadata)).toMatchObject({ sessionsRevoked: expect.any(Number) });
      expect(Date.parse(s.created_at)).toBe(Date.parse(byAction['admin.user.sessions_revoked'].createdAt));
      expect(s.request_id).toBe(byAction['admin.user.sessions_revoked'].requestId);
    });

    it('200: values starting with = + - @ (reasons, a User-Agent) are neutralized (prefixed with \'); others are not', async () => {
      const r = await exportCsv(`?targetId=${victimId}&action=admin.user.`);
      const rows = csvRows(r);
      const reason = (action: string) => rows.find((x) => x.action === action)!.reason;
      expect(reason('admin.user.suspended')).toBe(`'${R.suspend}`);
      expect(reason('admin.user.reactivated')).toBe(`'${R.reactivate}`);
      expect(reason('admin.user.sessions_revoked')).toBe(`'${R.revoke}`);
      expect(reason('admin.user.role_changed')).toBe(`'${R.role}`);
      const org = csvRows(await exportCsv(`?organizationId=${orgId}&action=admin.organization.suspended`));
      expect(org.length).toBe(1);
      expect(org[0]!.user_agent).toBe(`'${EVIL_UA}`);
      expect(org[0]!.reason).toBe(R.org);
      // No cell of the whole export starts with a formula character.
      for (const row of parseCsv((await exportCsv()).text)) {
        for (const cell of row) expect(/^[=+\-@\t\r]/.test(cell), `cell ${JSON.stringify(cell)} is not neutralized`).toBe(false);
      }
      expect(r.text).not.toContain(`,"=HYPERLINK`);
    });

    it('200: the filters apply (action prefix, actorId, organizationId, from/to, limit)', async () => {
      const prefixed = csvRows(await exportCsv('?action=admin.'));
      expect(prefixed.length).toBe(5);
      for (const x of prefixed) expect(x.action.startsWith('admin.')).toBe(true);
      const byActor = csvRows(await exportCsv(`?actorId=${victimId}`));
      for (const x of byActor) expect(x.actor_user_id).toBe(victimId);
      const byOrg = csvRows(await exportCsv(`?organizationId=${orgId}`));
      expect(byOrg.length).toBeGreaterThan(0);
      for (const x of byOrg) expect(x.organization_id).toBe(orgId);
      const pivot = byAction['admin.user.sessions_revoked'].createdAt;
      const since = csvRows(await exportCsv(`?targetId=${victimId}&from=${encodeURIComponent(pivot)}`));
      expect(since.map((x) => x.action).sort()).toEqual(['admin.user.role_changed', 'admin.user.sessions_revoked']);
      const one = csvRows(await exportCsv('?limit=1'));
      expect(one.length).toBe(1);
      const all = csvRows(await exportCsv());
      expect(one[0]!.id).toBe(all[0]!.id);
      expect(all.length).toBeGreaterThan(prefixed.length);
      expect(csvRows(await exportCsv(`?targetId=${crypto.randomUUID()}`))).toEqual([]);
    });

    it('200: no secrets in the export', async () => {
      const r = await exportCsv();
      expect(r.status).toBe(200);
      for (const secret of [GOOD_PASSWORD, victim.result.accessToken, victim.result.refreshToken, orgOwner.result.refreshToken]) {
        expect(r.text.includes(secret)).toBe(false);
      }
      expect(r.text).not.toContain('wrong-password-1');
    });

    it('422: bad limit or filters', async () => {
      for (const [q, field] of [
        ['?limit=0', 'limit'],
        ['?limit=10001', 'limit'],
        ['?limit=x', 'limit'],
        ['?actorId=abc', 'actorId'],
        ['?from=soon', 'from'],
        ['?before=-1', 'before'],
      ] as const) {
        invalid(await exportCsv(q), 'get', AD.auditExport, field);
      }
    });

    it('401 / 403: the export has the admin API\'s access rules', async () => {
      problem(await exportCsv('', {}), 'get', AD.auditExport, 401, 'UNAUTHORIZED');
      const u = await registerAccount(server(), {}, 'audit-export-user');
      problem(await exportCsv('', { token: u.result.accessToken }), 'get', AD.auditExport, 403, 'FORBIDDEN');
      const n = await registerAccount(server(), {}, 'audit-export-no2fa');
      await makeAdmin(server(), n.result.user.id);
      const s = await loginOk(server(), n.email, n.password);
      problem(await exportCsv('', { token: s.accessToken }), 'get', AD.auditExport, 403, 'ADMIN_2FA_REQUIRED');
    });
  });
});
