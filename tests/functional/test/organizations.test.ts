/**
 * /api/organizations (list, create) and /api/organization (the active organization: get, rename / billing email,
 * delete), and how X-Organization-Id selects it (docs/permissions.md).
 */
import { describe, it, expect } from 'vitest';
import crypto from 'node:crypto';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { request } from '../harness/http.js';
import { dbQuery } from './auth-helpers.js';
import { createKey, createServiceToken, newTenant, verifyOk, verifyUntil, type Tenant } from './keys-helpers.js';
import {
  O,
  ORG_ENV,
  UUID_RE,
  accept,
  call,
  createOrg,
  fillPath,
  forbidden,
  invalid,
  invitationToken,
  invite,
  ok,
  orgAudit,
  problem,
  team,
  tokenOf,
  waitOrgAudit,
  withoutRequestId,
} from './org-helpers.js';

describe('organizations', () => {
  const server = useServer(ORG_ENV);
  printLogsOnFailure();

  const list = async (t: Tenant, headers: Record<string, string> = {}) =>
    ok(await call(server(), 'get', O.list, { token: t.token, headers }), 'get', O.list).organizations as any[];

  describe('GET /api/organizations', () => {
    it('200: a new account has exactly its personal organization, role OWNER, memberCount 1', async () => {
      const t = await newTenant(server(), 'org-list');
      const r = await call(server(), 'get', O.list, { token: t.token });
      const body = ok(r, 'get', O.list);
      expect(r.headers.get('cache-control')).toContain('no-store');
      expect(body.organizations).toHaveLength(1);
      const p = body.organizations[0];
      expect(p).toMatchObject({ id: t.orgId, personal: true, role: 'OWNER', memberCount: 1, status: 'active', billingEmail: null });
      expect(typeof p.name).toBe('string');
      expect(p.name.trim().length).toBeGreaterThan(0);
      expect(Math.abs(Date.parse(p.createdAt) - Date.now())).toBeLessThan(5 * 60_000);
    });

    it('200: personal first, then team organizations by name (case-insensitive), each with the caller\'s role', async () => {
      const t = await newTenant(server(), 'org-order');
      const beta = await createOrg(server(), t, 'beta');
      const alpha = await createOrg(server(), t, 'Alpha');
      const gamma = await createOrg(server(), t, 'Gamma');
      const orgs = await list(t);
      expect(orgs.map((o) => o.id)).toEqual([t.orgId, alpha.id, beta.id, gamma.id]);
      expect(orgs.map((o) => o.personal)).toEqual([true, false, false, false]);
      expect(orgs.every((o) => o.role === 'OWNER' && o.memberCount === 1)).toBe(true);
      // Someone else's organizations are not listed.
      const other = await newTenant(server(), 'org-order-other');
      expect((await list(other)).map((o) => o.id)).toEqual([other.orgId]);
    });

    it('401 without a token or with a garbage token', async () => {
      problem(await call(server(), 'get', O.list), 'get', O.list, 401, 'UNAUTHORIZED');
      problem(await call(server(), 'get', O.list, { token: 'not.a.jwt' }), 'get', O.list, 401, 'UNAUTHORIZED');
    });

    it('the header is ignored here (docs/permissions.md: /api/organizations list/create ignore X-Organization-Id)', async () => {
      const t = await newTenant(server(), 'org-ignore');
      const stranger = await newTenant(server(), 'org-ignore-stranger');
      const foreign = await createOrg(server(), stranger, 'Not yours');
      const mine = await list(t);
      // A team organization of the caller in the header: the same list.
      const own = await createOrg(server(), t, 'Yours');
      expect((await list(t, { 'x-organization-id': own.id })).map((o) => o.id)).toEqual([t.orgId, own.id]);
      // Another organization's id, a random one, a malformed one: still the caller's list, not 404/400.
      for (const h of [foreign.id, crypto.randomUUID(), 'not-a-uuid']) {
        const r = await call(server(), 'get', O.list, { token: t.token, org: h });
        const body = ok(r, 'get', O.list);
        expect(body.organizations.map((o: any) => o.id)).toEqual([t.orgId, own.id]);
      }
      expect(mine.map((o) => o.id)).toEqual([t.orgId]);
      // Creating with a foreign header still creates the caller's organization.
      const r = await call(server(), 'post', O.list, { token: t.token, org: foreign.id, body: { name: 'Created anyway' } });
      const created = ok(r, 'post', O.list, 201);
      expect(created.role).toBe('OWNER');
    });
  });

  it('user routes ignore the header: removed from a team while the web app still sends its id, one can read the profile, list sessions and sign out', async () => {
    const tm = await team(server(), 'org-stale', ['MEMBER']);
    const m = tm.members.MEMBER!;
    ok(await call(server(), 'delete', fillPath(O.member, m.userId), { token: tm.owner.token, org: tm.id }), 'delete', O.member, 204);
    const stale = { 'x-organization-id': tm.id };
    // The organization-scoped route refuses (that is the point of the header check)…
    problem(await call(server(), 'get', O.org, { token: m.token, headers: stale }), 'get', O.org, 404, 'ORGANIZATION_NOT_FOUND');
    // …but routes about the user are not organization-scoped (docs/permissions.md).
    const profile = await call(server(), 'get', '/api/user/profile', { token: m.token, headers: stale });
    expect(ok(profile, 'get', '/api/user/profile').id).toBe(m.userId);
    ok(await call(server(), 'get', '/api/user/sessions', { token: m.token, headers: stale }), 'get', '/api/user/sessions');
    const out = await call(server(), 'post', '/api/auth/logout', { token: m.token, headers: stale, body: { refreshToken: 'x'.repeat(43) } });
    expect([204, 401], `POST /api/auth/logout with a stale header must not be refused for the organization: ${out.status} ${out.text.slice(0, 300)}`).toContain(out.status);
    if (out.status === 204) ok(out, 'post', '/api/auth/logout', 204);
    else problem(out, 'post', '/api/auth/logout', 401, out.json.code);
  });

  describe('POST /api/organizations', () => {
    it('201: a team organization owned by the caller (name trimmed), listed, audited organization.created', async () => {
      const t = await newTenant(server(), 'org-create');
      const r = await call(server(), 'post', O.list, { token: t.token, body: { name: '  Acme Platform  ' } });
      const o = ok(r, 'post', O.list, 201);
      expect(r.headers.get('cache-control')).toContain('no-store');
      expect(o).toMatchObject({ name: 'Acme Platform', personal: false, status: 'active', role: 'OWNER', billingEmail: null, memberCount: 1 });
      expect(o.id).toMatch(UUID_RE);
      expect(o.id).not.toBe(t.orgId);
      const row = (await dbQuery(server(), 'SELECT owner_user_id::text AS owner, personal, status FROM organizations WHERE id = $1', [o.id])).rows[0];
      expect(row).toEqual({ owner: t.userId, personal: false, status: 'active' });
      const members = (await dbQuery(server(), 'SELECT user_id::text AS u, role FROM organization_members WHERE organization_id = $1', [o.id])).rows;
      expect(members).toEqual([{ u: t.userId, role: 'OWNER' }]);
      expect((await list(t)).map((x) => x.id)).toEqual([t.orgId, o.id]);
      const audit = await waitOrgAudit(server(), o.id, 'organization.created');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor_user_id: t.userId, target_type: 'organization', target_id: o.id, request_id: r.headers.get('x-request-id') });
      // GET /api/organization with the header answers the same organization.
      expect(ok(await call(server(), 'get', O.org, { token: t.token, org: o.id }), 'get', O.org)).toEqual(o);
    });

    it('201: 200 characters (counted as characters, not bytes) is the longest name', async () => {
      const t = await newTenant(server(), 'org-200');
      ok(await call(server(), 'post', O.list, { token: t.token, body: { name: 'n'.repeat(200) } }), 'post', O.list, 201);
      const o = ok(await call(server(), 'post', O.list, { token: t.token, body: { name: 'é'.repeat(200) } }), 'post', O.list, 201);
      expect(o.name).toBe('é'.repeat(200));
    });

    it('422 VALIDATION_FAILED: missing, empty, blank, too long, not a string, unknown field', async () => {
      const t = await newTenant(server(), 'org-422');
      const post = (body: unknown) => call(server(), 'post', O.list, { token: t.token, body });
      invalid(await post({}), 'post', O.list, 'name');
      invalid(await post({ name: '' }), 'post', O.list, 'name');
      invalid(await post({ name: '   \t ' }), 'post', O.list, 'name');
      invalid(await post({ name: 'x'.repeat(201) }), 'post', O.list, 'name');
      invalid(await post({ name: 42 }), 'post', O.list, 'name');
      invalid(await post({ name: null }), 'post', O.list, 'name');
      invalid(await post({ name: 'ok', personal: true }), 'post', O.list, 'personal');
      problem(await post([1, 2]), 'post', O.list, 422, 'VALIDATION_FAILED');
      // Nothing was created.
      expect((await list(t)).map((o) => o.id)).toEqual([t.orgId]);
    });

    it('415 for a non-JSON content type; 400 for malformed JSON; 401 without a token', async () => {
      const t = await newTenant(server(), 'org-415');
      problem(
        await call(server(), 'post', O.list, { token: t.token, body: 'name=Acme', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        'post',
        O.list,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      problem(await call(server(), 'post', O.list, { token: t.token, body: '{"name": "Acme"' }), 'post', O.list, 400, 'MALFORMED_JSON');
      problem(await call(server(), 'post', O.list, { body: { name: 'Acme' } }), 'post', O.list, 401, 'UNAUTHORIZED');
      expect((await list(t)).map((o) => o.id)).toEqual([t.orgId]);
    });

    it('409 ORGANIZATION_LIMIT_REACHED at the 21st owned team organization (the personal one and deleted ones do not count)', async () => {
      const t = await newTenant(server(), 'org-limit');
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await createOrg(server(), t, `Limit ${String(i).padStart(2, '0')}`)).id);
      const r = await call(server(), 'post', O.list, { token: t.token, body: { name: 'One too many' } });
      problem(r, 'post', O.list, 409, 'ORGANIZATION_LIMIT_REACHED');
      expect(await list(t)).toHaveLength(21);
      // Organizations the user is only a member of do not count either; a deleted one frees a slot.
      ok(await call(server(), 'delete', O.org, { token: t.token, org: ids[0] }), 'delete', O.org, 204);
      ok(await call(server(), 'post', O.list, { token: t.token, body: { name: 'Fits again' } }), 'post', O.list, 201);
      problem(await call(server(), 'post', O.list, { token: t.token, body: { name: 'Full again' } }), 'post', O.list, 409, 'ORGANIZATION_LIMIT_REACHED');
    });

    it('the limit of 20 holds under concurrent creates (18 owned, 6 at once → exactly 2 created; 8 rounds)', async () => {
      const t = await newTenant(server(), 'org-limit-race');
      for (let i = 0; i < 18; i++) await createOrg(server(), t, `Race ${String(i).padStart(2, '0')}`);
      const owned = async () =>
        (await dbQuery(server(), `SELECT count(*)::int AS n FROM organizations WHERE owner_user_id = $1 AND NOT personal AND status <> 'deleted'`, [t.userId])).rows[0].n as number;
      // A race shows only sometimes: a few rounds, each back at 18 owned.
      for (let round = 0; round < 8; round++) {
        const answers = await Promise.all(
          Array.from({ length: 6 }, (_, i) => call(server(), 'post', O.list, { token: t.token, body: { name: `Concurrent ${round}.${i}` } })),
        );
        for (const r of answers) {
          if (r.status === 201) ok(r, 'post', O.list, 201);
          else problem(r, 'post', O.list, 409, 'ORGANIZATION_LIMIT_REACHED');
        }
        const statuses = answers.map((r) => r.status).join(',');
        expect(await owned(), `round ${round}: owned team organizations after 6 concurrent creates at 18 (answers ${statuses})`).toBe(20);
        for (const r of answers.filter((x) => x.status === 201)) {
          ok(await call(server(), 'delete', O.org, { token: t.token, org: r.json.id }), 'delete', O.org, 204);
        }
      }
    });
  });

  describe('GET /api/organization and X-Organization-Id', () => {
    it('without the header: the personal organization; with it: the named one', async () => {
      const t = await newTenant(server(), 'org-get');
      const personal = ok(await call(server(), 'get', O.org, { token: t.token }), 'get', O.org);
      expect(personal).toMatchObject({ id: t.orgId, personal: true, role: 'OWNER', memberCount: 1 });
      const teamOrg = await createOrg(server(), t, 'Header team');
      const r = await call(server(), 'get', O.org, { token: t.token, org: teamOrg.id });
      expect(r.headers.get('cache-control')).toContain('no-store');
      expect(ok(r, 'get', O.org)).toEqual(teamOrg);
      // Upper-case hex names the same organization.
      expect(ok(await call(server(), 'get', O.org, { token: t.token, org: teamOrg.id.toUpperCase() }), 'get', O.org).id).toBe(teamOrg.id);
      // The personal organization may also be named explicitly.
      expect(ok(await call(server(), 'get', O.org, { token: t.token, org: t.orgId }), 'get', O.org)).toEqual(personal);
    });

    it('400 INVALID_ORGANIZATION_ID for a malformed header on GET, PATCH and DELETE', async () => {
      const t = await newTenant(server(), 'org-400');
      for (const bad of ['not-a-uuid', '123', `{${crypto.randomUUID()}}`, crypto.randomUUID().replace(/-/g, ''), `${crypto.randomUUID()}0`, "' OR 1=1 --"]) {
        problem(await call(server(), 'get', O.org, { token: t.token, org: bad }), 'get', O.org, 400, 'INVALID_ORGANIZATION_ID');
        problem(await call(server(), 'patch', O.org, { token: t.token, org: bad, body: { name: 'x' } }), 'patch', O.org, 400, 'INVALID_ORGANIZATION_ID');
        problem(await call(server(), 'delete', O.org, { token: t.token, org: bad }), 'delete', O.org, 400, 'INVALID_ORGANIZATION_ID');
      }
      // Nothing changed.
      expect(ok(await call(server(), 'get', O.org, { token: t.token }), 'get', O.org).name).not.toBe('x');
    });

    it('404 ORGANIZATION_NOT_FOUND for another organization\'s id and for a random uuid: identical answers', async () => {
      const t = await newTenant(server(), 'org-404');
      const other = await newTenant(server(), 'org-404-other');
      const theirTeam = await createOrg(server(), other, 'Their team');
      const random = crypto.randomUUID();
      for (const [method, body] of [['get', undefined], ['patch', { name: 'Hijacked' }], ['delete', undefined]] as const) {
        const a = await call(server(), method, O.org, { token: t.token, org: theirTeam.id, body });
        const b = await call(server(), method, O.org, { token: t.token, org: random, body });
        const c = await call(server(), method, O.org, { token: t.token, org: other.orgId, body });
        problem(a, method, O.org, 404, 'ORGANIZATION_NOT_FOUND');
        problem(b, method, O.org, 404, 'ORGANIZATION_NOT_FOUND');
        problem(c, method, O.org, 404, 'ORGANIZATION_NOT_FOUND');
        expect(withoutRequestId(a)).toEqual(withoutRequestId(b));
        expect(withoutRequestId(c)).toEqual(withoutRequestId(b));
        expect(a.headers.get('content-type')).toBe(b.headers.get('content-type'));
      }
      // Their organization is untouched.
      const theirs = ok(await call(server(), 'get', O.org, { token: other.token, org: theirTeam.id }), 'get', O.org);
      expect(theirs.name).toBe('Their team');
    });

    it('401 without a token (the header alone grants nothing)', async () => {
      const t = await newTenant(server(), 'org-401');
      problem(await call(server(), 'get', O.org, { org: t.orgId }), 'get', O.org, 401, 'UNAUTHORIZED');
      problem(await call(server(), 'patch', O.org, { org: t.orgId, body: { name: 'x' } }), 'patch', O.org, 401, 'UNAUTHORIZED');
      problem(await call(server(), 'delete', O.org, { org: t.orgId }), 'delete', O.org, 401, 'UNAUTHORIZED');
    });
  });

  describe('PATCH /api/organization', () => {
    it('200 for OWNER and ADMIN: rename, billingEmail set and cleared with null; audited organization.updated', async () => {
      const tm = await team(server(), 'org-patch');
      const patch = (role: 'OWNER' | 'ADMIN', body: unknown) => call(server(), 'patch', O.org, { token: tokenOf(tm, role), org: tm.id, body });

      let r = await patch('OWNER', { name: '  Renamed by owner ' });
      let o = ok(r, 'patch', O.org);
      expect(r.headers.get('cache-control')).toContain('no-store');
      expect(o).toMatchObject({ id: tm.id, name: 'Renamed by owner', role: 'OWNER', billingEmail: null, memberCount: 4, personal: false });

      o = ok(await patch('ADMIN', { billingEmail: 'invoices@example.com' }), 'patch', O.org);
      expect(o).toMatchObject({ name: 'Renamed by owner', role: 'ADMIN', billingEmail: 'invoices@example.com' });

      o = ok(await patch('ADMIN', { name: 'Both', billingEmail: 'ap@example.org' }), 'patch', O.org);
      expect(o).toMatchObject({ name: 'Both', billingEmail: 'ap@example.org' });

      // Only the name: the billing email stays.
      o = ok(await patch('OWNER', { name: 'Name only' }), 'patch', O.org);
      expect(o).toMatchObject({ name: 'Name only', billingEmail: 'ap@example.org' });

      o = ok(await patch('OWNER', { billingEmail: null }), 'patch', O.org);
      expect(o).toMatchObject({ name: 'Name only', billingEmail: null });
      const row = (await dbQuery(server(), 'SELECT name, billing_email FROM organizations WHERE id = $1', [tm.id])).rows[0];
      expect(row).toEqual({ name: 'Name only', billing_email: null });

      // Every member sees the change.
      expect(ok(await call(server(), 'get', O.org, { token: tokenOf(tm, 'MEMBER'), org: tm.id }), 'get', O.org)).toMatchObject({ name: 'Name only', role: 'MEMBER' });

      const audit = await waitOrgAudit(server(), tm.id, 'organization.updated', 5);
      expect(audit).toHaveLength(5);
      expect(audit[0].metadata).toEqual({ changed: ['name'] });
      expect(audit[1].metadata).toEqual({ changed: ['billingEmail'] });
      expect(audit[1].actor_user_id).toBe(tm.members.ADMIN!.userId);
      expect(audit[2].metadata).toEqual({ changed: ['name', 'billingEmail'] });
      expect(audit[4].metadata).toEqual({ changed: ['billingEmail'] });
      // The audit rows do not copy the address.
      expect(JSON.stringify(audit)).not.toContain('invoices@example.com');
    });

    it('200: the owner may rename the personal organization (no header)', async () => {
      const t = await newTenant(server(), 'org-patch-personal');
      const o = ok(await call(server(), 'patch', O.org, { token: t.token, body: { name: 'My own' } }), 'patch', O.org);
      expect(o).toMatchObject({ id: t.orgId, name: 'My own', personal: true });
    });

    it('403 ORGANIZATION_ROLE_FORBIDDEN for MEMBER and BILLING (nothing changes)', async () => {
      const tm = await team(server(), 'org-patch-403');
      for (const role of ['MEMBER', 'BILLING'] as const) {
        const b = forbidden(await call(server(), 'patch', O.org, { token: tokenOf(tm, role), org: tm.id, body: { name: `by ${role}` } }), 'patch', O.org);
        expect(b.detail).toContain(role);
        forbidden(await call(server(), 'patch', O.org, { token: tokenOf(tm, role), org: tm.id, body: { billingEmail: 'x@example.com' } }), 'patch', O.org);
      }
      const o = ok(await call(server(), 'get', O.org, { token: tm.owner.token, org: tm.id }), 'get', O.org);
      expect(o).toMatchObject({ name: tm.name, billingEmail: null });
      expect(await orgAudit(server(), tm.id, 'organization.updated')).toHaveLength(0);
    });

    it('422 VALIDATION_FAILED: empty body, blank or long name, bad billingEmail, unknown field', async () => {
      const t = await newTenant(server(), 'org-patch-422');
      const tm = await createOrg(server(), t, 'Valid name');
      const patch = (body: unknown) => call(server(), 'patch', O.org, { token: t.token, org: tm.id, body });
      problem(await patch({}), 'patch', O.org, 422, 'VALIDATION_FAILED');
      invalid(await patch({ name: '' }), 'patch', O.org, 'name');
      invalid(await patch({ name: '    ' }), 'patch', O.org, 'name');
      invalid(await patch({ name: 'y'.repeat(201) }), 'patch', O.org, 'name');
      invalid(await patch({ name: null }), 'patch', O.org, 'name');
      invalid(await patch({ name: 7 }), 'patch', O.org, 'name');
      invalid(await patch({ billingEmail: 'not-an-email' }), 'patch', O.org, 'billingEmail');
      invalid(await patch({ billingEmail: 'a@b' }), 'patch', O.org, 'billingEmail');
      invalid(await patch({ billingEmail: '' }), 'patch', O.org, 'billingEmail');
      invalid(await patch({ billingEmail: `${'a'.repeat(250)}@example.com` }), 'patch', O.org, 'billingEmail');
      invalid(await patch({ billingEmail: 12 }), 'patch', O.org, 'billingEmail');
      invalid(await patch({ name: 'ok', owner: t.userId }), 'patch', O.org, 'owner');
      problem(
        await call(server(), 'patch', O.org, { token: t.token, org: tm.id, body: 'name=x', headers: { 'content-type': 'text/plain' } }),
        'patch',
        O.org,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      problem(await call(server(), 'patch', O.org, { token: t.token, org: tm.id, body: '{' }), 'patch', O.org, 400, 'MALFORMED_JSON');
      expect(ok(await call(server(), 'get', O.org, { token: t.token, org: tm.id }), 'get', O.org)).toMatchObject({ name: 'Valid name', billingEmail: null });
    });
  });

  describe('DELETE /api/organization', () => {
    it('409 PERSONAL_ORGANIZATION for the personal organization (with or without the header)', async () => {
      const t = await newTenant(server(), 'org-del-personal');
      problem(await call(server(), 'delete', O.org, { token: t.token }), 'delete', O.org, 409, 'PERSONAL_ORGANIZATION');
      problem(await call(server(), 'delete', O.org, { token: t.token, org: t.orgId }), 'delete', O.org, 409, 'PERSONAL_ORGANIZATION');
      expect(ok(await call(server(), 'get', O.org, { token: t.token }), 'get', O.org).id).toBe(t.orgId);
    });

    it('403 ORGANIZATION_ROLE_FORBIDDEN for ADMIN, MEMBER and BILLING', async () => {
      const tm = await team(server(), 'org-del-403');
      for (const role of ['ADMIN', 'MEMBER', 'BILLING'] as const) {
        const b = forbidden(await call(server(), 'delete', O.org, { token: tokenOf(tm, role), org: tm.id }), 'delete', O.org);
        expect(b.detail).toContain('OWNER');
      }
      expect(ok(await call(server(), 'get', O.org, { token: tm.owner.token, org: tm.id }), 'get', O.org).memberCount).toBe(4);
    });

    it('204 for the OWNER: its keys are refused (DISABLED) within a second, it leaves every list, pending invitations die, audited', async () => {
      const tm = await team(server(), 'org-del', ['MEMBER']);
      const svc = await createServiceToken(server());
      // A key of the team (created with the header) and one of the owner's personal organization.
      const r = await call(server(), 'post', '/api/user/api-keys', { token: tm.owner.token, org: tm.id, body: { name: 'team key' } });
      const teamKey = ok(r, 'post', '/api/user/api-keys', 201);
      const personalKey = await createKey(server(), tm.owner.token, { name: 'personal key' });
      const body = { key: teamKey.secret, method: 'GET', endpoint: '/v1/items' };
      expect((await verifyOk(server(), svc, body)).json.code).toBe('VALID');
      const invitee = await newTenant(server(), 'org-del-invitee');
      await invite(server(), tm.owner.token, tm.id, invitee.email, 'MEMBER');
      const link = await invitationToken(server(), invitee.email);

      const del = await call(server(), 'delete', O.org, { token: tm.owner.token, org: tm.id });
      ok(del, 'delete', O.org, 204);

      const { sentAtMs, seen } = await verifyUntil(server(), svc, body, 'DISABLED', 1000);
      expect(sentAtMs, `DISABLED within 1 s of the delete; answers: ${seen.join(',')}`).toBeGreaterThanOrEqual(0);
      expect(sentAtMs).toBeLessThanOrEqual(1000);
      // The personal organization's key is not affected.
      expect((await verifyOk(server(), svc, { key: personalKey.secret, method: 'GET', endpoint: '/v1/items' })).json.code).toBe('VALID');

      for (const who of [tm.owner, tm.members.MEMBER!]) {
        expect((await list(who)).map((o) => o.id)).not.toContain(tm.id);
        problem(await call(server(), 'get', O.org, { token: who.token, org: tm.id }), 'get', O.org, 404, 'ORGANIZATION_NOT_FOUND');
      }
      // Deleting again: there is nothing to delete.
      problem(await call(server(), 'delete', O.org, { token: tm.owner.token, org: tm.id }), 'delete', O.org, 404, 'ORGANIZATION_NOT_FOUND');
      // The pending invitation's link no longer works.
      problem(await accept(server(), invitee.token, link), 'post', O.accept, 404, 'INVITATION_NOT_FOUND');

      const row = (await dbQuery(server(), 'SELECT status, deleted_at FROM organizations WHERE id = $1', [tm.id])).rows[0];
      expect(row.status).toBe('deleted');
      expect(row.deleted_at).not.toBeNull();
      const audit = await waitOrgAudit(server(), tm.id, 'organization.deleted');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor_user_id: tm.owner.userId, target_type: 'organization', target_id: tm.id, request_id: del.headers.get('x-request-id') });
    });
  });

  it('answers are JSON or problem+json with an X-Request-ID', async () => {
    const t = await newTenant(server(), 'org-rid');
    const r = await request(server().baseUrl + O.list, { headers: { authorization: `Bearer ${t.token}` } });
    expect(r.headers.get('x-request-id')).toBeTruthy();
    expect(r.contentType).toMatch(/^application\/json/);
    ok(r, 'get', O.list);
    const e = await request(server().baseUrl + O.org, { headers: { authorization: `Bearer ${t.token}`, 'x-organization-id': crypto.randomUUID() } });
    expect(e.headers.get('x-request-id')).toBeTruthy();
    problem(e, 'get', O.org, 404, 'ORGANIZATION_NOT_FOUND');
  });
});
